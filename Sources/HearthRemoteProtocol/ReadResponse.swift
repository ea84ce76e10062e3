import HearthEncoding
import HearthModel

/// One series of a remote-read response: its labels and either its samples (`SAMPLES`) or its
/// encoded chunks (`STREAMED_XOR_CHUNKS`).
public struct ReadSeries: Sendable {
    public var labels: Labels
    public var samples: [Sample] = []
    public var chunks: [ReadChunk] = []

    public init(labels: Labels, samples: [Sample] = [], chunks: [ReadChunk] = []) {
        self.labels = labels
        self.samples = samples
        self.chunks = chunks
    }
}

/// One chunk of a streamed response, as the peer stored it.
public struct ReadChunk: Sendable, Equatable {
    /// `prometheus.Chunk.Encoding`: 1 XOR, 2 histogram, 3 float histogram.
    public var encoding: UInt8
    public var minTime: Int64
    public var maxTime: Int64
    public var bytes: [UInt8]

    public init(encoding: UInt8, minTime: Int64, maxTime: Int64, bytes: [UInt8]) {
        self.encoding = encoding
        self.minTime = minTime
        self.maxTime = maxTime
        self.bytes = bytes
    }
}

/// Decodes what a remote-read endpoint answered. Everything a peer sends is checked: wire
/// format, UTF-8, label sets (no empty or repeated names), frame sizes and checksums, sample
/// and chunk time ranges. A peer that breaks any of it gets a ``ProtoError`` naming where.
public enum ReadResponseDecoder {
    /// A `SAMPLES` response (`prometheus.ReadResponse`, snappy already undone): one list of
    /// series per query, in query order.
    public static func samples(_ message: UnsafeRawBufferPointer) throws(ProtoError) -> [[ReadSeries]] {
        var results: [[ReadSeries]] = []
        var reader = ProtoReader(message)
        while let (field, wire) = try reader.tag() {
            guard field == 1 else { try reader.skip(wire); continue }
            try ProtoReader.expect(wire, 2, field: "results")
            var result: [ReadSeries] = []
            var qr = ProtoReader(try reader.bytes())
            while let (f, w) = try qr.tag() {
                guard f == 1 else { try qr.skip(w); continue }
                try ProtoReader.expect(w, 2, field: "timeseries")
                result.append(try timeSeries(qr.bytes()))
            }
            results.append(result)
        }
        return results
    }

    static func timeSeries(_ bytes: UnsafeRawBufferPointer) throws(ProtoError) -> ReadSeries {
        var r = ProtoReader(bytes)
        var labels: [Label] = []
        var samples: [Sample] = []
        while let (f, w) = try r.tag() {
            switch f {
            case 1:
                try ProtoReader.expect(w, 2, field: "labels")
                labels.append(try WriteRequestDecoder.label(r.bytes()))
            case 2:
                try ProtoReader.expect(w, 2, field: "samples")
                samples.append(try WriteRequestDecoder.sample(r.bytes()))
            default: try r.skip(w)
            }
        }
        for i in samples.indices.dropFirst() where samples[i].timestamp <= samples[i - 1].timestamp {
            throw ProtoError("series \(render(labels)): samples out of order at \(samples[i].timestamp)")
        }
        return ReadSeries(labels: try labelSet(labels), samples: samples)
    }

    /// Labels as a peer sent them: any order accepted, empty values dropped (as Prometheus
    /// treats them), empty or repeated names refused.
    static func labelSet(_ labels: [Label]) throws(ProtoError) -> Labels {
        do { return try Labels(validating: labels) } catch {
            throw ProtoError("invalid labels \(render(labels)): \(error)")
        }
    }

    static func render(_ labels: [Label]) -> String {
        "{" + labels.prefix(8).map { "\($0.name)=\(GoText.quote($0.value))" }.joined(separator: ", ") + (labels.count > 8 ? ", ..." : "") + "}"
    }

    /// The frames of a `STREAMED_XOR_CHUNKS` body (`application/x-streamed-protobuf;
    /// proto=prometheus.ChunkedReadResponse`): each a uvarint length, the big-endian CRC32C
    /// (Castagnoli) of the message, then a `ChunkedReadResponse`.
    public struct Frames {
        let body: UnsafeRawBufferPointer
        /// Offset of the next frame.
        public private(set) var offset = 0
        /// The largest frame accepted (Prometheus writes frames of about 1 MiB).
        public let maxFrameBytes: Int

