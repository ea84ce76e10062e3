import HearthFileIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// When the WAL makes a batch durable before it is acknowledged.
public enum WALSyncMode: String, Sendable, CaseIterable {
    /// The batch is written to the segment file (the page cache) before it is acknowledged:
    /// it survives a crash of the process, not of the machine. Prometheus's default.
    case none
    /// Group commit: the batch is also fsynced before it is acknowledged. Concurrent commits
    /// share one fsync, so the cost is paid per group, not per batch.
    case groupCommit = "group-commit"
}

/// A position in the log: everything before it has been written.
public struct WALPosition: Comparable, Sendable, Hashable, CustomStringConvertible {
    public var segment: Int
    public var offset: Int

    public init(segment: Int, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (a: WALPosition, b: WALPosition) -> Bool {
        (a.segment, a.offset) < (b.segment, b.offset)
    }

    public var description: String { "\(Segment.name(segment)):\(offset)" }
}

/// What replay found: how much it read and what it had to cut off.
public struct WALReplayReport: Sendable {
    public init() {}
    public var records = 0
    public var segments = 0
    public var checkpoint: Int?
    /// Set when a damaged tail was truncated: where, why, and how many bytes were dropped.
    public var repaired: (position: WALPosition, reason: String, droppedBytes: Int)?
    /// Records that could not be read and were stepped over (the records after them were
    /// replayed): the file (a segment, or a checkpoint's segment) and the damage.
    public var damage: [(file: String, damage: Segment.Damage)] = []

    /// Every problem found, one line each, naming the file and offset (for logs and reports).
    public var problems: [String] {
        var out = damage.map { "\($0.file): skipped \($0.damage)" }
        if let r = repaired {
            out.append("\(r.position.description): damaged tail truncated (\(r.reason)), \(r.droppedBytes) bytes dropped")
        }
        return out
    }
}

/// The head's write-ahead log: a directory of numbered segment files plus at most one
/// `checkpoint.NNNNNNNN` directory that summarizes the segments up to NNNNNNNN.
///
/// Writers call ``log(_:)`` with whole framed records (one `write(2)` per batch) and, in
/// group-commit mode, ``waitUntilDurable(_:)``. Opening the log replays it: a damaged record
/// in the middle of a segment is stepped over (the records after it still replay), a damaged
/// tail is truncated at the last good record; the log always continues in a new segment.
public final class WAL: Sendable {
    public let directory: String
    public let segmentSize: Int
    public let syncMode: WALSyncMode

    /// The open segment. A class so that a committer can fsync it after releasing the writer lock
    /// while a rotation closes it: the descriptor stays open as long as anyone holds it.
    final class OpenSegment: Sendable {
        let index: Int
        let file: File

        init(index: Int, file: consuming File) {
            self.index = index
            self.file = file
        }
    }

    struct WriterState {
        var segment: OpenSegment?
        var size = 0
        /// Bytes logged since open, across segments: the ticket group commit waits on.
        var logged: Int64 = 0
    }

    private let writer: Mutex<WriterState>
    private let synced = Mutex<Int64>(0)

    /// Opens (creating if needed) the log in `directory`, replays every record after `after`
    /// (or all of them) through `body`, repairs a damaged tail, and starts a new segment.
    public init(
        directory: String,
        segmentSize: Int = Segment.defaultMaxSize,
        syncMode: WALSyncMode = .none,
        replayingAfter after: WALPosition? = nil,
        report: inout WALReplayReport,
        body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        self.directory = directory
        self.segmentSize = segmentSize
        self.syncMode = syncMode
        self.writer = Mutex(WriterState())
        do { try FileSystem.createDirectory(directory) } catch { throw WALError.io(error) }
        report = try Self.replay(directory: directory, after: after, body: body)
        // After the newest segment, and never at or below a checkpoint (whose segments replay skips).
        let next = max(try Self.segmentIndexes(directory).last ?? -1, try Self.latestCheckpoint(directory)?.0 ?? -1) + 1
        try openSegment(next)
    }

