import HearthEncoding
import HearthModel

/// The records of the head's write-ahead log. Their payloads follow Prometheus's `tsdb/record`
/// encodings (series: ref and labels; samples: a base ref and time, then varint deltas and
/// 8 raw value bytes), framed by Hearth's own segment format (see `Segment.swift`).
public enum WALRecordType: UInt8, Sendable {
    case series = 1
    case samples = 2
}

/// A series created in the head: its stable ref and its labels.
public struct WALSeries: Sendable, Equatable {
    public var ref: UInt64
    public var labels: Labels

    public init(ref: UInt64, labels: Labels) {
        self.ref = ref
        self.labels = labels
    }
}

/// A sample appended to series `ref`.
public struct WALSample: Sendable, Equatable {
    public var ref: UInt64
    public var timestamp: Int64
    public var value: Double

    @inlinable
    public init(ref: UInt64, timestamp: Int64, value: Double) {
        self.ref = ref
        self.timestamp = timestamp
        self.value = value
    }

    public static func == (a: WALSample, b: WALSample) -> Bool {
        a.ref == b.ref && a.timestamp == b.timestamp && a.value.bitPattern == b.value.bitPattern
    }
}

/// A record payload was malformed (checksums passed, so this means a bug or a foreign file).
public struct WALRecordDecodeError: Error, Sendable, CustomStringConvertible {
    public let reason: String

    @inlinable
    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { "invalid WAL record: \(reason)" }
}

public enum WALRecordCodec {
    /// Appends an encoded series record payload.
    public static func encodeSeries(_ series: [WALSeries], into out: inout [UInt8]) {
        out.append(WALRecordType.series.rawValue)
        for s in series {
            VarInt.appendUnsigned(s.ref, to: &out)
            VarInt.appendUnsigned(UInt64(s.labels.count), to: &out)
            for l in s.labels {
                appendString(l.name, to: &out)
                appendString(l.value, to: &out)
            }
        }
    }

    @inline(__always)
    static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { u in
            VarInt.appendUnsigned(UInt64(u.count), to: &out)
            out.append(contentsOf: u)
        }
    }

    /// Appends an encoded samples record payload. `samples` must not be empty.
    @inlinable
    public static func encodeSamples(_ samples: UnsafeBufferPointer<WALSample>, into out: inout [UInt8]) {
        guard let first = samples.first else { return }
        out.reserveCapacity(out.count + 17 + samples.count * 12)
        out.append(WALRecordType.samples.rawValue)
        BigEndian.append(first.ref, to: &out)
        BigEndian.append(UInt64(bitPattern: first.timestamp), to: &out)
        for s in samples {
            VarInt.appendSigned(Int64(bitPattern: s.ref &- first.ref), to: &out)
            VarInt.appendSigned(s.timestamp &- first.timestamp, to: &out)
            BigEndian.append(s.value.bitPattern, to: &out)
        }
    }

    public static func encodeSamples(_ samples: [WALSample], into out: inout [UInt8]) {
        samples.withUnsafeBufferPointer { encodeSamples($0, into: &out) }
    }

    /// Frames one appender batch for a single `WAL.log`: a series record for `series` (if
    /// any), then a samples record for `samples` (if any). `scratch` is reused for payloads.
    public static func frameBatch(
        series: [WALSeries], samples: [WALSample], into out: inout [UInt8], scratch: inout [UInt8]
    ) {
        if !series.isEmpty {
            scratch.removeAll(keepingCapacity: true)
            encodeSeries(series, into: &scratch)
            scratch.withUnsafeBytes { Segment.appendRecord($0, to: &out) }
        }
        if !samples.isEmpty {
            scratch.removeAll(keepingCapacity: true)
            encodeSamples(samples, into: &scratch)
            scratch.withUnsafeBytes { Segment.appendRecord($0, to: &out) }
        }
    }

    /// The type of a payload, or nil if unknown.
    public static func type(of payload: UnsafeRawBufferPointer) -> WALRecordType? {
        payload.isEmpty ? nil : WALRecordType(rawValue: payload[0])
    }

    public static func decodeSeries(_ payload: UnsafeRawBufferPointer) throws(WALRecordDecodeError) -> [WALSeries] {
        var out: [WALSeries] = []
        var i = 1
        while i < payload.count {
            guard let ref = VarInt.readUnsigned(payload, at: &i),
                  let n = VarInt.readUnsigned(payload, at: &i), n <= UInt64(Labels.maximumCount)
            else { throw WALRecordDecodeError(reason: "series header") }
            var labels: [Label] = []
            labels.reserveCapacity(Int(n))
            for _ in 0..<n {
                let name = try readString(payload, at: &i)
                let value = try readString(payload, at: &i)
                labels.append(Label(name, value))
            }
            out.append(WALSeries(ref: ref, labels: Labels(sorted: labels)))
        }
        return out
    }

    static func readString(_ p: UnsafeRawBufferPointer, at i: inout Int) throws(WALRecordDecodeError) -> String {
        guard let len = VarInt.readUnsigned(p, at: &i), len <= UInt64(p.count - i) else {
            throw WALRecordDecodeError(reason: "string length")
        }
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: p[i..<i + Int(len)]), as: UTF8.self)
        i += Int(len)
        return s
    }

    /// Calls `body` with each sample of a samples payload, without building an array.
    @inlinable
    public static func forEachSample(
        _ payload: UnsafeRawBufferPointer, _ body: (WALSample) -> Void
    ) throws(WALRecordDecodeError) {
        guard payload.count >= 17 else {
            if payload.count == 1 { return }
            throw WALRecordDecodeError(reason: "samples header")
        }
        let baseRef = BigEndian.readUInt64(payload, at: 1)
        let baseT = Int64(bitPattern: BigEndian.readUInt64(payload, at: 9))
        var i = 17
        while i < payload.count {
            guard let dRef = VarInt.readSigned(payload, at: &i), let dT = VarInt.readSigned(payload, at: &i),
                  i + 8 <= payload.count
            else { throw WALRecordDecodeError(reason: "sample") }
            let v = Double(bitPattern: BigEndian.readUInt64(payload, at: i))
            i += 8
            body(WALSample(ref: baseRef &+ UInt64(bitPattern: dRef), timestamp: baseT &+ dT, value: v))
        }
    }

    /// Decodes a samples payload, appending to `out`.
    public static func decodeSamples(
        _ payload: UnsafeRawBufferPointer, into out: inout [WALSample]
    ) throws(WALRecordDecodeError) {
        try forEachSample(payload) { out.append($0) }
    }
}
