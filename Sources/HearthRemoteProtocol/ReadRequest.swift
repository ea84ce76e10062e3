import HearthEncoding
import HearthModel

/// A remote-read query: a time range and label matchers.
public struct ReadQuery: Sendable, Equatable {
    public var startMs: Int64 = 0
    public var endMs: Int64 = 0
    /// (type, name, value) with Prometheus's matcher types: 0 `=`, 1 `!=`, 2 `=~`, 3 `!~`.
    public var matchers: [(Matcher.Kind, String, String)] = []

    public init() {}

    public static func == (a: ReadQuery, b: ReadQuery) -> Bool {
        a.startMs == b.startMs && a.endMs == b.endMs && a.matchers.count == b.matchers.count
            && zip(a.matchers, b.matchers).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }
    }
}

/// `prometheus.ReadRequest`: the queries and the response types the client accepts.
public struct ReadRequest: Sendable {
    public enum ResponseType: Int, Sendable { case samples = 0, streamedXORChunks = 1 }

    public var queries: [ReadQuery] = []
    public var acceptedResponseTypes: [ResponseType] = []

    public init() {}

    public static func decode(_ message: UnsafeRawBufferPointer) throws(ProtoError) -> ReadRequest {
        var request = ReadRequest()
        var reader = ProtoReader(message)
        while let (field, wire) = try reader.tag() {
            switch field {
            case 1:
                try ProtoReader.expect(wire, 2, field: "queries")
                request.queries.append(try query(reader.bytes()))
            case 2:
                if wire == 2 {
                    var packed = ProtoReader(try reader.bytes())
                    while !packed.isAtEnd {
                        if let t = ResponseType(rawValue: Int(truncatingIfNeeded: try packed.varint())) { request.acceptedResponseTypes.append(t) }
                    }
                } else {
                    try ProtoReader.expect(wire, 0, field: "accepted_response_types")
                    if let t = ResponseType(rawValue: Int(truncatingIfNeeded: try reader.varint())) { request.acceptedResponseTypes.append(t) }
                }
            default: try reader.skip(wire)
            }
        }
        return request
    }

    static func query(_ bytes: UnsafeRawBufferPointer) throws(ProtoError) -> ReadQuery {
        var q = ReadQuery()
        var r = ProtoReader(bytes)
        while let (f, w) = try r.tag() {
            switch f {
            case 1:
                try ProtoReader.expect(w, 0, field: "start_timestamp_ms")
                q.startMs = Int64(bitPattern: try r.varint())
            case 2:
                try ProtoReader.expect(w, 0, field: "end_timestamp_ms")
                q.endMs = Int64(bitPattern: try r.varint())
            case 3:
                try ProtoReader.expect(w, 2, field: "matchers")
                var m = ProtoReader(try r.bytes())
                var kind = Matcher.Kind.equal
                var name = "", value = ""
                while let (mf, mw) = try m.tag() {
                    switch mf {
                    case 1:
                        switch try m.varint() {
                        case 0: kind = .equal
                        case 1: kind = .notEqual
                        case 2: kind = .regexMatch
                        case 3: kind = .regexNoMatch
                        case let t: throw ProtoError("unknown matcher type \(t)")
                        }
                    case 2:
                        try ProtoReader.expect(mw, 2, field: "matcher name")
                        name = try WriteRequestDecoder.string(m.bytes(), what: "matcher name")
                    case 3:
                        try ProtoReader.expect(mw, 2, field: "matcher value")
                        value = try WriteRequestDecoder.string(m.bytes(), what: "matcher value")
                    default: try m.skip(mw)
                    }
                }
                q.matchers.append((kind, name, value))
            default: try r.skip(w)  // hints
            }
        }
        return q
    }

    /// Encodes a request (for tests and for Hearth's own fan-out later).
    public func encode() -> [UInt8] {
        var w = ProtoWriter()
        for q in queries {
            w.messageField(1) { m in
                m.int64Field(1, q.startMs)
                m.int64Field(2, q.endMs)
                for (kind, name, value) in q.matchers {
                    m.messageField(3) { x in
                        let type: UInt64
                        switch kind {
                        case .equal: type = 0
                        case .notEqual: type = 1
                        case .regexMatch: type = 2
                        case .regexNoMatch: type = 3
                        }
                        x.varintField(1, type)
                        x.stringField(2, name)
                        x.stringField(3, value)
                    }
                }
            }
        }
        if !acceptedResponseTypes.isEmpty {
            var packed = ProtoWriter()
            for t in acceptedResponseTypes { packed.varint(UInt64(t.rawValue)) }
            w.bytesField(2, packed.bytes)
        }
        return w.bytes
    }
}

/// Remote-read responses.
public enum ReadResponseEncoder {
    /// One series of a `SAMPLES` response.
    public struct SeriesSamples {
        public var labels: Labels
        public var samples: [Sample]
        public init(labels: Labels, samples: [Sample]) {
            self.labels = labels
            self.samples = samples
        }
    }

    /// `prometheus.ReadResponse`: one `QueryResult` per query (the caller snappy-compresses it).
    public static func samples(_ results: [[SeriesSamples]]) -> [UInt8] {
        var w = ProtoWriter()
        for result in results {
            w.messageField(1) { qr in
                for s in result {
                    qr.messageField(1) { ts in
                        writeLabels(s.labels, into: &ts)
                        for sample in s.samples {
                            ts.messageField(2) { m in
                                m.doubleField(1, sample.value)
                                m.int64Field(2, sample.timestamp)
                            }
                        }
                    }
                }
            }
        }
        return w.bytes
    }

    /// One chunk of a `STREAMED_XOR_CHUNKS` response.
    public struct XORChunk: Sendable {
        public var minTime: Int64
        public var maxTime: Int64
        public var bytes: [UInt8]
        public init(minTime: Int64, maxTime: Int64, bytes: [UInt8]) {
            self.minTime = minTime
            self.maxTime = maxTime
            self.bytes = bytes
        }
    }

    /// One framed `prometheus.ChunkedReadResponse` holding one or more series of query
    /// `queryIndex`: uvarint length, big-endian CRC32C of the message, the message.
    public static func chunkedFrame(_ series: [(Labels, [XORChunk])], queryIndex: Int64) -> [UInt8] {
        var w = ProtoWriter()
        for (labels, chunks) in series {
            w.messageField(1) { cs in
                writeLabels(labels, into: &cs)
                for c in chunks {
                    cs.messageField(2) { m in
                        m.int64Field(1, c.minTime)
                        m.int64Field(2, c.maxTime)
                        m.varintField(3, 1)  // XOR
                        m.bytesField(4, c.bytes)
                    }
                }
            }
        }
        if queryIndex != 0 { w.int64Field(2, queryIndex) }
        var frame = ProtoWriter()
        frame.varint(UInt64(w.bytes.count))
        let crc = CRC32C.checksum(w.bytes)
        frame.bytes.append(contentsOf: [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)])
        frame.bytes.append(contentsOf: w.bytes)
        return frame.bytes
    }

    static func writeLabels(_ labels: Labels, into w: inout ProtoWriter) {
        for l in labels {
            w.messageField(1) { m in
                m.stringField(1, l.name)
                m.stringField(2, l.value)
            }
        }
    }
}