    /// Indexes of the segment files, ascending.
    public static func segmentIndexes(_ directory: String) throws(WALError) -> [Int] {
        do { return try FileSystem.list(directory).compactMap(Segment.index(of:)).sorted() } catch {
            throw .io(error)
        }
    }

    /// The newest checkpoint, as (through segment, directory path).
    public static func latestCheckpoint(_ directory: String) throws(WALError) -> (Int, String)? {
        let names: [String]
        do { names = try FileSystem.list(directory) } catch { throw .io(error) }
        var best: (Int, String)?
        for n in names where n.hasPrefix("checkpoint.") && !n.hasSuffix(".tmp") {
            if let i = Int(n.dropFirst("checkpoint.".count)), i > (best?.0 ?? -1) {
                best = (i, directory + "/" + n)
            }
        }
        return best
    }

    static func replay(
        directory: String, after: WALPosition?, body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> WALReplayReport {
        var report = WALReplayReport()
        var firstSegment = 0
        // A record that passed its checksum but does not decode is damage too, not a reason
        // to refuse the whole log.
        func apply(_ file: String, _ off: Int, _ payload: UnsafeRawBufferPointer) throws {
            do {
                try body(payload)
                report.records += 1
            } catch let error as WALRecordDecodeError {
                report.damage.append((file, Segment.Damage(offset: off, length: payload.count + Segment.headerSize, reason: error.description)))
            }
        }
        if let (through, path) = try latestCheckpoint(directory) {
            firstSegment = through + 1
            if after == nil {
                report.checkpoint = through
                for seg in try segmentIndexes(path) {
                    let file = path + "/" + Segment.name(seg)
                    guard let mapped = try mapSegment(file) else { continue }
                    let end = try mapped.withBytes { raw in
                        try Segment.scanRecovering(raw, plausibleType: Self.isRecordType,
                                                   damaged: { report.damage.append((file, $0)) }) { off, payload in
                            try apply(file, off, payload)
                        }
                    }
                    // A checkpoint is never written to again: its damage is reported, not cut.
                    if case .corrupt(let off, let reason) = end {
                        report.damage.append((file, Segment.Damage(offset: off, length: mapped.size - off, reason: reason)))
                    }
                }
            }
        }
        let segments = try segmentIndexes(directory).filter { $0 >= firstSegment }
        for seg in segments {
            if let after, seg < after.segment { continue }
            let path = directory + "/" + Segment.name(seg)
            guard let mapped = try mapSegment(path) else { continue }
            report.segments += 1
            let skipBefore = (after?.segment == seg) ? after!.offset : 0
            let end = try mapped.withBytes { raw in
                try Segment.scanRecovering(raw, plausibleType: Self.isRecordType,
                                           damaged: { report.damage.append((path, $0)) }) { off, payload in
                    if off < skipBefore { return }
                    try apply(path, off, payload)
                }
            }
            if case .corrupt(let off, let reason) = end {
                // Keep every record before the damage and drop the rest of this segment. Later
                // segments are intact files and still replay (Prometheus deletes them; samples of
                // series whose records were lost are then dropped, and counted by the caller).
                do {
                    let f = try File(path: path, flags: O_WRONLY)
                    try f.truncate(to: off)
                    try f.sync()
                } catch { throw WALError.io(error) }
                report.repaired = (WALPosition(segment: seg, offset: off), reason, mapped.size - off)
            }
        }
        return report
    }

    /// The record types this log holds (`WALRecordType`): what a resynchronizing reader
    /// accepts as the first byte of a record.
    static func isRecordType(_ byte: UInt8) -> Bool { WALRecordType(rawValue: byte) != nil }

    /// Maps a segment for reading (no copy, no zero-filled buffer); nil if it does not exist.
    static func mapSegment(_ path: String) throws(WALError) -> MappedSegment? {
        guard let size = FileSystem.fileSize(path) else { return nil }
        do { return MappedSegment(size: size, file: try MappedFile(path: path, capacity: size)) } catch {
            throw .io(error)
        }
    }

    struct MappedSegment {
        let size: Int
        let file: MappedFile

        func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            try withExtendedLifetime(file) {
                try body(size == 0 ? UnsafeRawBufferPointer(start: nil, count: 0) : file.bytes(at: 0, count: size))
            }
        }
    }

