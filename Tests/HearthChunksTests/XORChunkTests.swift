import HearthChunks
import HearthEncoding
import Testing

@Suite struct XORChunkTests {
    static let staleNaN = Double(bitPattern: 0x7FF0_0000_0000_0002)

    func decode(_ bytes: [UInt8]) throws -> [(Int64, UInt64)] {
        var ts: [Int64] = []
        var vs: [Double] = []
        var failure: ChunkDecodeError?
        bytes.withUnsafeBytes { raw in
            do throws(ChunkDecodeError) { try decodeXORChunk(raw, timestamps: &ts, values: &vs) } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return zip(ts, vs.map(\.bitPattern)).map { ($0, $1) }
    }

    func roundTrip(_ samples: [(Int64, Double)]) throws {
        var a = XORAppender()
        for (t, v) in samples { a.append(timestamp: t, value: v) }
        let got = try decode(a.bytes)
        #expect(got.count == samples.count)
        for (g, w) in zip(got, samples) {
            #expect(g.0 == w.0)
            #expect(g.1 == w.1.bitPattern, "value bits at t=\(w.0)")
        }
        // The pull iterator agrees with the bulk decoder.
        var it = XORIterator(bytes: a.bytes)
        var n = 0
        while it.next() {
            #expect(it.timestamp == samples[n].0)
            #expect(it.value.bitPattern == samples[n].1.bitPattern)
            n += 1
        }
        #expect(it.error == nil)
        #expect(n == samples.count)
    }

    @Test func regularScrapes() throws {
        try roundTrip((0..<120).map { (1_700_000_000_000 + Int64($0) * 15_000, Double($0) * 1.5) })
    }

    @Test func specialFloatsAndStaleMarkers() throws {
        let values: [Double] = [0, -0.0, .infinity, -.infinity, .nan, Self.staleNaN, .greatestFiniteMagnitude,
                                .leastNonzeroMagnitude, -1e-300, 42, 42, Self.staleNaN, 1, .nan]
        try roundTrip(values.enumerated().map { (Int64($0.offset) * 1000, $0.element) })
    }

    @Test func irregularTimestampsCoverEveryDeltaOfDeltaWidth() throws {
        // Jitter of each encoding width: 0, 14, 17, 20 and 64 bits, both signs.
        let deltas: [Int64] = [15_000, 15_000, 15_001, 14_000, 15_000 + 8_000, 15_000 - 8_191, 15_000 + 65_000,
                               15_000 + 500_000, 15_000 + 10_000_000_000, 1, 2, 1_000_000_000_000]
        var t: Int64 = -5_000_000
        var samples: [(Int64, Double)] = []
        for (i, d) in deltas.enumerated() {
            t += d
            samples.append((t, Double(i)))
        }
        try roundTrip(samples)
    }

    @Test func randomChunks() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var t = Int64.random(in: -1_000_000_000...1_000_000_000_000, using: &rng)
            var v = Double.random(in: -1e6...1e6, using: &rng)
            var samples: [(Int64, Double)] = []
            for _ in 0..<Int.random(in: 1...240, using: &rng) {
                samples.append((t, v))
                t += Int64.random(in: 1...100_000, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: break
                case 1: v += 1
                case 2: v = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
                default: v = Double.random(in: -1e6...1e6, using: &rng)
                }
            }
            try roundTrip(samples)
        }
    }

    /// The exact bytes Prometheus's encoder produces, worked out by hand from `chunkenc/xor.go`:
    /// count 3; t0=1000 as a zig-zag varint (2000 → 0xD0 0x0F); v0=1.0 as 64 raw bits; the delta
    /// 1000 as a uvarint (0xE8 0x07) and value 1.0 again (one 0 bit); then dod 0 (one 0 bit) and
    /// value 2.0, whose XOR with 1.0 is 0x7FF0000000000000: bits 1 1, leading 1 (00001),
    /// 11 significant bits (001011), then 11111111111, then zero padding.
    @Test func bytesMatchPrometheusEncoding() {
        var a = XORAppender()
        a.append(timestamp: 1000, value: 1.0)
        a.append(timestamp: 2000, value: 1.0)
        a.append(timestamp: 3000, value: 2.0)
        let expected: [UInt8] = [0x00, 0x03, 0xD0, 0x0F, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0xE8, 0x07,
                                 0b0011_0000, 0b1001_0111, 0b1111_1111, 0b1100_0000]
        #expect(a.bytes == expected)
    }

    @Test func resumingAChunkContinuesItExactly() throws {
        var a = XORAppender()
        var b = XORAppender()
        for i in 0..<50 { a.append(timestamp: Int64(i) * 1000, value: Double(i % 7)) }
        let resumed = XORAppender(resuming: a.bytes)
        #expect(resumed != nil)
        b = resumed!
        for i in 50..<100 {
            a.append(timestamp: Int64(i) * 1000, value: Double(i % 7))
            b.append(timestamp: Int64(i) * 1000, value: Double(i % 7))
        }
        #expect(a.bytes == b.bytes)
    }

    @Test func malformedChunksFailWithoutTrapping() {
        var a = XORAppender()
        for i in 0..<30 { a.append(timestamp: Int64(i) * 997, value: Double(i) * 3.3) }
        for cut in stride(from: 0, to: a.bytes.count, by: 1) {
            var it = XORIterator(bytes: Array(a.bytes[..<cut]))
            while it.next() {}
            if cut < a.bytes.count - 1 { #expect(it.error != nil || it.declaredCount == 0) }
        }
        #expect(XORAppender(resuming: [0x00, 0x05, 0x01]) == nil)
    }
}

@Suite struct XORAppenderStateTests {
    @Test func stateRoundTripContinuesTheChunkExactly() {
        for n in [1, 2, 3, 7, 50, 120] {
            var a = XORAppender()
            for i in 0..<n { a.append(timestamp: Int64(i) * 15_000 + Int64(i % 3), value: Double(i) / 7) }
            let restored = XORAppender(restoring: a.state)
            #expect(restored != nil, "n=\(n) state=\(a.state)")
            guard var b = restored else { continue }
            a.append(timestamp: 10_000_000, value: 1)
            b.append(timestamp: 10_000_000, value: 1)
            #expect(a.bytes == b.bytes)
        }
    }
}

@Suite struct XORAppenderBytesTests {
    @Test func appendBytesMatchesBytes() {
        var a = XORAppender()
        for i in 0..<100 {
            a.append(timestamp: Int64(i) * 1000, value: Double(i) * 1.1)
            var out: [UInt8] = [0xAA]
            a.appendBytes(to: &out)
            #expect(Array(out.dropFirst()) == a.bytes)
        }
    }
}
