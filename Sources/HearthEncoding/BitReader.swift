/// Reads a bit stream written by ``BitWriter`` from raw bytes, most significant bit first.
///
/// The reader does not own its bytes: callers pass the buffer on every call, so that the same
/// code reads from the Swift heap and from memory-mapped files without copying or retaining.
@frozen
public struct BitReader: Sendable {
    /// Position of the next bit to read, counted from the start of the buffer.
    public var bitOffset: Int

    @inlinable
    public init(bitOffset: Int = 0) {
        self.bitOffset = bitOffset
    }

    /// Reads one bit; nil at the end of the buffer.
    @inlinable @inline(__always)
    public mutating func readBit(_ bytes: UnsafeRawBufferPointer) -> Bool? {
        let byteIndex = bitOffset &>> 3
        guard byteIndex < bytes.count else { return nil }
        let bit = (bytes[byteIndex] &>> UInt8(7 &- (bitOffset & 7))) & 1
        bitOffset &+= 1
        return bit == 1
    }

    /// Reads `count` bits (1...64) as the low bits of the result; nil if the buffer ends first.
    @inlinable
    public mutating func readBits(_ bytes: UnsafeRawBufferPointer, count: Int) -> UInt64? {
        let end = bitOffset &+ count
        guard end <= bytes.count &* 8 else { return nil }
        let byteIndex = bitOffset &>> 3
        let shift = bitOffset & 7
        if byteIndex &+ 8 <= bytes.count && shift &+ count <= 64 {
            // Fast path: one unaligned 64-bit load covers every bit we need.
            let word = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: byteIndex, as: UInt64.self))
            bitOffset = end
            let aligned = word &<< UInt64(shift)
            return aligned &>> UInt64(64 &- count)
        }
        var result: UInt64 = 0
        var remaining = count
        while remaining > 0 {
            let idx = bitOffset &>> 3
            let used = bitOffset & 7
            let available = 8 &- used
            let take = min(available, remaining)
            let byte = UInt64(bytes[idx])
            let bits = (byte &>> UInt64(available &- take)) & ((1 &<< UInt64(take)) &- 1)
            result = (result &<< UInt64(take)) | bits
            bitOffset &+= take
            remaining &-= take
        }
        return result
    }

    /// Reads a whole byte at the current bit position.
    @inlinable @inline(__always)
    public mutating func readByte(_ bytes: UnsafeRawBufferPointer) -> UInt8? {
        guard let v = readBits(bytes, count: 8) else { return nil }
        return UInt8(truncatingIfNeeded: v)
    }
}
