#if canImport(Glibc)
import Glibc
#endif
import HearthChunks
import HearthEncoding
import HearthFileIO

/// The `chunks/` directory of a block: numbered segment files (`000001`, ...) of chunks, each
/// `len uvarint | encoding byte | data | CRC32C(encoding, data)` after an 8-byte header.
/// A chunk's reference is `segment sequence << 32 | offset`, the sequence counting from 0.
public enum ChunkSegments {
    public static let magic: UInt32 = 0x85BD_40DD
    public static let headerSize = 8
    /// Segments are cut before they pass this size (Prometheus: 512 MiB).
    public static let maxSegmentSize = 512 * 1024 * 1024

    public static func fileName(_ sequence: Int) -> String {
        let digits = String(sequence + 1)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}

/// Writes chunks into segment files, returning each chunk's reference.
public struct ChunkSegmentWriter: ~Copyable {
    let directory: String
    let maxSegmentSize: Int
    var sequence = -1
    var buffer: [UInt8] = []
    /// Bytes of the current segment already written to its file.
    var flushed = 0
    var file: File?

    public init(directory: String, maxSegmentSize: Int = ChunkSegments.maxSegmentSize) throws(BlockError) {
        self.directory = directory
        self.maxSegmentSize = maxSegmentSize
        do { try FileSystem.createDirectory(directory) } catch { throw BlockError(error) }
    }

    /// Appends one chunk; returns its reference.
    public mutating func write(encoding: ChunkEncoding, _ data: UnsafeRawBufferPointer) throws(BlockError) -> UInt64 {
        let size = VarInt.unsignedLength(UInt64(data.count)) + 1 + data.count + 4
        if file == nil || flushed + buffer.count + size > maxSegmentSize && flushed + buffer.count > ChunkSegments.headerSize {
            try startSegment()
        }
        let offset = flushed + buffer.count
        VarInt.appendUnsigned(UInt64(data.count), to: &buffer)
        let crcStart = buffer.count
        buffer.append(encoding.rawValue)
        buffer.append(contentsOf: data)
        let crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[crcStart...])) }
        BigEndian.append(crc, to: &buffer)
        if buffer.count >= 1 << 20 { try flush() }
        return UInt64(sequence) << 32 | UInt64(offset)
    }

    mutating func flush() throws(BlockError) {
        do { try file?.write(buffer) } catch { throw BlockError(error) }
        flushed += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func startSegment() throws(BlockError) {
        try finishSegment()
        sequence += 1
        do {
            file = try File(path: directory + "/" + ChunkSegments.fileName(sequence), flags: O_WRONLY | O_CREAT | O_TRUNC)
        } catch { throw BlockError(error) }
        flushed = 0
        BigEndian.append(ChunkSegments.magic, to: &buffer)
        buffer.append(contentsOf: [1, 0, 0, 0])
    }

    mutating func finishSegment() throws(BlockError) {
        guard file != nil else { return }
        try flush()
        do { try file?.sync() } catch { throw BlockError(error) }
        file = nil
    }

    /// Flushes and syncs the last segment.
    public mutating func close() throws(BlockError) {
        try finishSegment()
    }
}

/// Reads chunks of a block's segment files through memory mappings.
public final class ChunkSegmentReader: Sendable {
    let segments: [MappedFile]
    let sizes: [Int]
    let paths: [String]
    /// Where reads report a chunk that fails its checksum or points outside its file.
    public let damage: ReadDamage

    public init(directory: String, damage: ReadDamage = ReadDamage()) throws(BlockError) {
        self.damage = damage
        var segments: [MappedFile] = []
        var sizes: [Int] = []
        let names: [String]
        do { names = try FileSystem.list(directory).filter { $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } } }
        catch { throw BlockError(error) }
        for name in names.sorted() {
            let path = directory + "/" + name
            // Every chunk carries its own checksum, so a damaged header costs no chunk: it is
            // reported, and the chunks are read as usual (each still checked).
            let size = FileSystem.fileSize(path) ?? 0
            let file: MappedFile
            do { file = try MappedFile(path: path, capacity: size) } catch { throw BlockError(error) }
            if size < ChunkSegments.headerSize {
                damage.record("\(path): segment of \(size) bytes is shorter than its header")
            } else if case let magic = BigEndian.readUInt32(file.bytes(at: 0, count: 4), at: 0), magic != ChunkSegments.magic {
                damage.record("\(path): bad magic \(String(magic, radix: 16)) at offset 0")
            }
            segments.append(file)
            sizes.append(size)
        }
        self.segments = segments
        self.sizes = sizes
        self.paths = names.sorted().map { directory + "/" + $0 }
    }

    /// The encoding and data of chunk `ref`, or nil (the damage recorded) if the reference or
    /// the chunk is bad.
    public func chunk(_ ref: UInt64) -> (ChunkEncoding, UnsafeRawBufferPointer)? {
        let seq = Int(ref >> 32), offset = Int(ref & 0xFFFF_FFFF)
        guard seq < segments.count, offset >= ChunkSegments.headerSize, offset < sizes[seq] else {
            damage.record("chunk ref \(ref) points outside the block's chunk files")
            return nil
        }
        let raw = segments[seq].bytes(at: 0, count: sizes[seq])
        var i = offset
        guard let len = VarInt.readUnsigned(raw, at: &i), len < UInt64(sizes[seq]),
              i + 1 + Int(len) + 4 <= raw.count else {
            damage.record("\(paths[seq]): chunk at offset \(offset) has a bad length")
            return nil
        }
        let body = UnsafeRawBufferPointer(rebasing: raw[i..<i + 1 + Int(len)])
        let stored = BigEndian.readUInt32(raw, at: i + 1 + Int(len))
        guard CRC32C.checksum(body) == stored, let enc = ChunkEncoding(rawValue: body[0]) else {
            damage.record("\(paths[seq]): chunk at offset \(offset) fails its checksum")
            return nil
        }
        return (enc, UnsafeRawBufferPointer(rebasing: body[1...]))
    }
}
