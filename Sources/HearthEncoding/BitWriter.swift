/// Where a ``BitRegister`` spills its complete bytes: a growing array, or the head's paged
/// chunk space. A protocol used only as a generic constraint, so every writer is specialized.
public protocol ByteSink {
    /// Appends one byte.
    mutating func appendByte(_ byte: UInt8)
}

extension Array: ByteSink where Element == UInt8 {
    /// Grows by an eighth rather than doubling: doubling would leave a third of a chunk's
    /// buffer unused on average.
    @inlinable @inline(__always)
    public mutating func appendByte(_ byte: UInt8) {
        if count == capacity { reserveCapacity(count &+ Swift.max(16, count &>> 3)) }
        append(byte)
    }
}

/// The bit-level half of an append-only bit stream, most significant bit first, with the
/// layout of Prometheus's `bstream`. Bits collect in a 64-bit register and are spilled to a
/// ``ByteSink`` a whole byte at a time, so a write is a shift and an OR rather than a
/// read-modify-write of memory. The register does not own the bytes: each call takes the sink.
@frozen
public struct BitRegister: Sendable {
    /// Pending bits, left-aligned (the next bit goes at position 63 − `pendingCount`).
    public var pending: UInt64
    /// Number of pending bits.
    public var pendingCount: UInt8

    @inlinable
    public init(pending: UInt64 = 0, pendingCount: UInt8 = 0) {
        self.pending = pending
        self.pendingCount = pendingCount
    }

    @inlinable @inline(__always)
    public mutating func writeBit<Sink: ByteSink>(_ bit: Bool, into sink: inout Sink) {
        if pendingCount == 64 { flush(into: &sink) }
        if bit { pending |= 1 &<< UInt64(63 &- pendingCount) }
        pendingCount &+= 1
    }

    /// Writes the low `count` bits of `value` (1...64), most significant first.
    @inlinable @inline(__always)
    public mutating func writeBits<Sink: ByteSink>(_ value: UInt64, count: Int, into sink: inout Sink) {
        if count > 56 {
            // After a flush up to 7 bits are pending: wider writes go in two parts.
            writeBits(value &>> 32, count: count &- 32, into: &sink)
            writeBits(value & 0xFFFF_FFFF, count: 32, into: &sink)
            return
        }
        if Int(pendingCount) &+ count > 64 { flush(into: &sink) }
        let masked = value & ((1 &<< UInt64(count)) &- 1)
        pending |= masked &<< UInt64(64 &- Int(pendingCount) &- count)
        pendingCount &+= UInt8(truncatingIfNeeded: count)
    }

    /// Moves every complete pending byte to `sink`, leaving fewer than 8 bits pending.
    @inlinable @inline(__always)
    public mutating func flush<Sink: ByteSink>(into sink: inout Sink) {
        // Byte appends measured faster than one generic append(contentsOf:) for the
        // typical 1–3 bytes a sample completes.
        while pendingCount >= 8 {
            sink.appendByte(UInt8(truncatingIfNeeded: pending &>> 56))
            pending = pending &<< 8
            pendingCount &-= 8
        }
    }

    /// The pending bits as a zero-padded byte (meaningful when 1...7 bits are pending).
    @inlinable
    public var pendingByte: UInt8 { UInt8(truncatingIfNeeded: pending &>> 56) }
}

/// A ``BitRegister`` with its own byte array. Call ``flush()`` between logical records to keep
/// fewer than 8 bits pending; ``finishedBytes()`` returns the stream with the pending bits as a
/// last, zero-padded byte.
@frozen
public struct BitWriter: Sendable {
    /// Complete bytes written so far.
    public var bytes: [UInt8]
    public var register: BitRegister

    @inlinable
    public init(bytes: [UInt8] = [], pending: UInt64 = 0, pendingCount: UInt8 = 0) {
        self.bytes = bytes
        self.register = BitRegister(pending: pending, pendingCount: pendingCount)
    }

    /// Pending bits, left-aligned.
    @inlinable
    public var pending: UInt64 { register.pending }
    /// Number of pending bits.
    @inlinable
    public var pendingCount: UInt8 { register.pendingCount }

    /// Total bits written.
    @inlinable
    public var bitCount: Int { bytes.count &* 8 &+ Int(register.pendingCount) }

    @inlinable @inline(__always)
    public mutating func writeBit(_ bit: Bool) { register.writeBit(bit, into: &bytes) }

    @inlinable @inline(__always)
    public mutating func writeByte(_ byte: UInt8) { register.writeBits(UInt64(byte), count: 8, into: &bytes) }

    /// Writes the low `count` bits of `value` (1...64), most significant first.
    @inlinable @inline(__always)
    public mutating func writeBits(_ value: UInt64, count: Int) { register.writeBits(value, count: count, into: &bytes) }

    /// Moves every complete pending byte to `bytes`, leaving fewer than 8 bits pending.
    @inlinable @inline(__always)
    public mutating func flush() { register.flush(into: &bytes) }

    /// The stream as bytes, the pending bits zero-padded into a last byte.
    @inlinable
    public func finishedBytes() -> [UInt8] {
        var copy = self
        copy.flush()
        if copy.register.pendingCount > 0 { copy.bytes.append(copy.register.pendingByte) }
        return copy.bytes
    }
}
