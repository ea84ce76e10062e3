import HearthEncoding
import HearthFileIO

#if canImport(Glibc)
import Glibc
#endif

/// Follows a WAL that is being written, from a position onwards: what a remote-write queue
/// reads. It only reads up to a limit the writer has finished (``WAL/position``), so it never
/// sees a half-written batch, and it steps over segments that were deleted under it (the
/// caller learns how far it jumped from ``skippedSegments``).
public struct WALTailReader: Sendable {
    public let directory: String
    /// The position after the last record handed out.
    public private(set) var position: WALPosition
    /// Segments found missing and stepped over since the reader was made.
    public private(set) var skippedSegments = 0
    private var buffer: [UInt8]

    public init(directory: String, from position: WALPosition, bufferSize: Int = 1 << 17) {
        self.directory = directory
        self.position = position
        self.buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    /// Continues from `target`, forwards or back (a queue re-reads from where dropped data ends).
    public mutating func seek(to target: WALPosition) {
        position = target
    }

    /// Hands each record payload between ``position`` and `limit` to `body`, in order, until
    /// `body` returns false (it wants no more for now) or `limit` is reached. A damaged record
    /// (a checksum that does not match below the writer's position) ends its segment: the
    /// reader goes on with the next one and reports it.
    /// - Returns: damage found, as text, for the caller to log.
    @discardableResult
    public mutating func read(
        upTo limit: WALPosition, _ body: (UnsafeRawBufferPointer) throws -> Bool
    ) throws -> [String] {
        var damage: [String] = []
        while position < limit {
            let path = directory + "/" + Segment.name(position.segment)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                guard position.segment < limit.segment else { return damage }
                // Deleted (dropped by a size or age bound, or checkpointed): go on with the next one.
                position = WALPosition(segment: position.segment + 1, offset: 0)
                skippedSegments += 1
                continue
            }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw FileIOError("fstat", path: path, errno: errno) }
            let end = position.segment < limit.segment ? Int(st.st_size) : min(limit.offset, Int(st.st_size))
            var wantsMore = true
            while position.offset < end && wantsMore {
                let want = min(buffer.count, end - position.offset)
                let offset = position.offset
                let got = buffer.withUnsafeMutableBytes { raw in Glibc.pread(fd, raw.baseAddress!, want, off_t(offset)) }
                guard got >= 0 else { throw FileIOError("pread", path: path, errno: errno) }
                var consumed = 0
                var stop: String?
                try buffer.withUnsafeBytes { raw in
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<got])
                    while wantsMore {
                        let left = got - consumed
                        if left < Segment.headerSize { break }
                        let len = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: consumed, as: UInt32.self)))
                        if len == 0 {
                            stop = "zero-length record"
                            break
                        }
                        if Segment.headerSize + len > left { break }
                        let crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: consumed + 4, as: UInt32.self))
                        let payload = UnsafeRawBufferPointer(rebasing: bytes[(consumed + Segment.headerSize)..<(consumed + Segment.headerSize + len)])
                        if CRC32C.checksum(payload) != crc {
                            stop = "checksum mismatch"
                            break
                        }
                        consumed += Segment.headerSize + len
                        wantsMore = try body(payload)
                    }
                }
                position.offset += consumed
                if let stop {
                    damage.append("\(path) at offset \(position.offset): \(stop); continuing with the next segment")
                    position.offset = end
                    break
                }
                if consumed == 0 && wantsMore {
                    if got == want && want == buffer.count {
                        // A record larger than the buffer: grow it and read again.
                        buffer = [UInt8](repeating: 0, count: buffer.count * 2)
                        continue
                    }
                    if position.segment < limit.segment {
                        damage.append("\(path) at offset \(position.offset): truncated record at the end of a finished segment")
                        position.offset = end
                    }
                    break
                }
            }
            if !wantsMore { return damage }
            if position.segment < limit.segment && position.offset >= end {
                position = WALPosition(segment: position.segment + 1, offset: 0)
            } else {
                return damage
            }
        }
        return damage
    }
}
