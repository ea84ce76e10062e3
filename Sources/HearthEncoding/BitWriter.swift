/// An append-only bit stream over a byte array, most significant bit first, with the same
/// layout as Prometheus's `bstream`: unused low bits of the last byte are zero.
///
/// The XOR chunk appender keeps one of these per open chunk, so it is a small value type.
@frozen
public struct BitWriter: Sendable {
    /// The stream's bytes; the last byte may be partially filled.
    public var bytes: [UInt8]
    /// Number of unused low bits in the last byte (0 when a new byte is needed).
    public var freeBits: UInt8

    @inlinable
    public init(bytes: [UInt8] = [], freeBits: UInt8 = 0) {
        self.bytes = bytes
        self.freeBits = freeBits
    }

    @inlinable
    public mutating func writeBit(_ bit: Bool) {
        if freeBits == 0 {
            bytes.append(0)
            freeBits = 8
        }
        freeBits &-= 1
        if bit {
            bytes[bytes.count &- 1] |= 1 &<< freeBits
        }
    }

    /// Writes a whole byte (Prometheus writes varints this way, aligned or not).
    @inlinable
    public mutating func writeByte(_ byte: UInt8) {
        if freeBits == 0 {
            bytes.append(byte)
            return
        }
        let last = bytes.count &- 1
        bytes[last] |= byte &>> (8 &- freeBits)
        bytes.append(byte &<< freeBits)
    }

    /// Writes the low `count` bits of `value`, most significant first. `count` is 1...64.
    @inlinable
    public mutating func writeBits(_ value: UInt64, count: Int) {
        var n = count
        // Left-align so the next bit to write is the top bit.
        var v = n == 64 ? value : value &<< UInt64(64 &- n)
        while n > 0 {
            if freeBits == 0 {
                if n >= 8 {
                    // Whole bytes can be appended directly while aligned.
                    bytes.append(UInt8(truncatingIfNeeded: v &>> 56))
                    v = v &<< 8
                    n &-= 8
                    continue
                }
                bytes.append(0)
                freeBits = 8
            }
            let take = min(Int(freeBits), n)
            let top = UInt8(truncatingIfNeeded: v &>> UInt64(64 &- take))
            freeBits &-= UInt8(take)
            bytes[bytes.count &- 1] |= top &<< freeBits
            v = v &<< UInt64(take)
            n &-= take
        }
    }
}
