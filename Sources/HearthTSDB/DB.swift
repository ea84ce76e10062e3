import HearthBlock
import HearthEncoding
import HearthFileIO
import HearthModel
import HearthStorage
import HearthWAL
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The storage engine as a whole: the head, its WAL and its chunk files under one data directory.
///
///     data/
///       lock              held (flock) while a process uses the directory
///       wal/              segments and checkpoints (HearthWAL)
///       chunks_head/      completed head chunks, memory-mapped
///       head.snapshot     written on clean shutdown, loaded (then removed) on the next start
///       head.tombstones   deletions of head data not yet compacted into a block
///       01J.../           blocks in Prometheus's format (HearthBlock), oldest data first
///       snapshots/        backups made by ``snapshot(into:withHead:)``
public final class DB: Sendable {
    public struct Options: Sendable {
        public var path: String
        public var head = Head.Options()
        public var walSegmentSize = Segment.defaultMaxSize
        public var walSyncMode = WALSyncMode.none
        /// Write a head snapshot on close and load it on open.
        public var snapshotOnShutdown = true
        /// Samples each WAL replay worker sorts and applies at a time (see `WALReplayer`).
        public var walReplayWindow = 1 << 19
        /// Blocks older than this (by their end, against the newest block's end) are deleted;
        /// 0 keeps them forever. Prometheus's `--storage.tsdb.retention.time`, default 15d.
        public var retentionTime: Int64 = 15 * 24 * 3600 * 1000
        /// Oldest blocks are deleted while blocks, WAL and head chunks exceed this many bytes;
        /// 0 means no limit (`--storage.tsdb.retention.size`).
        public var retentionSize: Int64 = 0

        public init(path: String) {
            self.path = path
        }
    }

    /// How the last open went, for logs and benchmarks.
    public struct OpenReport: Sendable {
        public var loadedSnapshot = false
        public var snapshotError: String?
        public var walRecords = 0
        public var walRepaired: String?
        public var mappedChunks = 0
        public var blocks = 0
        public var seconds = 0.0
        /// Everything found damaged and dropped or stepped over, one line each, naming the file
        /// and offset where known: blocks not served, WAL records and head chunks skipped, a
        /// truncated tail, an unusable snapshot, samples whose series record was lost.
        public var problems: [String] = []
    }

    /// Holds the head's truncation floor (8 bytes, big-endian): data before it was truncated
    /// and must not come back from chunk files on restart. Blocks will carry this later.
    static let floorFileName = "head.floor"

    public let options: Options
    public let head: Head
    public let wal: WAL
    public let openReport: OpenReport
    /// The blocks, ordered by time; replaced whole under `maintenance`.
    let blockList: Mutex<[Block]>
    /// Held by compaction, retention, deletion and snapshots, so they never interleave.
    let maintenance = Mutex<Int>(0)
    /// Totals of maintenance work, for /metrics.
    public let counters = MaintenanceCounters()
    let logger: Logger
    let lockFD: Int32
    let closed = Atomic<Bool>(false)

    public init(options: Options, logger: Logger = Logger(label: "hearth.tsdb")) throws {
        let start = ContinuousClock.now
        self.options = options
        self.logger = logger
        try FileSystem.createDirectory(options.path)
        lockFD = try Self.lockDirectory(options.path)
        var report = OpenReport()
        try Self.setAsideForeignHeadData(options.path, logger: logger)
        try BlockWriter.removeTemporaryDirectories(in: options.path)
        let blocks = try Self.openBlocks(options.path, logger: logger) { report.problems.append($0) }
        report.blocks = blocks.count

        let snapshotPath = options.path + "/" + HeadSnapshot.fileName
        // Mapped, not read: a 1M-series snapshot is hundreds of megabytes.
        let snapshotSize = options.snapshotOnShutdown ? FileSystem.fileSize(snapshotPath) : nil
        let snapshotFile = try snapshotSize.map { try MappedFile(path: snapshotPath, capacity: $0) }
        let files = try HeadChunkFiles(directory: options.path + "/chunks_head")
        var head = Head(options: options.head, chunkFiles: files)
        var replayAfter: WALPosition?
        // Data before the newest block's end is in blocks: the head refuses it (as Prometheus).
        let floor = [try Self.readFloor(options.path), blocks.map(\.maxTime).max()].compactMap { $0 }.max()
        if let snapshotFile, let snapshotSize {
            do {
                replayAfter = try withExtendedLifetime(snapshotFile) {
                    try HeadSnapshot.load(snapshotSize == 0 ? UnsafeRawBufferPointer(start: nil, count: 0)
                                          : snapshotFile.bytes(at: 0, count: snapshotSize), into: head)
                }
                report.loadedSnapshot = true
            } catch {
                report.snapshotError = "\(error)"
                report.problems.append("\(snapshotPath): unusable, replayed the WAL instead: \(error)")
                logger.warning("head snapshot unusable, replaying the WAL", metadata: ["error": "\(error)"])
                head = Head(options: options.head, chunkFiles: files)
            }
            // A snapshot is valid for the one start after the shutdown that wrote it.
            try FileSystem.remove(snapshotPath)
        }
        // Without a snapshot to say what the chunk files hold, they are scanned.
        var scanned: [UInt64: [MappedChunkMeta]] = [:]
        if !report.loadedSnapshot {
            report.mappedChunks = try files.scan(damaged: { problem in
                report.problems.append(problem)
                logger.warning("damaged head chunk file", metadata: ["problem": "\(problem)"])
            }) { ref, meta in scanned[ref, default: []].append(meta) }
        }
        if let floor {
            head.minValidTimeValue.store(floor, ordering: .relaxed)
            for key in scanned.keys { scanned[key]!.removeAll { $0.maxTime < floor } }
        }

        var walReport = WALReplayReport()
        let replayer = WALReplayer(head: head, mapped: scanned, window: options.walReplayWindow)
        wal = try WAL(directory: options.path + "/wal", segmentSize: options.walSegmentSize,
                      syncMode: options.walSyncMode, replayingAfter: replayAfter, report: &walReport) { payload in
            try replayer.apply(payload)
        }
        try replayer.finish()
        if !report.loadedSnapshot || walReport.records > 0 { head.recomputeTimeRange() }
        report.walRecords = walReport.records
        for (file, damage) in walReport.damage {
            report.problems.append("\(file): skipped \(damage)")
            logger.warning("damaged WAL record skipped", metadata: [
                "file": "\(file)", "offset": "\(damage.offset)", "bytes": "\(damage.length)", "reason": "\(damage.reason)",
            ])
        }
        if replayer.orphanSamples > 0 {
            report.problems.append("wal: \(replayer.orphanSamples) samples dropped whose series record was lost")
            logger.warning("WAL samples of unknown series dropped", metadata: ["samples": "\(replayer.orphanSamples)"])
        }
        if let r = walReport.repaired {
            report.walRepaired = "truncated at \(r.position): \(r.reason); dropped \(r.droppedBytes) bytes"
            report.problems.append("\(options.path)/wal/\(r.position.description.replacingColon()): damaged tail truncated (\(r.reason)), \(r.droppedBytes) bytes dropped")
            logger.warning("repaired damaged WAL tail", metadata: [
                "segment": "\(r.position.segment)", "offset": "\(r.position.offset)",
                "reason": "\(r.reason)", "dropped_bytes": "\(r.droppedBytes)",
            ])
        }
        let headDeletions = Self.readHeadTombstones(options.path, logger: logger) { report.problems.append($0) }
        head.tombstones.withLock { $0 = headDeletions }
        head.pruneTombstones(before: head.minValidTime)
        self.head = head
        self.blockList = Mutex(blocks)
        report.seconds = (ContinuousClock.now - start).seconds
        self.openReport = report
        logger.info("tsdb opened", metadata: [
            "series": "\(head.numSeries)", "blocks": "\(blocks.count)", "snapshot": "\(report.loadedSnapshot)",
            "wal_records": "\(report.walRecords)", "seconds": "\(report.seconds)",
        ])
    }

