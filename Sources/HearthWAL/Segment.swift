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

    /// Bytes of a segment that could not be read: where, how many, and why.
    public struct Damage: Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var length: Int
        public var reason: String

        public var description: String { "\(length) bytes at offset \(offset): \(reason)" }
    }

    /// How far past a damaged record a reader looks for the next intact one when the damage hit
    /// the length field (so the damaged record's end is unknown).
    public static let resyncWindow = 1 << 20

    /// Like ``scan(_:body:)``, but a damaged record in the middle of a segment costs only that
    /// record: the reader goes on at the next intact record (right after the damaged one's
    /// stated length, or the first found within ``resyncWindow`` bytes) and reports the bytes
    /// it stepped over through `damaged`. Damage with no intact record after it is the tail,
    /// returned as `.corrupt` for the caller to cut off.
    ///
    /// A record counts as intact only if its length fits, its first payload byte passes
    /// `plausibleType`, its CRC32C matches, and what follows it is the end, zeros or another
    /// plausible header; so random bytes are not mistaken for a record.
    public static func scanRecovering(
        _ bytes: UnsafeRawBufferPointer, plausibleType: (UInt8) -> Bool = { _ in true },
        damaged: (Damage) -> Void, body: (Int, UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> ScanEnd {
        var start = 0
        while true {
            let end = try scan(UnsafeRawBufferPointer(rebasing: bytes[start...])) { off, payload in try body(start + off, payload) }
            guard case .corrupt(let relative, let reason) = end else { return .clean }
            let off = start + relative
            guard let next = nextIntactRecord(bytes, after: off, plausibleType: plausibleType) else {
                return .corrupt(offset: off, reason: reason)
            }
            damaged(Damage(offset: off, length: next - off, reason: reason))
            start = next
        }
    }

    /// The offset of the first intact record after damage at `off`, if there is one.
    static func nextIntactRecord(_ bytes: UnsafeRawBufferPointer, after off: Int, plausibleType: (UInt8) -> Bool) -> Int? {
        // The damaged record's length may be right (its payload was hit): try its end first.
        if off + headerSize <= bytes.count {
            let len = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: off, as: UInt32.self)))
            let stated = off + headerSize + len
            if len > 0, stated < bytes.count, isIntact(bytes, at: stated, plausibleType: plausibleType) { return stated }
        }
        var candidate = off + 1
        let last = min(bytes.count - headerSize - 1, off + resyncWindow)
        while candidate <= last {
            if isIntact(bytes, at: candidate, plausibleType: plausibleType) { return candidate }
            candidate += 1
        }
        return nil
    }

    /// Whether a plausible header sits at `o`: a length that fits and a plausible first byte.
    static func plausibleHeader(_ bytes: UnsafeRawBufferPointer, at o: Int, plausibleType: (UInt8) -> Bool) -> Int? {
        guard o >= 0, o + headerSize < bytes.count else { return nil }
        let len = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        guard len > 0, len <= bytes.count - o - headerSize, plausibleType(bytes[o + headerSize]) else { return nil }
        return len
    }

    static func isIntact(_ bytes: UnsafeRawBufferPointer, at o: Int, plausibleType: (UInt8) -> Bool) -> Bool {
        guard let len = plausibleHeader(bytes, at: o, plausibleType: plausibleType) else { return false }
        let next = o + headerSize + len
        let followed = next == bytes.count || isZero(UnsafeRawBufferPointer(rebasing: bytes[next..<min(next + headerSize, bytes.count)]), from: 0)
            || plausibleHeader(bytes, at: next, plausibleType: plausibleType) != nil
        guard followed else { return false }
        let crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o + 4, as: UInt32.self))
        return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(o + headerSize)..<next])) == crc
    }

    static func isZero(_ bytes: UnsafeRawBufferPointer, from: Int) -> Bool {
        for i in from..<bytes.count where bytes[i] != 0 { return false }
        return true
    }
}
