import HearthSnappy
import Testing

@Suite struct SnappyTests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// Blocks written by the reference implementation (python-cramjam's snappy, `compress_raw`).
    @Test func decodesReferenceBlocks() throws {
        #expect(try Snappy.decode(Self.hex("00"), limit: 10) == [])
        #expect(try Snappy.decode(Self.hex("010061"), limit: 10) == Array("a".utf8))
        #expect(try Snappy.decode(Self.hex("231468656c6c6f205e060010776f726c64"), limit: 100)
                == Array("hello hello hello hello hello world".utf8))
        let abc = Array(repeating: Array("abcdefgh".utf8), count: 100).flatMap { $0 } + Array("xyz".utf8)
        #expect(try Snappy.decode(Self.hex("a3061c6162636465666768fe0800fe0800fe0800fe0800fe0800fe0800fe0800fe0800fe0800fe0800fe0800fe08005e08000878797a"), limit: 1000) == abc)
    }

    @Test func roundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        var inputs: [[UInt8]] = [[], [1], Array("the quick brown fox jumps over the lazy dog ".utf8)]
        for size in [3, 17, 64, 65, 1000, 70_000, 300_000] {
            inputs.append((0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) })
            inputs.append((0..<size).map { i in UInt8(truncatingIfNeeded: (i / 7) % 13) })
            inputs.append((0..<size).map { i in i % 100 < 90 ? 0x41 : UInt8.random(in: 0...3, using: &rng) })
        }
        for input in inputs {
            let encoded = Snappy.encode(input)
            #expect(try Snappy.decode(encoded, limit: input.count) == input)
        }
        // Repetitive data compresses.
        let repetitive = [UInt8](repeating: 7, count: 100_000)
        #expect(Snappy.encode(repetitive).count < 6000)
    }

    @Test func refusesBombsWithoutAllocating() {
        // Declares 2 GiB - 1 in a 5-byte header.
        let bomb: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00]
        #expect(throws: Snappy.DecodeError.tooLarge(declared: Int(Int32.max), limit: 1 << 20)) {
            _ = try Snappy.decode(bomb, limit: 1 << 20)
        }
        // Longer than a varint may be.
        #expect(throws: Snappy.DecodeError.badLength) {
            _ = try Snappy.decode([UInt8](repeating: 0x80, count: 11), limit: 100)
        }
        #expect(throws: Snappy.DecodeError.badLength) { _ = try Snappy.decode([], limit: 100) }
    }

    @Test func refusesCorruptInput() {
        // A copy before any output.
        #expect(throws: Snappy.DecodeError.badOffset) { _ = try Snappy.decode([4, 0x01, 0x01], limit: 100) }
        // A literal longer than the rest of the input.
        #expect(throws: Snappy.DecodeError.truncated) { _ = try Snappy.decode([5, 0x10, 0x61], limit: 100) }
        // More output than declared.
        #expect(throws: Snappy.DecodeError.lengthMismatch) { _ = try Snappy.decode([1, 0x04, 0x61, 0x62], limit: 100) }
        // Fewer.
        #expect(throws: Snappy.DecodeError.lengthMismatch) { _ = try Snappy.decode([3, 0x00, 0x61], limit: 100) }
    }

    /// Hostile input in bulk: truncations, bit flips and random bytes must decode or throw,
    /// never crash or allocate past the limit.
    @Test func survivesMutations() {
        var rng = SystemRandomNumberGenerator()
        let original = (0..<5000).map { i in UInt8(truncatingIfNeeded: (i * 31) % 97) }
        let valid = Snappy.encode(original)
        var decoded = 0, refused = 0
        for round in 0..<20_000 {
            var input = valid
            switch round % 3 {
            case 0: input = Array(input.prefix(Int.random(in: 0..<input.count, using: &rng)))
            case 1:
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let i = Int.random(in: 0..<input.count, using: &rng)
                    input[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            default: input = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            do {
                let out = try Snappy.decode(input, limit: 10_000)
                #expect(out.count <= 10_000)
                decoded += 1
            } catch {
                refused += 1
            }
        }
        #expect(decoded + refused == 20_000)
        #expect(refused > 0)
    }
}

#if canImport(Foundation)
import Foundation

/// Hearth's encoder against the reference decoder (python-cramjam's snappy, when installed).
@Suite struct SnappyReferenceTests {
    static let available: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import cramjam"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    @Test(.enabled(if: available, "python3 with cramjam is absent; skipping the reference-decoder check"))
    func referenceDecodesOurBlocks() throws {
        let input = (0..<200_000).map { i in UInt8(truncatingIfNeeded: i % 251 < 200 ? (i / 3) % 17 : i * 7) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-snappy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(Snappy.encode(input)).write(to: dir.appendingPathComponent("in.sz"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import cramjam,sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(bytes(cramjam.snappy.decompress_raw(d)))",
                       dir.appendingPathComponent("in.sz").path, dir.appendingPathComponent("out").path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(try [UInt8](Data(contentsOf: dir.appendingPathComponent("out"))) == input)
    }
}
#endif
