import HearthChunks
import HearthEncoding
import Testing

@Suite struct HeadChunkEncoderTests {
    static let staleNaN = Double(bitPattern: 0x7FF0_0000_0000_0002)

    /// Encodes `samples` into a byte array the way the head does into its segments.
    func encode(_ samples: [(Int64, Double)]) -> (encoding: ChunkEncoding, bytes: [UInt8]) {
        var encoder = HeadChunkEncoder()
        var complete: [UInt8] = [0, 0]
        for (t, v) in samples { encoder.append(timestamp: t, value: v, into: &complete) }
        complete[0] = UInt8(truncatingIfNeeded: encoder.count >> 8)
        complete[1] = UInt8(truncatingIfNeeded: encoder.count)
        if encoder.pendingBits > 0 { complete.append(encoder.pendingByte) }
        #expect(encoder.count == UInt16(samples.count))
        if let last = samples.last {
            #expect(encoder.lastTimestamp == last.0)
            #expect(encoder.lastValue.bitPattern == last.1.bitPattern)
            #expect(complete.withUnsafeBufferPointer { b in encoder.firstTimestamp(completeCount: b.count) { b[$0] } } == samples[0].0)
        }
        return (encoder.encoding, complete)
    }

    func decoded<D: ChunkSampleDecoder>(_ bytes: [UInt8], as: D.Type) throws -> [(Int64, UInt64)] {
        var out: [(Int64, UInt64)] = []
        var failure: ChunkDecodeError?
        bytes.withUnsafeBytes { raw in
            let total = XORDecoder.declaredCount(raw)
            var d = D()
            do throws(ChunkDecodeError) {
                while try d.next(raw, total: total) { out.append((d.t, d.valueBits)) }
            } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }

    /// Every sample comes back bit for bit, and the XOR conversion equals a chunk built by
    /// Prometheus's encoder from the same samples.
    func roundTrip(_ samples: [(Int64, Double)], expect encoding: ChunkEncoding? = nil) throws {
        let (enc, bytes) = encode(samples)
        if let encoding { #expect(enc == encoding) }
        let got = enc == .decimal ? try decoded(bytes, as: DecimalDecoder.self) : try decoded(bytes, as: XORDecoder.self)
        #expect(got.count == samples.count)
        for (g, w) in zip(got, samples) {
            #expect(g.0 == w.0)
            #expect(g.1 == w.1.bitPattern, "value \(w.1) at t=\(w.0) came back as \(Double(bitPattern: g.1))")
        }
        var xor = XORAppender()
        for (t, v) in samples { xor.append(timestamp: t, value: v) }
        if enc == .decimal {
            let converted = try bytes.withUnsafeBytes { raw throws(ChunkDecodeError) in try DecimalChunk.xorBytes(raw) }
            #expect(converted == xor.bytes)
        } else {
            #expect(bytes == xor.bytes)
        }
    }

    func series(_ values: [Double], start: Int64 = 1_700_000_000_000, step: Int64 = 15_000) -> [(Int64, Double)] {
        values.indices.map { (start + Int64($0) * step, values[$0]) }
    }

    @Test func countersAndGaugesUseTheDecimalEncodingAndAreSmaller() throws {
        var rng = SplitMix(seed: 7)
        var counter = 123_456.0, gauge = 1.5, bytes = 8_589_934_592.0
        var c: [Double] = [], g: [Double] = [], b: [Double] = []
        for _ in 0..<120 {
            counter = ((counter + 10 + Double(rng.next() % 1000) / 100) * 100).rounded() / 100
            gauge = ((gauge + Double(Int(rng.next() % 61) - 30) / 100) * 100).rounded() / 100
            bytes += Double(rng.next() % 100_000) * 4096
            c.append(counter); g.append(gauge); b.append(bytes)
        }
        for values in [c, g] {
            let s = series(values)
            try roundTrip(s, expect: .decimal)
            var xor = XORAppender()
            for (t, v) in s { xor.append(timestamp: t, value: v) }
            let decimalSize = encode(s).bytes.count
            #expect(decimalSize * 10 < xor.bytes.count * 8, "decimal \(decimalSize) vs XOR \(xor.bytes.count) bytes")
            let counted = try xor.bytes.withUnsafeBytes { raw throws(ChunkDecodeError) in try DecimalChunk.decimalByteCount(ofXOR: raw) }
            #expect(counted == decimalSize)
        }
        // Multiples of 4096 leave XOR's low bits zero, and XOR is smaller: the head measures
        // both when it cuts a chunk and starts the next one in the smaller.
        let s = series(b)
        try roundTrip(s, expect: .decimal)
        var xor = XORAppender()
        for (t, v) in s { xor.append(timestamp: t, value: v) }
        let counted = try xor.bytes.withUnsafeBytes { raw throws(ChunkDecodeError) in try DecimalChunk.decimalByteCount(ofXOR: raw) }
        #expect(counted == encode(s).bytes.count)
        #expect(counted > xor.bytes.count)
        var forced = HeadChunkEncoder(decimal: false)
        var forcedBytes: [UInt8] = [0, 0]
        for (t, v) in s { forced.append(timestamp: t, value: v, into: &forcedBytes) }
        #expect(forced.encoding == .xor)
    }

    @Test func valuesThatAreNotShortDecimalsComeBackExactly() throws {
        let odd: [Double] = [.nan, Self.staleNaN, -0.0, .infinity, -.infinity, 0.1 + 0.2, 1e300, .leastNonzeroMagnitude,
                             .greatestFiniteMagnitude, 9_007_199_254_740_994, 1.0 / 3.0, -1e-20]
        // Each odd value in the middle of a decimal chunk, and the chunk after an odd first value.
        for v in odd {
            try roundTrip(series([1, 2, 3, v, 5, 6, v, v, 7]), expect: .decimal)
            try roundTrip(series([v, 1, 2, 3]), expect: .xor)
        }
        try roundTrip(series(odd + odd.reversed()), expect: .xor)
        try roundTrip(series([0, 1] + odd + [1, 2]), expect: .decimal)
    }

    @Test func exponentGrowsWithinAChunk() throws {
        try roundTrip(series([5, 6, 6.5, 6.25, 6.125, 7, 1e-15, 0.000_001, 1_000_000, 8]), expect: .decimal)
        // A growth that would overflow the scaled integer falls back to XOR values.
        try roundTrip(series([9e15, 9e15 + 2, 0.5, 9e15, 1e-15, 3]), expect: .decimal)
        try roundTrip(series([-4.5, -4.25, 100.125, -0.001]), expect: .decimal)
    }

    @Test func largeJumpsUseTheWideCodes() throws {
        try roundTrip(series([0, 4_503_599_627_370_495, -4_503_599_627_370_495, 0, 1, 9_007_199_254_740_991,
                              -9_007_199_254_740_991, 12, 12, 12]), expect: .decimal)
    }

    @Test func irregularTimestampsMatchXOR() throws {
        let times: [Int64] = [-5, 0, 1, 1_000, 1_001, 70_000, 70_001, 1 << 40, (1 << 40) + 1, (1 << 40) + 15_000]
        try roundTrip(times.enumerated().map { ($0.element, Double($0.offset)) }, expect: .decimal)
        try roundTrip([(42, 1.25)], expect: .decimal)
        try roundTrip([], expect: nil)
    }

    @Test func randomSeriesRoundTrip() throws {
        var rng = SplitMix(seed: 99)
        for round in 0..<300 {
            var values: [Double] = []
            var v = Double(Int(rng.next() % 2_000_000) - 1_000_000) / 100
            let n = 1 + Int(rng.next() % 240)
            for _ in 0..<n {
                switch rng.next() % 12 {
                case 0: values.append(Double(bitPattern: rng.next()))
                case 1: values.append(Self.staleNaN)
                case 2: v = (v * 1000 + Double(rng.next() % 7)).rounded() / 1000
                case 3: v = Double(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
                default: v += Double(rng.next() % 500) / 4
                }
                values.append(v)
            }
            var t = Int64(rng.next() % (1 << 41))
            var s: [(Int64, Double)] = []
            for x in values {
                s.append((t, x))
                t += 1 + Int64(rng.next() % (round % 3 == 0 ? 100_000 : 2))
            }
            try roundTrip(s)
        }
    }

    @Test func truncatedChunksThrowInsteadOfTrapping() throws {
        let (_, bytes) = encode(series((0..<50).map { Double($0) * 1.25 }))
        for cut in 2..<bytes.count {
            let prefix = Array(bytes[..<cut])
            _ = try? decoded(prefix, as: DecimalDecoder.self)
            _ = try? prefix.withUnsafeBytes { raw throws(ChunkDecodeError) in try DecimalChunk.xorBytes(raw) }
        }
        var rng = SplitMix(seed: 3)
        for _ in 0..<2_000 {
            var junk = bytes
            junk[2 + Int(rng.next() % UInt64(bytes.count - 2))] ^= UInt8(truncatingIfNeeded: rng.next())
            _ = try? decoded(junk, as: DecimalDecoder.self)
        }
    }
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
