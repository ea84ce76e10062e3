import HearthFileIO
import HearthModel
import HearthStorage
import HearthRemoteWrite
import HearthScrape
import HearthWAL
import Logging
import Synchronization

/// The agent's storage: a write-ahead log and nothing else. Scrapes append to it; remote-write
/// queues read it back (``WALSource``). In memory it keeps only what both need: each series'
/// labels and ref, and the newest timestamp (to refuse out-of-order samples).
///
/// The log uses Hearth's WAL records (Prometheus's series and samples encodings), so a queue
/// reads the same records the server's head writes.
public final class AgentStorage: Sendable {
    public struct Options: Sendable {
        public var path: String
        /// Segments are cut at this size; bounds are enforced a segment at a time.
        public var segmentSize = 16 << 20
        /// A segment holding data is closed after this long, so that delivered data can be
        /// removed and bounds apply even on a quiet agent.
        public var segmentMaxAge: Duration = .seconds(300)
        /// Oldest segments are dropped (sent or not) while the log is larger; 0: no limit.
        public var maxBytes: Int64 = 2 << 30
        /// Segments last written longer ago than this are dropped (sent or not); 0: no limit.
        public var maxAgeMilliseconds: Int64 = 24 * 3600 * 1000
        public var syncMode = WALSyncMode.none

        public init(path: String) { self.path = path }
    }

    struct Series {
        /// The series' labels in ``Table/store``.
        var labels: LabelSetStore.Handle
        var lastTimestamp: Int64
        /// 32 bits (segment numbers are 8 decimal digits): the table's slot is then 24 bytes, not 32.
        private var segment: Int32

        /// The segment holding this series' newest sample: once that segment is delivered and
        /// removed, the series has nothing left to send and can be forgotten.
        var lastSegment: Int {
            get { Int(segment) }
            set { segment = Int32(clamping: newValue) }
        }

        init(labels: LabelSetStore.Handle, lastTimestamp: Int64, lastSegment: Int) {
            self.labels = labels
            self.lastTimestamp = lastTimestamp
            segment = Int32(clamping: lastSegment)
        }
    }

    struct Table {
        var store = LabelSetStore()
        /// Refs by a hash of their labels (compared in `store`).
        var refs = RefIndex()
        /// Refs too large for `refs` (never handed out by Hearth, but a damaged log could name one).
        var largeRefs: [Labels: UInt64] = [:]
        var series = RefTable<Series>()
        /// Series forgotten by the last collection, kept one more round so that a scrape that
        /// looked one up just before can still commit it.
        var forgotten: [UInt64: Series] = [:]
        var nextRef: UInt64 = 1

        /// The ref of the series labelled `labels`, if it is in the table.
        func ref(of labels: Labels) -> UInt64? {
            let found = refs.find(hash: LabelSetStore.hash(labels)) { r in
                series[r].map { store.matches($0.labels, labels) } ?? false
            }
            if let found { return found }
            return largeRefs.isEmpty ? nil : largeRefs[labels]
        }

        /// Puts a series into the table under `ref` (a new one, a replayed one, or one brought
        /// back from `forgotten`, whose labels are still in the store).
        mutating func insert(_ ref: UInt64, _ new: Series, labels: Labels) {
            if let old = series[ref] {
                // Replayed twice (a series logged again after it was brought back): keep one copy.
                if old.labels != new.labels { store.remove(new.labels) }
                series.update(ref) { $0.lastSegment = max($0.lastSegment, new.lastSegment) }
                return
            }
            series[ref] = new
            guard ref <= RefIndex.maxRef else {
                largeRefs[labels] = ref
                return
            }
            let h = LabelSetStore.hash(labels)
            let (store, series) = (self.store, self.series)
            let other = refs.find(hash: h) { r in series[r].map { store.matches($0.labels, labels) } ?? false }
            // The same labels under an older ref (in a log, after the series was forgotten and
            // came back): the newer ref is the one appends use.
            if let other, refs.replace(other, by: ref, hash: h) { return }
            refs.insert(ref, hash: h) { r in store.hash(series[r]!.labels) }
        }

        /// Takes `ref` out of the table; its labels stay in the store (for `forgotten`) until
        /// ``release(_:)``.
        mutating func remove(_ ref: UInt64) -> Series? {
            guard let s = series[ref] else { return nil }
            if ref <= RefIndex.maxRef {
                let (store, series) = (self.store, self.series)
                _ = refs.remove(ref, hash: store.hash(s.labels)) { r in store.hash(series[r]!.labels) }
            } else {
                largeRefs[store.labels(s.labels)] = nil
            }
            series[ref] = nil
            return s
        }

