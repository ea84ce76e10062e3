import HearthEncoding
import Testing

@Suite struct VarIntTests {
    @Test(arguments: [Int64(0), 1, -1, 63, -64, 64, 300, -300, .max, .min, 1 << 40])
    func signedRoundTrip(_ v: Int64) {
        var buf: [UInt8] = []
        VarInt.appendSigned(v, to: &buf)
        var off = 0
        let back = buf.withUnsafeBytes { VarInt.readSigned($0, at: &off) }
        #expect(back == v)
        #expect(off == buf.count)
    }

    @Test func unsignedMatchesGoLayout() {
        var buf: [UInt8] = []
        VarInt.appendUnsigned(300, to: &buf)
        #expect(buf == [0xAC, 0x02])
        buf = []
        VarInt.appendSigned(-1, to: &buf)
        #expect(buf == [0x01])
    }

    /// The length is what the encoder writes, at every width's edges.
    @Test func unsignedLengthIsTheEncodedLength() {
        var values: [UInt64] = [0, .max]
        for bits in stride(from: 7, to: 64, by: 7) { values += [1 << UInt64(bits) - 1, 1 << UInt64(bits)] }
        for v in values {
            var buf: [UInt8] = []
            VarInt.appendUnsigned(v, to: &buf)
            #expect(VarInt.unsignedLength(v) == buf.count, "\(v)")
        }
    }

    @Test func truncatedAndOverlongAreRejected() {
        var off = 0
        #expect([UInt8]([0x80, 0x80]).withUnsafeBytes { VarInt.readUnsigned($0, at: &off) } == nil)
        off = 0
        let overlong = [UInt8](repeating: 0xFF, count: 11)
        #expect(overlong.withUnsafeBytes { VarInt.readUnsigned($0, at: &off) } == nil)
    }
}

@Suite struct ChecksumTests {
    @Test func crc32cKnownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func hardwareAndSoftwareAgree() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099] {
            let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            data.withUnsafeBytes { raw in
                #expect(CRC32C.checksum(raw) == CRC32C.softwareChecksum(raw), "n=\(n)")
                #expect(CRC32C.checksum(raw, continuing: 12345) == CRC32C.softwareChecksum(raw, continuing: 12345))
            }
        }
    }

    @Test func crc32cContinuesAcrossPieces() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = CRC32C.checksum(data)
        let first = CRC32C.checksum(Array(data[..<333]))
        #expect(CRC32C.checksum(Array(data[333...]), continuing: first) == whole)
    }

    @Test func xxhash64KnownVectors() {
        #expect(XXHash64.hash([]) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        let long = Array("Nobody inspects the spammish repetition".utf8)
        #expect(XXHash64.hash(long) == 0xFBCE_A83C_8A37_8BF1)
    }
}

@Suite struct BitStreamTests {
    @Test func roundTripOfMixedWidths() {
        var rng = SystemRandomNumberGenerator()
        var w = BitWriter()
        var written: [(UInt64, Int)] = []
        for _ in 0..<5000 {
            let n = Int.random(in: 1...64, using: &rng)
            let v = UInt64.random(in: 0...UInt64.max, using: &rng) & (n == 64 ? .max : (1 << UInt64(n)) - 1)
            if Bool.random(using: &rng) {
                w.writeBits(v, count: n)
                written.append((v, n))
            } else {
                let b = UInt8(truncatingIfNeeded: v)
                w.writeByte(b)
                written.append((UInt64(b), 8))
            }
        }
        var r = BitReader()
        w.finishedBytes().withUnsafeBytes { raw in
            for (v, n) in written {
                #expect(r.readBits(raw, count: n) == v)
            }
            // Only padding is left.
            #expect(r.bitOffset + 8 > raw.count * 8)
        }
    }

    @Test func readingPastTheEndFailsCleanly() {
        let bytes: [UInt8] = [0xAB]
        var r = BitReader()
        bytes.withUnsafeBytes { raw in
            #expect(r.readBits(raw, count: 4) == 0xA)
            #expect(r.readBits(raw, count: 5) == nil)
            #expect(r.readBits(raw, count: 4) == 0xB)
            #expect(r.readBit(raw) == nil)
        }
    }
}
