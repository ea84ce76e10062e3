import HearthEncoding
import HearthModel
import HearthRemoteProtocol
import Testing

/// Decoding what a remote-read endpoint answers, and refusing what a broken one sends.
@Suite struct ReadResponseTests {
    static let a = Labels(["__name__": "up", "job": "node", "instance": "a"])
    static let b = Labels(["__name__": "up", "job": "node", "instance": "b"])

    static func frame(_ series: [(Labels, [ReadResponseEncoder.XORChunk])], query: Int64 = 0) -> [UInt8] {
        ReadResponseEncoder.chunkedFrame(series, queryIndex: query)
    }

    static let chunk = ReadResponseEncoder.XORChunk(minTime: 1000, maxTime: 2000, bytes: [0, 2, 0xE8, 0x0F, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0x0F, 0xA0])

    @Test func samplesRoundTrip() throws {
        let body = ReadResponseEncoder.samples([
            [.init(labels: Self.a, samples: [Sample(1000, 1), Sample(2000, 0)]), .init(labels: Self.b, samples: [Sample(1000, 1)])],
            [],
        ])
        let results = try body.withUnsafeBytes { try ReadResponseDecoder.samples($0) }
        #expect(results.count == 2)
        #expect(results[0].map(\.labels) == [Self.a, Self.b])
        #expect(results[0][0].samples == [Sample(1000, 1), Sample(2000, 0)])
        #expect(results[1].isEmpty)
    }

    @Test func framesRoundTrip() throws {
        let body = Self.frame([(Self.a, [Self.chunk]), (Self.b, [Self.chunk])]) + Self.frame([(Self.a, [Self.chunk])], query: 1)
        try body.withUnsafeBytes { raw in
            var frames = ReadResponseDecoder.Frames(raw)
            let first = try #require(try frames.next())
            #expect(first.queryIndex == 0)
            #expect(first.series.map(\.labels) == [Self.a, Self.b])
            #expect(first.series[0].chunks == [ReadChunk(encoding: 1, minTime: 1000, maxTime: 2000, bytes: Self.chunk.bytes)])
            let second = try #require(try frames.next())
            #expect(second.queryIndex == 1)
            #expect(try frames.next() == nil)
        }
    }

    static func damaged(_ kind: String, _ good: [UInt8]) -> [UInt8] {
        switch kind {
        case "truncated": return Array(good.dropLast(3))
        case "bad CRC": var c = good; c[2] ^= 0x01; return c
        case "garbage": return Array("<html>502 Bad Gateway</html>".utf8)
        default: return [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0, 0, 0]  // oversized
        }
    }

    /// Every way a frame can be broken is an error naming the frame's offset.
    @Test(arguments: [("truncated", "truncated"), ("bad CRC", "checksum mismatch"), ("garbage", "frame at offset"),
                      ("oversized", "over the limit")])
    func brokenFramesAreErrors(_ kind: String, _ expected: String) {
        let good = Self.frame([(Self.a, [Self.chunk])])
        let body = good + Self.damaged(kind, good)
        body.withUnsafeBytes { raw in
            var frames = ReadResponseDecoder.Frames(raw, maxFrameBytes: 1 << 20)
            #expect((try? frames.next()) != nil, "the intact first frame decodes")
            do throws(ProtoError) {
                _ = try frames.next()
                Issue.record("\(kind): accepted")
            } catch {
                #expect(error.description.contains(expected), "\(kind): \(error)")
                #expect(error.description.contains("frame at offset \(good.count)"), "\(kind): \(error)")
            }
        }
    }

    @Test func invalidLabelsAndTimesAreRefused() {
        func message(_ build: (inout ProtoWriter) -> Void) -> [UInt8] {
            var w = ProtoWriter()
            w.messageField(1) { qr in qr.messageField(1) { ts in build(&ts) } }
            return w.bytes
        }
        let repeated = message { ts in
            for _ in 0..<2 { ts.messageField(1) { l in l.stringField(1, "job"); l.stringField(2, "x") } }
        }
        let unordered = message { ts in
            ts.messageField(1) { l in l.stringField(1, "job"); l.stringField(2, "x") }
            for t: Int64 in [2000, 1000] { ts.messageField(2) { s in s.doubleField(1, 1); s.int64Field(2, t) } }
        }
        let notUTF8 = message { ts in ts.messageField(1) { l in l.stringField(1, "job"); l.bytesField(2, [0xFF, 0xFE]) } }
        for (body, expected) in [(repeated, "duplicate"), (unordered, "out of order"), (notUTF8, "UTF-8")] {
            #expect(throws: ProtoError.self) { try body.withUnsafeBytes { try ReadResponseDecoder.samples($0) } }
            do { _ = try body.withUnsafeBytes { try ReadResponseDecoder.samples($0) } } catch {
                #expect("\(error)".lowercased().contains(expected.lowercased()), "\(error)")
            }
        }
    }
}
