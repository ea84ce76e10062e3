import HearthEncoding
import HearthModel

/// One series of a remote-write request, as handed to the caller: labels in request order,
/// float samples, and how many native histograms and exemplars it carried (not stored yet).
public struct WriteSeries {
    public var labels: [Label] = []
    public var samples: [Sample] = []
    public var histograms = 0
    public var exemplars = 0
    /// A series ref the caller's cache knew for these exact label bytes (then `labels` is left
    /// empty: neither decoded nor validated again), or 0.
    public var ref: UInt64 = 0
    /// The encoded label fields, when they are contiguous in the message: a cache key. Valid
    /// only during the visit.
    public var labelBytes: UnsafeRawBufferPointer?

    public init() {}

    mutating func reset() {
        labels.removeAll(keepingCapacity: true)
        samples.removeAll(keepingCapacity: true)
        histograms = 0
        exemplars = 0
        ref = 0
        labelBytes = nil
    }
}

/// Decodes remote-write requests: `prometheus.WriteRequest` (protocol 1.0) and
/// `io.prometheus.write.v2.Request` (2.0), straight from the decompressed body.
///
/// Structural errors (bad wire format, a label ref outside the symbol table) throw: nothing of
/// the request may be written. A series whose labels break the spec (no metric name, an empty
/// name, invalid UTF-8, names out of order or repeated) is not handed out; its problem is
/// returned so the caller can answer 400 after writing the rest, as the 2.0 spec asks.
public enum WriteRequestDecoder {
    /// Protocol 1.0. `body` is called once per valid series, with a reused value. `knownRef`
    /// may answer a series ref for the raw bytes of a series' label fields, which skips decoding
    /// and checking them again (the caller caches refs of label sets it has seen).
    public static func decodeV1(
        _ message: UnsafeRawBufferPointer, knownRef: (UnsafeRawBufferPointer) -> UInt64? = { _ in nil },
        _ body: (inout WriteSeries) throws -> Void
    ) throws -> [String] {
        var reader = ProtoReader(message)
        var series = WriteSeries()
        var invalid: [String] = []
        while let (field, wire) = try reader.tag() {
            guard field == 1 else {
                try reader.skip(wire)  // metadata (3) and anything newer
                continue
            }
            try ProtoReader.expect(wire, 2, field: "timeseries")
            series.reset()
            let message = try reader.bytes()
            // First pass: where the label fields are, and whether they are contiguous.
            var scan = ProtoReader(message)
            var labelStart = -1, labelEnd = -1
            var contiguous = true
            while true {
                let before = scan.position
                guard let (f, w) = try scan.tag() else { break }
                try scan.skip(w)
                if f == 1 {
                    if labelStart < 0 { labelStart = before } else if labelEnd != before { contiguous = false }
                    labelEnd = scan.position
                }
            }
            if contiguous && labelStart >= 0 {
                let region = UnsafeRawBufferPointer(rebasing: message[labelStart..<labelEnd])
                series.labelBytes = region
                if let ref = knownRef(region) { series.ref = ref }
            }
            var ts = ProtoReader(message)
            while let (f, w) = try ts.tag() {
                switch f {
                case 1:
                    try ProtoReader.expect(w, 2, field: "labels")
                    let bytes = try ts.bytes()
                    if series.ref != 0 { continue }
                    series.labels.append(try label(bytes))
                case 2:
                    try ProtoReader.expect(w, 2, field: "samples")
                    series.samples.append(try sample(ts.bytes()))
                case 3:
                    try ts.skip(w)
                    series.exemplars += 1
                case 4:
                    try ts.skip(w)
                    series.histograms += 1
                default: try ts.skip(w)
                }
            }
            if series.ref == 0, let problem = validate(series.labels) {
                invalid.append(problem)
                continue
            }
            try body(&series)
        }
        return invalid
    }

    /// One `prometheus.Label` message.
    static func label(_ bytes: UnsafeRawBufferPointer) throws(ProtoError) -> Label {
        var label = ProtoReader(bytes)
        var name: String?, value: String?
        while let (lf, lw) = try label.tag() {
            switch lf {
            case 1:
                try ProtoReader.expect(lw, 2, field: "label name")
                name = try string(label.bytes(), what: "label name")
            case 2:
                try ProtoReader.expect(lw, 2, field: "label value")
                value = try string(label.bytes(), what: "label value")
            default: try label.skip(lw)
            }
        }
        return Label(name ?? "", value ?? "")
    }

