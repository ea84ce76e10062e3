extension Snappy {
    /// Compresses `input` as one block. Greedy matching with a hash table of 4-byte sequences,
    /// in 64 KiB fragments so that every copy fits a 2-byte offset (as the reference encoder).
    public static func encode(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + input.count + input.count / 6)
        var n = UInt64(input.count)
        while n >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        out.append(UInt8(n))
        input.withUnsafeBufferPointer { src in
            var table = [Int32](repeating: -1, count: 1 << 14)
            var fragment = 0
            while fragment < src.count {
                let end = min(fragment + 65_536, src.count)
                for i in table.indices { table[i] = -1 }
                encodeFragment(src, from: fragment, to: end, table: &table, into: &out)
                fragment = end
            }
        }
        return out
    }

    @inline(__always)
    static func load32(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: UInt32.self)
    }

    @inline(__always)
    static func hash(_ v: UInt32) -> Int { Int((v &* 0x1E35_A7BD) >> 18) }

    static func encodeFragment(_ src: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, table: inout [Int32], into out: inout [UInt8]) {
        var literalStart = start
        var i = start
        while i + 4 <= end {
            let v = load32(src, i)
            let h = hash(v)
            let candidate = Int(table[h])
            table[h] = Int32(i)
            if candidate >= start && load32(src, candidate) == v {
                emitLiteral(src, from: literalStart, to: i, into: &out)
                var length = 4
                while i + length < end && src[candidate + length] == src[i + length] { length += 1 }
                emitCopy(offset: i - candidate, length: length, into: &out)
                i += length
                literalStart = i
            } else {
                i += 1
            }
        }
        emitLiteral(src, from: literalStart, to: end, into: &out)
    }

    static func emitLiteral(_ src: UnsafeBufferPointer<UInt8>, from: Int, to: Int, into out: inout [UInt8]) {
        let length = to - from
        guard length > 0 else { return }
        let n = length - 1
        if n < 60 {
            out.append(UInt8(n << 2))
        } else if n < 1 << 8 {
            out.append(60 << 2)
            out.append(UInt8(n))
        } else if n < 1 << 16 {
            out.append(61 << 2)
            out.append(UInt8(n & 0xFF))
            out.append(UInt8(n >> 8))
        } else {
            out.append(62 << 2)
            out.append(UInt8(n & 0xFF))
            out.append(UInt8((n >> 8) & 0xFF))
            out.append(UInt8(n >> 16))
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: src[from..<to]))
    }

    static func emitCopy(offset: Int, length: Int, into out: inout [UInt8]) {
        var length = length
        // Copies of up to 64 bytes with a 2-byte offset; keep at least 4 for the last one.
        while length >= 68 {
            out.append(UInt8(63 << 2 | 2))
            out.append(UInt8(offset & 0xFF))
            out.append(UInt8(offset >> 8))
            length -= 64
        }
        if length > 64 {
            out.append(UInt8(59 << 2 | 2))
            out.append(UInt8(offset & 0xFF))
            out.append(UInt8(offset >> 8))
            length -= 60
        }
        if length >= 12 || offset >= 2048 {
            out.append(UInt8((length - 1) << 2 | 2))
            out.append(UInt8(offset & 0xFF))
            out.append(UInt8(offset >> 8))
        } else {
            out.append(UInt8((offset >> 8) << 5 | (length - 4) << 2 | 1))
            out.append(UInt8(offset & 0xFF))
        }
    }
}
