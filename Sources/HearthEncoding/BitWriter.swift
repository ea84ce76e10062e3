/// An append-only bit stream, most significant bit first, with the layout of Prometheus's
/// `bstream`: when finished, unused low bits of the last byte are zero.
///
/// Bits collect in a 64-bit register and are spilled to `bytes` a whole byte at a time, so a
/// write is a shift and an OR rather than a read-modify-write of the array. Call ``flush()``
/// between logical records to keep fewer than 8 bits pending; ``finishedBytes()`` returns the
/// stream with the pending bits as a last, zero-padded byte.
@frozen
public struct BitWriter: Sendable {
    /// Complete bytes written so far.
    public var bytes: [UInt8]
    /// Pending bits, left-aligned (the next bit goes at position 63 − `pendingCount`).
    public var pending: UInt64
    /// Number of pending bits.
    public var pendingCount: UInt8

    @inlinable
    public init(bytes: [UInt8] = [], pending: UInt64 = 0, pendingCount: UInt8 = 0) {
        self.bytes = bytes
        self.pending = pending
        self.pendingCount = pendingCount
    }

    /// Total bits written.
    @inlinable
    public var bitCount: Int { bytes.count &* 8 &+ Int(pendingCount) }

    @inlinable @inline(__always)
    public mutating func writeBit(_ bit: Bool) {
        if pendingCount == 64 { flush() }
        if bit { pending |= 1 &<< UInt64(63 &- pendingCount) }
        pendingCount &+= 1
    }

    @inlinable @inline(__always)
    public mutating func writeByte(_ byte: UInt8) {
        writeBits(UInt64(byte), count: 8)
    }

    /// Writes the low `count` bits of `value` (1...64), most significant first.
    @inlinable @inline(__always)
    public mutating func writeBits(_ value: UInt64, count: Int) {
        if count > 56 {
            // After a flush up to 7 bits are pending: wider writes go in two parts.
            writeWide(value, count: count)
            return
        }
        if Int(pendingCount) &+ count > 64 { flush() }
        let masked = value & ((1 &<< UInt64(count)) &- 1)
        pending |= masked &<< UInt64(64 &- Int(pendingCount) &- count)
        pendingCount &+= UInt8(truncatingIfNeeded: count)
    }

    @inlinable
    mutating func writeWide(_ value: UInt64, count: Int) {
        writeBits(value &>> 32, count: count &- 32)
        writeBits(value & 0xFFFF_FFFF, count: 32)
    }

    /// Moves every complete pending byte to `bytes`, leaving fewer than 8 bits pending.
    @inlinable @inline(__always)
    public mutating func flush() {
        // Byte appends measured faster than one generic append(contentsOf:) for the
        // typical 1–3 bytes a sample completes.
        while pendingCount >= 8 {
            if bytes.count == bytes.capacity { grow() }
            bytes.append(UInt8(truncatingIfNeeded: pending &>> 56))
            pending = pending &<< 8
            pendingCount &-= 8
        }
    }

    /// Grows by an eighth rather than doubling: the head keeps one open chunk per series, and
    /// doubling left a third of that memory unused on average.
    @inlinable
    mutating func grow() {
        bytes.reserveCapacity(bytes.count &+ Swift.max(16, bytes.count &>> 3))
    }

    /// The stream as bytes, the pending bits zero-padded into a last byte.
    @inlinable
    public func finishedBytes() -> [UInt8] {
        var copy = self
        copy.flush()
        if copy.pendingCount > 0 { copy.bytes.append(UInt8(truncatingIfNeeded: copy.pending &>> 56)) }
        return copy.bytes
    }
}