    /// The labels of a protocol 1.0 series from its label fields alone (``WriteSeries/labelBytes``),
    /// validated as ``decodeV1(_:knownRef:_:)`` validates them: for a caller whose cached ref
    /// for those bytes turned out stale. Returns the labels, or the problem with them.
    public static func v1Labels(_ fields: UnsafeRawBufferPointer) throws(ProtoError) -> Result<[Label], InvalidLabels> {
        var reader = ProtoReader(fields)
        var labels: [Label] = []
        while let (f, w) = try reader.tag() {
            guard f == 1 else { try reader.skip(w); continue }
            try ProtoReader.expect(w, 2, field: "labels")
            labels.append(try label(reader.bytes()))
        }
        if let problem = validate(labels) { return .failure(InvalidLabels(description: problem)) }
        return .success(labels)
    }

    /// Why a series' labels were refused (Prometheus's wording).
    public struct InvalidLabels: Error, CustomStringConvertible {
        public var description: String
    }

    /// Protocol 2.0: label names and values are references into the request's symbol table.
    public static func decodeV2(_ message: UnsafeRawBufferPointer, _ body: (inout WriteSeries) throws -> Void) throws -> [String] {
        // The symbols first (they may in principle come after the series that use them).
        var symbols: [UnsafeRawBufferPointer] = []
        var reader = ProtoReader(message)
        while let (field, wire) = try reader.tag() {
            if field == 4 {
                try ProtoReader.expect(wire, 2, field: "symbols")
                symbols.append(try reader.bytes())
            } else {
                try reader.skip(wire)
            }
        }
        if let first = symbols.first, !first.isEmpty {
            throw ProtoError("the first symbol must be the empty string")
        }
        var strings = [String?](repeating: nil, count: symbols.count)
        func symbol(_ ref: UInt64, what: String) throws -> String {
            guard ref < UInt64(symbols.count) else { throw ProtoError("\(what) reference \(ref) is outside the symbol table (\(symbols.count) symbols)") }
            let i = Int(ref)
            if let s = strings[i] { return s }
            let s = try string(symbols[i], what: what)
            strings[i] = s
            return s
        }

        var series = WriteSeries()
        var invalid: [String] = []
        var refs: [UInt64] = []
        reader = ProtoReader(message)
        while let (field, wire) = try reader.tag() {
            guard field == 5 else {
                try reader.skip(wire)
                continue
            }
            try ProtoReader.expect(wire, 2, field: "timeseries")
            series.reset()
            refs.removeAll(keepingCapacity: true)
            var ts = ProtoReader(try reader.bytes())
            while let (f, w) = try ts.tag() {
                switch f {
                case 1:
                    if w == 2 {
                        var packed = ProtoReader(try ts.bytes())
                        while !packed.isAtEnd { refs.append(try packed.varint()) }
                    } else {
                        try ProtoReader.expect(w, 0, field: "labels_refs")
                        refs.append(try ts.varint())
                    }
                case 2:
                    try ProtoReader.expect(w, 2, field: "samples")
                    series.samples.append(try sample(ts.bytes()))
                case 3:
                    try ts.skip(w)
                    series.histograms += 1
                case 4:
                    try ts.skip(w)
                    series.exemplars += 1
                default: try ts.skip(w)  // metadata, created timestamp
                }
            }
            guard refs.count % 2 == 0 else { throw ProtoError("labels_refs has an odd number of references") }
            for i in stride(from: 0, to: refs.count, by: 2) {
                series.labels.append(Label(try symbol(refs[i], what: "label name"), try symbol(refs[i + 1], what: "label value")))
            }
            if let problem = validate(series.labels) {
                invalid.append(problem)
                continue
            }
            try body(&series)
        }
        return invalid
    }

    static func sample(_ bytes: UnsafeRawBufferPointer) throws(ProtoError) -> Sample {
        var r = ProtoReader(bytes)
        var value = 0.0
        var timestamp: Int64 = 0
        while let (f, w) = try r.tag() {
            switch f {
            case 1:
                try ProtoReader.expect(w, 1, field: "sample value")
                value = try r.double()
            case 2:
                try ProtoReader.expect(w, 0, field: "sample timestamp")
                timestamp = Int64(bitPattern: try r.varint())
            default: try r.skip(w)
            }
        }
        return Sample(timestamp, value)
    }