    private func openSegment(_ index: Int) throws(WALError) {
        let path = directory + "/" + Segment.name(index)
        let seg: OpenSegment
        do {
            seg = OpenSegment(index: index, file: try File(path: path, flags: O_WRONLY | O_CREAT | O_APPEND))
            try FileSystem.syncDirectory(directory)
        } catch { throw .io(error) }
        writer.withLock {
            $0.segment = seg
            $0.size = 0
        }
    }

    /// The position after the last logged byte.
    public var position: WALPosition {
        writer.withLock { WALPosition(segment: $0.segment?.index ?? 0, offset: $0.size) }
    }

    /// Appends framed records (see ``Segment/appendRecord(_:to:)``) with one write, cutting a new
    /// segment first if they would overflow this one. Returns a ticket for ``waitUntilDurable(_:)``.
    @discardableResult
    public func log(_ framed: UnsafeRawBufferPointer) throws(WALError) -> Int64 {
        try writer.withLock { (s: inout WriterState) throws(WALError) -> Int64 in
            guard let seg = s.segment else { throw WALError(.closed, "log is closed") }
            if s.size > 0 && s.size + framed.count > segmentSize {
                try rotate(&s, from: seg)
            }
            let current = s.segment!
            do throws(FileIOError) { try current.file.write(framed) } catch {
                throw WALError(.io, segment: current.index, offset: s.size, error.description)
            }
            s.size += framed.count
            s.logged += Int64(framed.count)
            return s.logged
        }
    }

    public func log(_ framed: [UInt8]) throws(WALError) -> Int64 {
        var result: Result<Int64, WALError> = .success(0)
        framed.withUnsafeBytes { raw in
            do throws(WALError) { result = .success(try log(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    private func rotate(_ s: inout WriterState, from seg: OpenSegment) throws(WALError) {
        // A finished segment is always fsynced: later segments must not outlive it on disk.
        do { try seg.file.sync() } catch { throw .io(error) }
        let next = seg.index + 1
        let path = directory + "/" + Segment.name(next)
        do {
            let file = try File(path: path, flags: O_WRONLY | O_CREAT | O_APPEND)
            try FileSystem.syncDirectory(directory)
            s.segment = OpenSegment(index: next, file: file)
        } catch { throw .io(error) }
        s.size = 0
    }

    /// In group-commit mode, returns once everything up to `ticket` is fsynced. One caller
    /// fsyncs for everyone queued behind it. A no-op in `.none` mode.
    public func waitUntilDurable(_ ticket: Int64) throws(WALError) {
        guard syncMode == .groupCommit else { return }
        try synced.withLock { (done: inout Int64) throws(WALError) in
            if done >= ticket { return }
            let (seg, target) = writer.withLock { ($0.segment, $0.logged) }
            guard let seg else { throw WALError(.closed, "log is closed") }
            do throws(FileIOError) { try seg.file.sync() } catch { throw .io(error) }
            done = target
        }
    }

    /// Fsyncs the open segment.
    public func sync() throws(WALError) {
        let seg = writer.withLock { $0.segment }
        do { try seg?.file.sync() } catch { throw .io(error) }
    }

    /// Fsyncs and closes; further logging fails.
    public func close() throws(WALError) {
        try sync()
        writer.withLock { $0.segment = nil }
    }

    /// Total bytes of segments and checkpoints.
    public var diskSize: Int { FileSystem.directorySize(directory) }

    /// Starts a new segment so that everything logged so far lies in closed segments
    /// (what checkpointing needs). Returns the index of the last closed segment.
    @discardableResult
    public func cutSegment() throws(WALError) -> Int {
        try writer.withLock { (s: inout WriterState) throws(WALError) -> Int in
            guard let seg = s.segment else { throw WALError(.closed, "log is closed") }
            try rotate(&s, from: seg)
            return seg.index
        }
    }
}
