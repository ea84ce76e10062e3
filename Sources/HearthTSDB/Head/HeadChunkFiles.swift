import HearthChunks
import HearthEncoding
import HearthFileIO
import HearthModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where a completed head chunk lives on disk: file index in the high 32 bits, byte offset
/// in the low 32, as Prometheus's `ChunkDiskMapperRef`.
public typealias HeadChunkRef = UInt64

/// A completed chunk as the head remembers it: 24 bytes per chunk instead of the chunk itself.
/// A chunk never spans more than a chunk range (at most ~49 days), so its max time is kept as
/// a 32-bit offset from its min time.
public struct MappedChunkMeta: Sendable, Equatable {
    public var ref: HeadChunkRef
    public var minTime: Int64
    var maxTimeOffset: UInt32
    public var sampleCount: UInt16

    public init(ref: HeadChunkRef, minTime: Int64, maxTime: Int64, sampleCount: UInt16) {
        self.ref = ref
        self.minTime = minTime
        self.maxTimeOffset = UInt32(clamping: maxTime.clampedSubtracting(minTime))
        self.sampleCount = sampleCount
    }

    public var maxTime: Int64 { minTime + Int64(maxTimeOffset) }
}

/// The head's completed chunks, written to `chunks_head/NNNNNN` files and read back through
/// memory mappings, so that full chunks leave the Swift heap.
///
/// File layout (after Prometheus's head chunk files): an 8-byte header (magic `0x0130BC91`,
/// version 1, 3 bytes padding), then chunks back to back:
/// `series ref (8, BE) | min time (8) | max time (8) | encoding (1) | length (uvarint) | data | CRC32C (4)`,
/// the CRC covering everything before it in the chunk.
///
/// Writes go through a write buffer (one `write` per megabyte, not per chunk); chunks still in
/// the buffer are read from it. Nothing is fsynced except on ``flush(sync:)``: the WAL, not these
/// files, is what makes samples durable; these files only spare the heap and speed up restarts.
public final class HeadChunkFiles: Sendable {
    public static let magic: UInt32 = 0x0130_BC91
    public static let headerSize = 8
    public static let maxFileSize = 128 * 1024 * 1024
    static let writeBufferSize = 1 << 20

    public let directory: String

    struct State {
        var files: [Int: MappedFile] = [:]
        var fileSizes: [Int: Int] = [:]
        var current: Int = 0
        var handle: WriteHandle?
        /// Size of the current file on disk (flushed part).
        var flushed = 0
        var buffer: [UInt8] = []
    }

    final class WriteHandle: Sendable {
        let file: File
        init(_ file: consuming File) { self.file = file }
    }

    private let state: Mutex<State>

    /// Opens the directory, mapping the existing files; writing continues in a new file.
    /// Existing files are trusted only after ``scan(_:)`` or a snapshot vouches for them.
    public init(directory: String) throws {
        self.directory = directory
        try FileSystem.createDirectory(directory)
        var s = State()
        let indexes = try FileSystem.list(directory).compactMap { n -> Int? in
            n.count == 6 && n.allSatisfy(\.isNumber) ? Int(n) : nil
        }.sorted()
        for idx in indexes {
            let path = Self.path(directory, idx)
            let size = FileSystem.fileSize(path) ?? 0
            if size <= Self.headerSize {
                try FileSystem.remove(path)
                continue
            }
            s.files[idx] = try MappedFile(path: path, capacity: size)
            s.fileSizes[idx] = size
        }
        s.current = (indexes.last ?? 0) + 1
        state = Mutex(s)
        try state.withLock { (s: inout State) throws in try Self.startFile(&s, directory: directory) }
    }

    /// Reads every chunk of the files that existed at open, calling `body` with each valid
    /// chunk's series ref and meta; damaged chunks are stepped over and a damaged tail (torn
    /// write, bad checksum) is cut off, each reported through `damaged` with the file and offset.
    /// Returns the number of chunks found.
    @discardableResult
    public func scan(damaged: (String) -> Void = { _ in }, _ body: (UInt64, MappedChunkMeta) -> Void) throws -> Int {
        let existing: [(Int, MappedFile, Int)] = state.withLock { s in
            s.files.compactMap { idx, file in idx == s.current ? nil : (idx, file, s.fileSizes[idx] ?? 0) }
                .sorted { $0.0 < $1.0 }
        }
        var count = 0
        for (idx, file, size) in existing {
            let path = Self.path(directory, idx)
            let valid = Self.scanBytes(file.bytes(at: 0, count: size), index: idx, damaged: { off, length, reason in
                damaged("\(path): \(reason): \(length) bytes at offset \(off) skipped")
            }) { ref, meta in
                count += 1
                body(ref, meta)
            }
            if valid < size {
                let f = try File(path: path, flags: O_WRONLY)
                try f.truncate(to: valid)
                state.withLock { $0.fileSizes[idx] = valid }
            }
        }
        return count
    }