    static func string(_ bytes: UnsafeRawBufferPointer, what: String) throws(ProtoError) -> String {
        guard let s = bytes.validatedString() else { throw ProtoError("\(what) is not valid UTF-8") }
        return s
    }

    /// Why a label set breaks the remote-write spec, or nil.
    public static func validate(_ labels: [Label]) -> String? {
        var hasName = false
        for (i, l) in labels.enumerated() {
            if l.name.isEmpty { return "invalid labels \(render(labels)): empty label name" }
            if l.name == Labels.metricName {
                hasName = true
                if l.value.isEmpty { return "invalid labels \(render(labels)): empty metric name" }
            }
            if i > 0 {
                let previous = labels[i - 1].name
                if previous == l.name { return "invalid labels \(render(labels)): duplicate label name \"\(l.name)\"" }
                if !previous.utf8Precedes(l.name) {
                    return "invalid labels \(render(labels)): label names out of order (\"\(previous)\" before \"\(l.name)\")"
                }
            }
        }
        if !hasName { return "invalid labels \(render(labels)): no metric name" }
        return nil
    }

    static func render(_ labels: [Label]) -> String {
        "{" + labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
    }
}

/// Encodes remote-write requests (the agent's and the server's queues, and tests).
///
/// Protocol 1.0 requests are written into one exactly sized buffer through a raw pointer:
/// message lengths are computed first, so nothing is nested or copied twice (this runs for
/// every batch a queue sends).
public enum WriteRequestEncoder {
    /// A protocol 1.0 `WriteRequest`, one `TimeSeries` per series with its samples.
    public static func v1(_ series: [(Labels, [Sample])]) -> [UInt8] {
        var total = 0
        for (labels, samples) in series {
            let m = V1Size.series(labelsSize: V1Size.labels(labels), samples: samples)
            total += 1 + V1Size.varint(UInt64(m)) + m
        }
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            var w = RawProtoWriter(buffer.baseAddress!)
            for (labels, samples) in series {
                let labelsSize = V1Size.labels(labels)
                w.lengthDelimited(field: 1, length: V1Size.series(labelsSize: labelsSize, samples: samples))
                w.labels(labels)
                for s in samples { w.sample(s) }
            }
            count = w.written(from: buffer.baseAddress!)
            precondition(count == total, "remote-write request size mismatch")
        }
    }

    /// A protocol 1.0 `WriteRequest` with one `TimeSeries` per sample, as Prometheus's queues
    /// send them: no grouping pass and no per-series arrays (a queue usually holds one sample
    /// per series anyway).
    public static func v1(samples: ArraySlice<(Labels, Sample)>) -> [UInt8] {
        var total = 0
        for (labels, sample) in samples {
            let m = V1Size.labels(labels) + V1Size.sampleField(sample)
            total += 1 + V1Size.varint(UInt64(m)) + m
        }
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            var w = RawProtoWriter(buffer.baseAddress!)
            for (labels, sample) in samples {
                let labelsSize = V1Size.labels(labels)
                w.lengthDelimited(field: 1, length: labelsSize + V1Size.sampleField(sample))
                w.labels(labels)
                w.sample(sample)
            }
            count = w.written(from: buffer.baseAddress!)
            precondition(count == total, "remote-write request size mismatch")
        }
    }

    /// A protocol 1.0 `WriteRequest` with one `TimeSeries` per sample, its labels copied from
    /// set `index` of `sets`.
    public static func v1(samples: ArraySlice<(index: UInt32, sample: Sample)>, sets: V1LabelSets) -> [UInt8] {
        var total = 0
        for (i, sample) in samples {
            let m = sets.size(Int(i)) + V1Size.sampleField(sample)
            total += 1 + V1Size.varint(UInt64(m)) + m
        }
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            var w = RawProtoWriter(buffer.baseAddress!)
            sets.bytes.withUnsafeBufferPointer { labelBytes in
                for (i, sample) in samples {
                    let start = sets.starts[Int(i)], size = sets.size(Int(i))
                    w.lengthDelimited(field: 1, length: size + V1Size.sampleField(sample))
                    if size > 0 {
                        w.p.update(from: labelBytes.baseAddress! + start, count: size)
                        w.p += size
                    }
                    w.sample(sample)
                }
            }
            count = w.written(from: buffer.baseAddress!)
            precondition(count == total, "remote-write request size mismatch")
        }
    }

    /// A protocol 2.0 request with one `TimeSeries` per sample (see ``v1(samples:)``).
    public static func v2(samples: ArraySlice<(Labels, Sample)>) -> [UInt8] {
        v2(samples.map { ($0.0, [$0.1]) })
    }

    /// A protocol 2.0 `io.prometheus.write.v2.Request` with its symbol table.
    public static func v2(_ series: [(Labels, [Sample])]) -> [UInt8] {
        var symbols = [""]
        var index = ["": 0]
        func ref(_ s: String) -> UInt64 {
            if let i = index[s] { return UInt64(i) }
            index[s] = symbols.count
            symbols.append(s)
            return UInt64(symbols.count - 1)
        }
        var body = ProtoWriter()
        for (labels, samples) in series {
            body.messageField(5) { ts in
                var packed = ProtoWriter()
                for l in labels {
                    packed.varint(ref(l.name))
                    packed.varint(ref(l.value))
                }
                ts.bytesField(1, packed.bytes)
                for s in samples {
                    ts.messageField(2) { m in
                        m.doubleField(1, s.value)
                        m.int64Field(2, s.timestamp)
                    }
                }
            }
        }
        var w = ProtoWriter()
        for s in symbols { w.stringField(4, s) }
        w.bytes.append(contentsOf: body.bytes)
        return w.bytes
    }
}