        /// Gives a forgotten series' labels back to the store.
        mutating func release(_ s: Series) {
            store.remove(s.labels)
        }

        /// Rebuilds the store when removed sets hold most of it.
        mutating func compactStoreIfWorthIt() {
            guard store.wantsCompaction else { return }
            var compacted = store
            store = LabelSetStore()  // so that `compacted` is the only reference: no copy
            compacted.compact { rewrite in
                series.updateAll { _, s in rewrite(&s.labels) }
                for ref in Array(forgotten.keys) { rewrite(&forgotten[ref]!.labels) }
            }
            store = compacted
        }
    }

    public let options: Options
    public let walDirectory: String
    let wal: WAL
    let table: Mutex<Table>
    let logger: Logger
    /// When the open segment was first seen, to close it after ``Options/segmentMaxAge``.
    let openSegmentSince: Mutex<(segment: Int, since: ContinuousClock.Instant)>
    public let replayReport: WALReplayReport

    /// Opens (creating) `<path>/wal`, replays it to learn every series and its newest sample.
    public init(options: Options, logger: Logger) throws {
        self.options = options
        self.logger = logger
        walDirectory = options.path + "/wal"
        try FileSystem.createDirectory(options.path)
        try FileSystem.createDirectory(walDirectory)
        var table = Table()
        var report = WALReplayReport()
        var decodeErrors = 0
        wal = try WAL(directory: walDirectory, segmentSize: options.segmentSize, syncMode: options.syncMode, report: &report) { payload in
            switch WALRecordCodec.type(of: payload) {
            case .series:
                guard let list = try? WALRecordCodec.decodeSeries(payload) else { decodeErrors += 1; return }
                for s in list {
                    let handle = table.store.add(s.labels)
                    table.insert(s.ref, Series(labels: handle, lastTimestamp: .min, lastSegment: 0), labels: s.labels)
                    table.nextRef = max(table.nextRef, s.ref + 1)
                }
            case .samples:
                do {
                    try WALRecordCodec.forEachSample(payload) { s in
                        table.series.update(s.ref) { series in
                            series.lastTimestamp = max(series.lastTimestamp, s.timestamp)
                        }
                    }
                } catch { decodeErrors += 1 }
            case nil:
                decodeErrors += 1
            }
        }
        replayReport = report
        // Replayed series may have samples anywhere before the segment the log opened: count
        // them as newest there, so no upkeep forgets one whose samples are still unsent.
        let opened = wal.position.segment
        table.series.updateAll { _, s in s.lastSegment = opened }
        self.table = Mutex(table)
        openSegmentSince = Mutex((wal.position.segment, .now))
        for problem in report.problems {
            logger.warning("agent WAL damaged", metadata: ["problem": "\(problem)"])
        }
        if decodeErrors > 0 { logger.error("agent WAL: undecodable records skipped", metadata: ["count": "\(decodeErrors)"]) }
    }

    /// Series currently known.
    public var seriesCount: Int { table.withLock { $0.series.count } }

    /// Bytes of WAL segments and checkpoints on disk.
    public var diskSize: Int { wal.diskSize }

    public func close() throws {
        try wal.close()
    }
}

extension AgentStorage: Appendable {
    public func appender() -> AgentAppender { AgentAppender(storage: self) }
}

extension AgentStorage: WALSource {
    public func walWrittenPosition() -> WALPosition { wal.position }

    public func resolveLabels(_ refs: [UInt64], into labels: inout [UInt64: Labels]) {
        table.withLock { t in
            for ref in refs {
                if let s = t.series[ref] ?? t.forgotten[ref] { labels[ref] = t.store.labels(s.labels) }
            }
        }
    }

    /// Straight from the symbol store: no `Labels` is built (a remote-write round's labels
    /// go to the request encoder this way).
    public func writeLabels<Sink: LabelSetSink>(_ refs: [UInt64], to sink: inout Sink) {
        table.withLock { t in
            for ref in refs {
                guard let s = t.series[ref] ?? t.forgotten[ref] else { continue }
                sink.beginSet(ref: ref)
                t.store.forEachLabel(s.labels) { name, value in sink.label(name: name, value: value) }
                sink.endSet()
            }
        }
    }
}
