import HearthModel
import HearthRemoteProtocol
import Testing

@Suite struct WriteRequestTests {
    static let series: [(Labels, [Sample])] = [
        (Labels(["__name__": "up", "job": "node", "instance": "a:9100"]), [Sample(1000, 1), Sample(2000, 0)]),
        (Labels(["__name__": "http_requests_total", "code": "200"]), [Sample(1500, 42.5)]),
        (Labels(["__name__": "weird", "label": "ünïcödé \"quoted\""]), [Sample(-5, .infinity), Sample(7, .nan)]),
    ]

    static func decode(_ bytes: [UInt8], v2: Bool) throws -> ([(Labels, [Sample])], [String]) {
        var out: [(Labels, [Sample])] = []
        let invalid = try bytes.withUnsafeBytes { raw in
            let visit: (inout WriteSeries) throws -> Void = { s in out.append((Labels(sorted: s.labels), s.samples)) }
            return v2 ? try WriteRequestDecoder.decodeV2(raw, visit) : try WriteRequestDecoder.decodeV1(raw, visit)
        }
        return (out, invalid)
    }

    @Test(arguments: [false, true]) func roundTrips(v2: Bool) throws {
        let bytes = v2 ? WriteRequestEncoder.v2(Self.series) : WriteRequestEncoder.v1(Self.series)
        let (decoded, invalid) = try Self.decode(bytes, v2: v2)
        #expect(invalid.isEmpty)
        #expect(decoded.count == 3)
        for (a, b) in zip(decoded, Self.series) {
            #expect(a.0 == b.0)
            #expect(a.1.count == b.1.count)
            for (x, y) in zip(a.1, b.1) {
                #expect(x.timestamp == y.timestamp)
                #expect(x.value.bitPattern == y.value.bitPattern)
            }
        }
    }

    /// The queues' form: one time series per sample, in the order given; long strings, empty
    /// values' absence and varints of every width included.
    @Test(arguments: [false, true]) func oneSeriesPerSampleRoundTrips(v2: Bool) throws {
        let long = String(repeating: "x", count: 300)
        var pairs: [(Labels, Sample)] = []
        for (labels, samples) in Self.series { for s in samples { pairs.append((labels, s)) } }
        pairs.append((Labels(["__name__": long, "k": long]), Sample(Int64.max, -0.0)))
        pairs.append((Labels(["__name__": "neg"]), Sample(Int64.min, 1e300)))
        let bytes = v2 ? WriteRequestEncoder.v2(samples: pairs[...]) : WriteRequestEncoder.v1(samples: pairs[...])
        let (decoded, invalid) = try Self.decode(bytes, v2: v2)
        #expect(invalid.isEmpty)
        #expect(decoded.count == pairs.count)
        for (a, b) in zip(decoded, pairs) {
            #expect(a.0 == b.0)
            #expect(a.1.count == 1)
            #expect(a.1.first?.timestamp == b.1.timestamp)
            #expect(a.1.first?.value.bitPattern == b.1.value.bitPattern)
        }
    }

    @Test(arguments: [false, true]) func reportsInvalidLabelsAndKeepsTheRest(v2: Bool) throws {
        let bad: [(Labels, [Sample])] = [
            (Labels(sorted: [Label("__name__", "x"), Label("b", "1"), Label("a", "2")]), [Sample(1, 1)]),  // out of order
            (Labels(sorted: [Label("__name__", "x"), Label("a", "1"), Label("a", "2")]), [Sample(1, 1)]),  // duplicate
            (Labels(sorted: [Label("", "1"), Label("__name__", "x")]), [Sample(1, 1)]),  // empty name
            (Labels(sorted: [Label("job", "x")]), [Sample(1, 1)]),  // no metric name
            (Labels(["__name__": "good"]), [Sample(1, 1)]),
        ]
        let bytes = v2 ? WriteRequestEncoder.v2(bad) : WriteRequestEncoder.v1(bad)
        let (decoded, invalid) = try Self.decode(bytes, v2: v2)
        #expect(decoded.map { $0.0 } == [Labels(["__name__": "good"])])
        #expect(invalid.count == 4)
        #expect(invalid[0].contains("out of order"))
        #expect(invalid[1].contains("duplicate label name"))
        #expect(invalid[2].contains("empty label name"))
        #expect(invalid[3].contains("no metric name"))
    }

    @Test func refusesInvalidUTF8AndBadRefs() throws {
        // A label value with a lone continuation byte.
        var w = ProtoWriter()
        w.messageField(1) { ts in
            ts.messageField(1) { m in
                m.stringField(1, "__name__")
                m.bytesField(2, [0x61, 0x80])
            }
        }
        #expect(throws: ProtoError.self) { _ = try Self.decode(w.bytes, v2: false) }

        var v2 = ProtoWriter()
        v2.stringField(4, "")
        v2.messageField(5) { ts in ts.bytesField(1, [1, 7]) }
        #expect(throws: ProtoError.self) { _ = try Self.decode(v2.bytes, v2: true) }
    }

    /// Truncations and random bytes throw or decode; they never crash.
    @Test func survivesHostileInput() {
        var rng = SystemRandomNumberGenerator()
        let valid = WriteRequestEncoder.v1(Self.series)
        let validV2 = WriteRequestEncoder.v2(Self.series)
        for round in 0..<20_000 {
            let base = round % 2 == 0 ? valid : validV2
            var input: [UInt8]
            switch round % 4 {
            case 0, 1: input = Array(base.prefix(Int.random(in: 0..<base.count, using: &rng)))
            case 2:
                input = base
                for _ in 0..<3 { input[Int.random(in: 0..<input.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            default: input = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            _ = try? Self.decode(input, v2: round % 2 == 1)
        }
    }

    @Test func readRequestRoundTrips() throws {
        var r = ReadRequest()
        var q = ReadQuery()
        q.startMs = 1000
        q.endMs = 2000
        q.matchers = [(.equal, "__name__", "up"), (.regexMatch, "job", "no.*")]
        r.queries = [q]
        r.acceptedResponseTypes = [.streamedXORChunks, .samples]
        let decoded = try r.encode().withUnsafeBytes { raw in try ReadRequest.decode(raw) }
        #expect(decoded.queries == [q])
        #expect(decoded.acceptedResponseTypes == [.streamedXORChunks, .samples])
    }
}
