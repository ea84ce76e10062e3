/// Why a protobuf message cannot be read.
public struct ProtoError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads protobuf wire format in place: no message objects, no copies until the caller asks for
/// a string. Every length is checked against the remaining input before it is used.
public struct ProtoReader {
    public let buffer: UnsafeRawBufferPointer
    public private(set) var position: Int

    public init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
        self.position = 0
    }

    public var isAtEnd: Bool { position >= buffer.count }

    @inline(__always)
    public mutating func varint() throws(ProtoError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < buffer.count {
            let b = buffer[position]
            position += 1
            if shift == 63 && b > 1 { throw ProtoError("varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
        throw ProtoError("truncated varint")
    }

    /// The next field number and wire type, or nil at the end.
    @inline(__always)
    public mutating func tag() throws(ProtoError) -> (field: Int, wireType: Int)? {
        if position >= buffer.count { return nil }
        let key = try varint()
        let field = Int(truncatingIfNeeded: key >> 3)
        guard field > 0 else { throw ProtoError("invalid field number 0") }
        return (field, Int(key & 7))
    }

    @inline(__always)
    public mutating func fixed64() throws(ProtoError) -> UInt64 {
        guard buffer.count - position >= 8 else { throw ProtoError("truncated fixed64") }
        let v = buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: v)
    }

    @inline(__always)
    public mutating func double() throws(ProtoError) -> Double { Double(bitPattern: try fixed64()) }

    /// A length-delimited field's bytes (a view into the buffer).
    @inline(__always)
    public mutating func bytes() throws(ProtoError) -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(buffer.count - position) else { throw ProtoError("length \(length) exceeds the message") }
        let slice = UnsafeRawBufferPointer(rebasing: buffer[position..<(position + Int(length))])
        position += Int(length)
        return slice
    }

    /// Skips a field of the given wire type.
    public mutating func skip(_ wireType: Int) throws(ProtoError) {
        switch wireType {
        case 0: _ = try varint()
        case 1:
            guard buffer.count - position >= 8 else { throw ProtoError("truncated fixed64") }
            position += 8
        case 2: _ = try bytes()
        case 5:
            guard buffer.count - position >= 4 else { throw ProtoError("truncated fixed32") }
            position += 4
        default: throw ProtoError("unsupported wire type \(wireType)")
        }
    }

    /// Checks that a field has the wire type its schema gives it.
    @inline(__always)
    public static func expect(_ wireType: Int, _ expected: Int, field: String) throws(ProtoError) {
        guard wireType == expected else { throw ProtoError("field \(field) has wire type \(wireType), want \(expected)") }
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as a String if they are valid UTF-8.
    public func validatedString() -> String? {
        String(validating: self.bindMemory(to: UInt8.self), as: UTF8.self)
    }
}

/// Writes protobuf wire format into a byte array.
public struct ProtoWriter {
    public var bytes: [UInt8] = []

    public init() {}

    @inline(__always)
    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    public mutating func tag(_ field: Int, _ wireType: Int) { varint(UInt64(field << 3 | wireType)) }

    public mutating func varintField(_ field: Int, _ v: UInt64) {
        tag(field, 0)
        varint(v)
    }

    public mutating func int64Field(_ field: Int, _ v: Int64) { varintField(field, UInt64(bitPattern: v)) }

    public mutating func doubleField(_ field: Int, _ v: Double) {
        tag(field, 1)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func bytesField(_ field: Int, _ v: some Collection<UInt8>) {
        tag(field, 2)
        varint(UInt64(v.count))
        bytes.append(contentsOf: v)
    }

    public mutating func stringField(_ field: Int, _ s: String) { bytesField(field, s.utf8) }

    /// A nested message written by `body`.
    public mutating func messageField(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        body(&inner)
        bytesField(field, inner.bytes)
    }
}