        public init(_ body: UnsafeRawBufferPointer, maxFrameBytes: Int = 64 << 20) {
            self.body = body
            self.maxFrameBytes = maxFrameBytes
        }

        /// The next frame's query index and series; nil at the end of the body.
        public mutating func next() throws(ProtoError) -> (queryIndex: Int64, series: [ReadSeries])? {
            guard offset < body.count else { return nil }
            var at = offset
            guard let length = VarInt.readUnsigned(body, at: &at) else {
                throw ProtoError("frame at offset \(offset): truncated length")
            }
            guard length <= UInt64(maxFrameBytes) else {
                throw ProtoError("frame at offset \(offset): \(length) bytes, over the limit of \(maxFrameBytes)")
            }
            guard body.count - at >= 4, UInt64(body.count - at - 4) >= length else {
                throw ProtoError("frame at offset \(offset): truncated (\(length) bytes declared, \(max(0, body.count - at - 4)) present)")
            }
            let stored = BigEndian.readUInt32(body, at: at)
            let message = UnsafeRawBufferPointer(rebasing: body[(at + 4)..<(at + 4 + Int(length))])
            guard CRC32C.checksum(message) == stored else {
                throw ProtoError("frame at offset \(offset): checksum mismatch")
            }
            let frameStart = offset
            offset = at + 4 + Int(length)
            do { return try ReadResponseDecoder.chunkedResponse(message) } catch {
                throw ProtoError("frame at offset \(frameStart): \(error)")
            }
        }
    }

    static func chunkedResponse(_ message: UnsafeRawBufferPointer) throws(ProtoError) -> (queryIndex: Int64, series: [ReadSeries]) {
        var r = ProtoReader(message)
        var index: Int64 = 0
        var series: [ReadSeries] = []
        while let (f, w) = try r.tag() {
            switch f {
            case 1:
                try ProtoReader.expect(w, 2, field: "chunked_series")
                series.append(try chunkedSeries(r.bytes()))
            case 2:
                try ProtoReader.expect(w, 0, field: "query_index")
                index = Int64(bitPattern: try r.varint())
            default: try r.skip(w)
            }
        }
        return (index, series)
    }

    static func chunkedSeries(_ bytes: UnsafeRawBufferPointer) throws(ProtoError) -> ReadSeries {
        var r = ProtoReader(bytes)
        var labels: [Label] = []
        var chunks: [ReadChunk] = []
        while let (f, w) = try r.tag() {
            switch f {
            case 1:
                try ProtoReader.expect(w, 2, field: "labels")
                labels.append(try WriteRequestDecoder.label(r.bytes()))
            case 2:
                try ProtoReader.expect(w, 2, field: "chunks")
                chunks.append(try chunk(r.bytes()))
            default: try r.skip(w)
            }
        }
        for i in chunks.indices.dropFirst() where chunks[i].minTime < chunks[i - 1].minTime {
            throw ProtoError("series \(render(labels)): chunks out of order at \(chunks[i].minTime)")
        }
        return ReadSeries(labels: try labelSet(labels), chunks: chunks)
    }

    static func chunk(_ bytes: UnsafeRawBufferPointer) throws(ProtoError) -> ReadChunk {
        var r = ProtoReader(bytes)
        var c = ReadChunk(encoding: 0, minTime: 0, maxTime: 0, bytes: [])
        while let (f, w) = try r.tag() {
            switch f {
            case 1:
                try ProtoReader.expect(w, 0, field: "min_time_ms")
                c.minTime = Int64(bitPattern: try r.varint())
            case 2:
                try ProtoReader.expect(w, 0, field: "max_time_ms")
                c.maxTime = Int64(bitPattern: try r.varint())
            case 3:
                try ProtoReader.expect(w, 0, field: "type")
                let type = try r.varint()
                guard type <= 3 else { throw ProtoError("unknown chunk encoding \(type)") }
                c.encoding = UInt8(type)
            case 4:
                try ProtoReader.expect(w, 2, field: "data")
                c.bytes = Array(try r.bytes())
            default: try r.skip(w)
            }
        }
        guard c.minTime <= c.maxTime else { throw ProtoError("chunk from \(c.minTime) to \(c.maxTime): inverted time range") }
        return c
    }
}
