/// Variable-length integers in Go's `encoding/binary` layout, which Prometheus uses in chunks,
/// index and WAL records: little-endian base-128 groups, signed values zig-zag encoded.
public enum VarInt {
    /// The largest number of bytes a 64-bit varint occupies.
    public static let maxLength = 10

    /// Appends `value` as an unsigned varint (Go's `PutUvarint`).
    @inlinable
    public static func appendUnsigned(_ value: UInt64, to buffer: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends `value` zig-zag encoded (Go's `PutVarint`).
    @inlinable
    public static func appendSigned(_ value: Int64, to buffer: inout [UInt8]) {
        appendUnsigned(zigZag(value), to: &buffer)
    }

    @inlinable @inline(__always)
    public static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inlinable @inline(__always)
    public static func unZigZag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// Number of bytes `value` takes as an unsigned varint (seven bits a byte, at least one).
    @inlinable @inline(__always)
    public static func unsignedLength(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    /// Reads an unsigned varint at `offset`; returns nil on truncation or overflow,
    /// never traps on hostile bytes.
    @inlinable
    public static func readUnsigned(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = offset
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            if shift == 63 && b > 1 { return nil }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                offset = i
                return result
            }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    /// Reads a zig-zag signed varint at `offset`.
    @inlinable
    public static func readSigned(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) -> Int64? {
        guard let u = readUnsigned(bytes, at: &offset) else { return nil }
        return unZigZag(u)
    }
}
