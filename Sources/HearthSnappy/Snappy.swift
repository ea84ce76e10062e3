/// Snappy's block format (not the framing format): what Prometheus's remote write and remote read
/// bodies are compressed with. <https://github.com/google/snappy/blob/main/format_description.txt>
///
/// A block is the uncompressed length as a varint, then elements: literals (tag `00`) and copies
/// of earlier output with a 1-, 2- or 4-byte offset (tags `01`, `10`, `11`).
public enum Snappy {
    /// Why a block cannot be decoded.
    public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The length header is missing or not a varint.
        case badLength
        /// The declared length is over the caller's limit (a decompression bomb, or just too big).
        case tooLarge(declared: Int, limit: Int)
        /// The input ends inside an element.
        case truncated
        /// A copy refers to bytes before the start of the output.
        case badOffset
        /// The elements produce more or fewer bytes than the header declares.
        case lengthMismatch

        public var description: String {
            switch self {
            case .badLength: return "snappy: invalid length header"
            case .tooLarge(let declared, let limit):
                return "snappy: decoded length \(declared) exceeds the limit of \(limit) bytes"
            case .truncated: return "snappy: corrupt input (truncated)"
            case .badOffset: return "snappy: corrupt input (copy offset out of range)"
            case .lengthMismatch: return "snappy: corrupt input (length mismatch)"
            }
        }
    }

    /// The uncompressed length a block declares.
    public static func decodedLength(_ input: UnsafeRawBufferPointer) throws(DecodeError) -> (length: Int, headerSize: Int) {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = 0
        while i < input.count && i < 10 {
            let b = input[i]
            result |= UInt64(b & 0x7F) << shift
            i += 1
            if b < 0x80 {
                guard result <= UInt64(Int32.max) else { throw .badLength }
                return (Int(result), i)
            }
            shift += 7
        }
        throw .badLength
    }

    /// Decodes a block whose declared length is at most `limit` bytes. Never allocates more than
    /// the declared length, and validates every element before copying.
    public static func decode(_ input: [UInt8], limit: Int) throws(DecodeError) -> [UInt8] {
        let result: Result<[UInt8], DecodeError> = input.withUnsafeBytes { raw in
            do throws(DecodeError) { return .success(try decode(raw, limit: limit)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func decode(_ input: UnsafeRawBufferPointer, limit: Int) throws(DecodeError) -> [UInt8] {
        let (length, header) = try decodedLength(input)
        guard length <= limit else { throw .tooLarge(declared: length, limit: limit) }
        var failure: DecodeError?
        let output = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            initialized = 0
            do throws(DecodeError) {
                try decodeElements(input, from: header, into: buffer)
                initialized = length
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Decodes the elements into `out`, which must be exactly the declared length.
    @inline(__always)
    static func decodeElements(_ input: UnsafeRawBufferPointer, from start: Int, into out: UnsafeMutableBufferPointer<UInt8>) throws(DecodeError) {
        guard let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            if out.isEmpty { return }
            throw .truncated
        }
        let end = input.count
        let dst = out.baseAddress
        let capacity = out.count
        var s = start
        var d = 0
        while s < end {
            let tag = src[s]
            switch tag & 3 {
            case 0:
                var length = Int(tag >> 2)
                s += 1
                if length >= 60 {
                    let extra = length - 59
                    guard s + extra <= end else { throw .truncated }
                    length = 0
                    for k in 0..<extra { length |= Int(src[s + k]) << (8 * k) }
                    s += extra
                }
                length += 1
                guard length <= end - s else { throw .truncated }
                guard length <= capacity - d else { throw .lengthMismatch }
                (dst! + d).update(from: src + s, count: length)
                s += length
                d += length
                continue
            case 1:
                guard s + 2 <= end else { throw .truncated }
                let length = Int((tag >> 2) & 7) + 4
                let offset = Int(tag >> 5) << 8 | Int(src[s + 1])
                s += 2
                try copy(dst, &d, capacity, offset: offset, length: length)
            case 2:
                guard s + 3 <= end else { throw .truncated }
                let length = Int(tag >> 2) + 1
                let offset = Int(src[s + 1]) | Int(src[s + 2]) << 8
                s += 3
                try copy(dst, &d, capacity, offset: offset, length: length)
            default:
                guard s + 5 <= end else { throw .truncated }
                let length = Int(tag >> 2) + 1
                let offset = Int(src[s + 1]) | Int(src[s + 2]) << 8 | Int(src[s + 3]) << 16 | Int(src[s + 4]) << 24
                s += 5
                try copy(dst, &d, capacity, offset: offset, length: length)
            }
        }
        guard d == capacity else { throw .lengthMismatch }
    }

    @inline(__always)
    static func copy(_ dst: UnsafeMutablePointer<UInt8>?, _ d: inout Int, _ capacity: Int, offset: Int, length: Int) throws(DecodeError) {
        guard offset > 0, offset <= d, let dst else { throw .badOffset }
        guard length <= capacity - d else { throw .lengthMismatch }
        let from = dst + d - offset
        let to = dst + d
        if offset >= length {
            to.update(from: from, count: length)
        } else if offset >= 8 {
            // Overlapping, but in steps of at least 8: copy 8 bytes at a time.
            var i = 0
            while i + 8 <= length {
                UnsafeMutableRawPointer(to + i).storeBytes(of: UnsafeRawPointer(from + i).loadUnaligned(as: UInt64.self), as: UInt64.self)
                i += 8
            }
            while i < length {
                to[i] = from[i]
                i += 1
            }
        } else {
            // A run: each byte may depend on the one just written.
            for i in 0..<length { to[i] = from[i] }
        }
        d += length
    }
}