/// Encoded sizes of protocol 1.0 messages.
enum V1Size {
    @inline(__always) static func varint(_ v: UInt64) -> Int { VarInt.unsignedLength(v) }

    /// One `Label` message's body.
    @inline(__always) static func label(_ l: Label) -> Int {
        label(nameLength: l.name.utf8.count, valueLength: l.value.utf8.count)
    }

    /// One `Label` message's body, for a name and value of these UTF-8 lengths.
    @inline(__always) static func label(nameLength n: Int, valueLength v: Int) -> Int {
        1 + varint(UInt64(n)) + n + 1 + varint(UInt64(v)) + v
    }

    /// Every `labels` field of a `TimeSeries`, tags and lengths included.
    @inline(__always) static func labels(_ labels: Labels) -> Int {
        var size = 0
        for l in labels { let m = label(l); size += 1 + varint(UInt64(m)) + m }
        return size
    }

    /// One `Sample` message's body.
    @inline(__always) static func sample(_ s: Sample) -> Int { 1 + 8 + 1 + varint(UInt64(bitPattern: s.timestamp)) }

    /// One `samples` field of a `TimeSeries`, tag and length included.
    @inline(__always) static func sampleField(_ s: Sample) -> Int { let m = sample(s); return 1 + varint(UInt64(m)) + m }

    static func series(labelsSize: Int, samples: [Sample]) -> Int {
        var size = labelsSize
        for s in samples { size += sampleField(s) }
        return size
    }
}

/// Writes protocol 1.0 fields through a raw pointer into a buffer the caller sized exactly.
struct RawProtoWriter {
    var p: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) { p = start }

    func written(from start: UnsafeMutablePointer<UInt8>) -> Int { p - start }

    @inline(__always) mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            p.pointee = UInt8(truncatingIfNeeded: v) | 0x80
            p += 1
            v >>= 7
        }
        p.pointee = UInt8(v)
        p += 1
    }

    @inline(__always) mutating func lengthDelimited(field: Int, length: Int) {
        varint(UInt64(field << 3 | 2))
        varint(UInt64(length))
    }

    @inline(__always) mutating func string(field: Int, _ s: String) {
        let n = s.utf8.count
        lengthDelimited(field: field, length: n)
        let copied = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            if n > 0 { p.update(from: bytes.baseAddress!, count: n) }
            return true
        }
        if copied == nil {
            var q = p
            for b in s.utf8 { q.pointee = b; q += 1 }
        }
        p += n
    }

    @inline(__always) mutating func labels(_ labels: Labels) {
        for l in labels {
            lengthDelimited(field: 1, length: V1Size.label(l))
            string(field: 1, l.name)
            string(field: 2, l.value)
        }
    }

    @inline(__always) mutating func sample(_ s: Sample) {
        lengthDelimited(field: 2, length: V1Size.sample(s))
        p.pointee = 1 << 3 | 1  // value: fixed64
        p += 1
        withUnsafeBytes(of: s.value.bitPattern.littleEndian) { raw in
            UnsafeMutableRawPointer(p).copyMemory(from: raw.baseAddress!, byteCount: 8)
        }
        p += 8
        p.pointee = 2 << 3  // timestamp: varint
        p += 1
        varint(UInt64(bitPattern: s.timestamp))
    }
}