    /// Holds an exclusive `flock` on `path/lock`, so two processes never share a directory.
    static func lockDirectory(_ path: String) throws -> Int32 {
        let fd = open(path + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIOError("open", path: path + "/lock", errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw FileIOError("lock (is another hearth using this directory?)", path: path + "/lock", errno: errno)
        }
        return fd
    }

    static func readFloor(_ path: String) throws -> Int64? {
        guard let bytes = try FileSystem.readFile(path + "/" + floorFileName), bytes.count == 8 else { return nil }
        return bytes.withUnsafeBytes { Int64(bitPattern: BigEndian.readUInt64($0, at: 0)) }
    }

    /// A new batch for the head.
    public func appender() -> HeadAppender {
        HeadAppender(head: head, wal: wal)
    }

    /// A querier over the stored data: the blocks, then the head.
    public func querier() -> any Querier {
        let blocks = blockList.withLock { $0 }
        return blocks.isEmpty ? head : MergeQuerier(blocks + [head])
    }

    /// The blocks, ordered by time.
    public var blocks: [Block] { blockList.withLock { $0 } }

    /// Flushes, writes the head snapshot and closes the WAL. Safe to call twice. Waits for a
    /// running compaction to finish.
    public func close() throws {
        try maintenance.withLock { _ in try closeLocked() }
    }

    func closeLocked() throws {
        guard closed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        defer {
            flock(lockFD, LOCK_UN)
            Glibc.close(lockFD)
        }
        try head.chunkFiles.flush(sync: true)
        let position = wal.position
        try wal.close()
        if options.snapshotOnShutdown {
            let start = ContinuousClock.now
            if let size = try HeadSnapshot.write(head, walPosition: position, to: options.path + "/" + HeadSnapshot.fileName) {
                logger.info("head snapshot written", metadata: [
                    "series": "\(head.numSeries)", "bytes": "\(size)",
                    "seconds": "\((ContinuousClock.now - start).seconds)",
                ])
            } else {
                logger.warning("head snapshot not written: series kept changing; the next start replays the WAL")
            }
        }
    }
}

/// Counts of the DB's maintenance work since open (Prometheus's `prometheus_tsdb_*_total`).
public final class MaintenanceCounters: Sendable {
    let compactionsValue = Atomic<Int>(0)
    let headTruncationsValue = Atomic<Int>(0)
    let timeRetentionsValue = Atomic<Int>(0)
    let sizeRetentionsValue = Atomic<Int>(0)

    /// Blocks written by head compaction, merging or tombstone cleaning.
    public var compactions: Int { compactionsValue.load(ordering: .relaxed) }
    public var headTruncations: Int { headTruncationsValue.load(ordering: .relaxed) }
    /// Blocks deleted for being older than the retention time, or for the size limit.
    public var timeRetentions: Int { timeRetentionsValue.load(ordering: .relaxed) }
    public var sizeRetentions: Int { sizeRetentionsValue.load(ordering: .relaxed) }
}

extension String {
    /// `00000003:1234` as `00000003 offset 1234`, for messages naming a WAL position.
    func replacingColon() -> String { split(separator: ":").joined(separator: " offset ") }
}

extension DB: Appendable {}