    /// Whether `ref` points inside a file this object knows (a cheap check of snapshot refs).
    public func isPlausible(_ ref: HeadChunkRef) -> Bool {
        let file = Int(ref >> 32)
        let offset = Int(ref & 0xFFFF_FFFF)
        return state.withLock { s in offset >= Self.headerSize && offset + 25 < (s.fileSizes[file] ?? 0) }
    }

    static func path(_ dir: String, _ index: Int) -> String {
        let d = String(index)
        return dir + "/" + String(repeating: "0", count: max(0, 6 - d.count)) + d
    }

    private static func startFile(_ s: inout State, directory: String) throws {
        let path = Self.path(directory, s.current)
        let file = try File(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        var header: [UInt8] = []
        BigEndian.append(magic, to: &header)
        header += [1, 0, 0, 0]
        try file.write(header)
        s.handle = WriteHandle(file)
        s.flushed = headerSize
        s.buffer.removeAll(keepingCapacity: true)
        s.files[s.current] = try MappedFile(path: path, capacity: maxFileSize)
        s.fileSizes[s.current] = headerSize
    }

    /// Reads every chunk of one file's bytes and returns the size of its valid prefix.
    /// Calls `body` with each intact chunk of a file. A damaged chunk is stepped over when an
    /// intact one follows it (right after its stated length, or the first found within 1 MiB)
    /// and reported through `damaged` (offset, bytes skipped, reason); damage with nothing
    /// intact after it is the tail. Returns where the intact data ends (the file's size, or the
    /// offset of a damaged tail to cut).
    static func scanBytes(
        _ raw: UnsafeRawBufferPointer, index: Int, damaged: (Int, Int, String) -> Void = { _, _, _ in },
        body: (UInt64, MappedChunkMeta) -> Void
    ) -> Int {
        guard raw.count >= headerSize, BigEndian.readUInt32(raw, at: 0) == magic, raw[4] == 1 else {
            if raw.count > 0 { damaged(0, raw.count, "bad header (magic or version)") }
            return 0
        }
        var off = headerSize
        while off + 25 < raw.count {
            if let (end, meta) = chunk(raw, at: off, index: index) {
                body(meta.0, meta.1)
                off = end
                continue
            }
            // Zeros after the last chunk are an unwritten tail, not damage.
            if raw[off...].allSatisfy({ $0 == 0 }) { return off }
            guard let next = nextIntactChunk(raw, after: off, index: index) else {
                damaged(off, raw.count - off, "damaged chunk with no intact chunk after it")
                return off
            }
            damaged(off, next - off, "damaged chunk")
            off = next
        }
        return off
    }

    /// The chunk at `off` if it is intact: where it ends, its series ref and meta.
    static func chunk(_ raw: UnsafeRawBufferPointer, at off: Int, index: Int) -> (Int, (UInt64, MappedChunkMeta))? {
        guard off + 25 < raw.count, raw[off + 24] == ChunkEncoding.xor.rawValue else { return nil }
        var p = off + 25
        guard let len = VarInt.readUnsigned(raw, at: &p), len >= 2, raw.count - p >= 4, len <= UInt64(raw.count - p - 4) else {
            return nil
        }
        let end = p + Int(len)
        let crc = BigEndian.readUInt32(raw, at: end)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[off..<end])) == crc else { return nil }
        let seriesRef = BigEndian.readUInt64(raw, at: off)
        let minT = Int64(bitPattern: BigEndian.readUInt64(raw, at: off + 8))
        let maxT = Int64(bitPattern: BigEndian.readUInt64(raw, at: off + 16))
        let count = BigEndian.readUInt16(raw, at: p)
        return (end + 4, (seriesRef, MappedChunkMeta(ref: UInt64(index) << 32 | UInt64(off), minTime: minT, maxTime: maxT,
                                                     sampleCount: count)))
    }

    static func nextIntactChunk(_ raw: UnsafeRawBufferPointer, after off: Int, index: Int) -> Int? {
        var candidate = off + 1
        let last = min(raw.count - 26, off + (1 << 20))
        while candidate <= last {
            if raw[candidate + 24] == ChunkEncoding.xor.rawValue, chunk(raw, at: candidate, index: index) != nil { return candidate }
            candidate += 1
        }
        return nil
    }

    /// Writes a completed chunk of `length` bytes, which `appendChunk` appends to the file's
    /// buffer, and returns its ref.
    func write(
        seriesRef: UInt64, minTime: Int64, maxTime: Int64, length: Int, appendChunk: (inout [UInt8]) -> Void
    ) throws -> HeadChunkRef {
        try state.withLock { (s: inout State) throws -> HeadChunkRef in
            let needed = 25 + VarInt.unsignedLength(UInt64(length)) + length + 4
            if s.flushed + s.buffer.count + needed > Self.maxFileSize {
                try flushLocked(&s)
                s.current += 1
                try Self.startFile(&s, directory: directory)
            }
            let offset = s.flushed + s.buffer.count
            let start = s.buffer.count
            BigEndian.append(seriesRef, to: &s.buffer)
            BigEndian.append(UInt64(bitPattern: minTime), to: &s.buffer)
            BigEndian.append(UInt64(bitPattern: maxTime), to: &s.buffer)
            s.buffer.append(ChunkEncoding.xor.rawValue)
            VarInt.appendUnsigned(UInt64(length), to: &s.buffer)
            let chunkStart = s.buffer.count
            appendChunk(&s.buffer)
            assert(s.buffer.count - chunkStart == length, "chunk length")
            let crc = s.buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            BigEndian.append(crc, to: &s.buffer)
            if s.buffer.count >= Self.writeBufferSize { try flushLocked(&s) }
            return UInt64(s.current) << 32 | UInt64(offset)
        }
    }

    private func flushLocked(_ s: inout State) throws {
        guard !s.buffer.isEmpty, let h = s.handle else { return }
        try h.file.write(s.buffer)
        s.flushed += s.buffer.count
        s.fileSizes[s.current] = s.flushed
        s.buffer.removeAll(keepingCapacity: true)
    }

    /// Writes buffered chunks to the file, and fsyncs it if asked (clean shutdown, snapshots).
    public func flush(sync: Bool) throws {
        try state.withLock { (s: inout State) throws in
            try flushLocked(&s)
            if sync { try s.handle?.file.sync() }
        }
    }

    /// The bytes of the chunk at `ref`, or nil if the ref does not point at a valid chunk.
    public func chunk(_ ref: HeadChunkRef) -> [UInt8]? {
        let file = Int(ref >> 32)
        let offset = Int(ref & 0xFFFF_FFFF)
        let (mapped, size, buffered): (MappedFile?, Int, [UInt8]?) = state.withLock { s in
            if file == s.current && offset >= s.flushed {
                // Still in the write buffer: copy it out under the lock.
                let start = offset - s.flushed
                guard start + 25 < s.buffer.count else { return (nil, 0, nil) }
                let chunk: [UInt8]? = s.buffer.withUnsafeBytes { Self.parse($0, at: start) }
                return (nil, 0, chunk)
            }
            return (s.files[file], s.fileSizes[file] ?? 0, nil)
        }
        if let buffered { return buffered }
        guard let mapped, offset + 25 < size else { return nil }
        return Self.parse(mapped.bytes(at: 0, count: size), at: offset)
    }

    static func parse(_ raw: UnsafeRawBufferPointer, at off: Int) -> [UInt8]? {
        var p = off + 25
        guard let len = VarInt.readUnsigned(raw, at: &p), Int(len) <= raw.count - p else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: raw[p..<(p + Int(len))]))
    }

    /// Deletes every file except the current one and those in `referenced` (the files some
    /// series still has a chunk in, which the head computes after truncating).
    public func removeFiles(notIn referenced: Set<Int>) throws {
        let doomed: [Int] = state.withLock { s in
            let d = s.files.keys.filter { $0 != s.current && !referenced.contains($0) }
            for i in d {
                s.files[i] = nil
                s.fileSizes[i] = nil
            }
            return d
        }
        for i in doomed { try FileSystem.remove(Self.path(directory, i)) }
    }

    /// Total bytes of the chunk files.
    public var diskSize: Int { state.withLock { $0.fileSizes.values.reduce(0, +) + $0.buffer.count } }
}
