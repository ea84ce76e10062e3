import HearthEncoding

/// Hearth's WAL segment framing. A segment is a file named by its 8-digit index holding
/// records back to back:
///
///     ┌──────────────────┬──────────────────┬───────────────────┐
///     │ length (u32, LE) │ CRC32C (u32, LE) │ payload (length B) │ ...
///     └──────────────────┴──────────────────┴───────────────────┘
///
/// The CRC covers the payload. A zero length ends the segment (a preallocated or torn tail).
/// Unlike Prometheus's 32 KiB pages, records are not split: a record never spans segments,
/// which keeps the writer to one `write` per batch and the reader to one pass.
public enum Segment {
    public static let headerSize = 8
    /// Segments are cut at this size, as Prometheus cuts its WAL segments.
    public static let defaultMaxSize = 128 * 1024 * 1024

    public static func name(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    public static func index(of name: String) -> Int? {
        guard name.count == 8, name.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(name)
    }

    /// Frames `payload` into `out`.
    @inlinable
    public static func appendRecord(_ payload: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var len = UInt32(payload.count).littleEndian
        var crc = CRC32C.checksum(payload).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: &crc) { out.append(contentsOf: $0) }
        out.append(contentsOf: payload)
    }

    /// Where and why reading a segment stopped.
    public enum ScanEnd: Equatable, Sendable {
        /// The data ended cleanly (at the end of the file or at zero padding).
        case clean
        /// A partial header or payload, a bad checksum, or garbage at `offset`.
        case corrupt(offset: Int, reason: String)
    }

    /// Calls `body` with each record payload and its offset; stops at the first damaged record.
    public static func scan(
        _ bytes: UnsafeRawBufferPointer, body: (Int, UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> ScanEnd {
        var off = 0
        while off < bytes.count {
            if bytes.count - off < headerSize {
                return isZero(bytes, from: off) ? .clean : .corrupt(offset: off, reason: "partial record header")
            }
            let len = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: off, as: UInt32.self)))
            let crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: off + 4, as: UInt32.self))
            if len == 0 {
                return isZero(bytes, from: off) ? .clean : .corrupt(offset: off, reason: "zero-length record")
            }
            if len > bytes.count - off - headerSize {
                return .corrupt(offset: off, reason: "record of \(len) bytes runs past the end of the segment")
            }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(off + headerSize)..<(off + headerSize + len)])
            if CRC32C.checksum(payload) != crc {
                return .corrupt(offset: off, reason: "checksum mismatch")
            }
            try body(off, payload)
            off += headerSize + len
        }
        return .clean
    }

    static func isZero(_ bytes: UnsafeRawBufferPointer, from: Int) -> Bool {
        for i in from..<bytes.count where bytes[i] != 0 { return false }
        return true
    }
}
