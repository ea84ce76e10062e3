/// Fixed-width integers in big-endian order, as Prometheus's on-disk formats store them.
public enum BigEndian {
    @inlinable
    public static func append(_ value: UInt64, to buffer: inout [UInt8]) {
        var v = value.bigEndian
        withUnsafeBytes(of: &v) { buffer.append(contentsOf: $0) }
    }

    @inlinable
    public static func append(_ value: UInt32, to buffer: inout [UInt8]) {
        var v = value.bigEndian
        withUnsafeBytes(of: &v) { buffer.append(contentsOf: $0) }
    }

    @inlinable
    public static func append(_ value: UInt16, to buffer: inout [UInt8]) {
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }

    /// Reads a `UInt64` at `offset`; the caller has checked the bounds.
    @inlinable @inline(__always)
    public static func readUInt64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inlinable @inline(__always)
    public static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    public static func readUInt16(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
