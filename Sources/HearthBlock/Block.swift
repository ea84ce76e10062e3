import HearthChunks
import HearthFileIO
import HearthIndex
import HearthModel
import HearthStorage
import Synchronization

/// An immutable block on disk, opened memory-mapped: its metadata, index, chunk segments and
/// tombstones. Serves reads as a ``Querier``; only its tombstones change (by deletion).
///
/// Readers keep the block alive by holding a reference; deleting its directory while a query
/// runs is safe, since the mappings outlive the files.
public final class Block: Querier, Sendable {
    public let directory: String
    public let meta: BlockMeta
    public let index: IndexReader
    public let chunks: ChunkSegmentReader
    let tombstoneState: Mutex<Tombstones>

    /// Series entries, postings and chunks found damaged while reading (they are left out).
    public let damage = ReadDamage()

    public init(directory: String) throws(BlockError) {
        self.directory = directory
        meta = try BlockMeta.read(directory: directory)
        index = try IndexReader(path: directory + "/index", damage: damage)
        chunks = try ChunkSegmentReader(directory: directory + "/chunks", damage: damage)
        tombstoneState = Mutex(try Tombstones.read(directory: directory))
        sizeBytes = FileSystem.directorySize(directory)
    }

    public var tombstones: Tombstones { tombstoneState.withLock { $0 } }

    /// Bytes on disk (index, chunks, meta and tombstones) when opened.
    public let sizeBytes: Int

    public var minTime: Int64 { meta.minTime }
    /// Exclusive, as in meta.json.
    public var maxTime: Int64 { meta.maxTime }

    public func overlaps(minTime: Int64, maxTime: Int64) -> Bool {
        meta.minTime <= maxTime && minTime < meta.maxTime
    }

    public func select(_ matchers: [Matcher], hints: SelectHints) -> SeriesSet {
        var unreadable: [String] = []
        let series = select(matchers, minTime: hints.start, maxTime: hints.end, unreadable: &unreadable)
        return SeriesSet(hints.limit > 0 && series.count > hints.limit ? Array(series.prefix(hints.limit)) : series,
                         warnings: warnings(unreadable))
    }

    /// Series with samples in `[minTime, maxTime]`, sorted by labels. A series entry or chunk
    /// that cannot be read is left out, recorded in ``damage`` and described in `unreadable`.
    public func select(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp, unreadable: inout [String]) -> [SeriesData] {
        guard overlaps(minTime: minTime, maxTime: maxTime) else { return [] }
        let deleted = tombstones
        var out: [SeriesData] = []
        for id in index.postings(for: matchers) {
            let s: (labels: Labels, chunks: [IndexChunkMeta])
            do { s = try index.series(id) } catch {
                unreadable.append("\(error)")
                continue
            }
            var data: [ChunkData] = []
            for c in s.chunks where c.maxTime >= minTime && c.minTime <= maxTime {
                guard let (enc, bytes) = chunks.chunk(c.ref) else {
                    unreadable.append("chunk \(c.ref) of series \(s.labels)")
                    continue
                }
                data.append(ChunkData(minTime: c.minTime, maxTime: c.maxTime, encoding: enc, bytes: Array(bytes)))
            }
            if let intervals = deleted[id], !data.isEmpty {
                data = Self.removing(intervals, from: data)
            }
            if data.isEmpty { continue }
            out.append(SeriesData(labels: s.labels, chunks: data, minTime: minTime, maxTime: maxTime))
        }
        return out
    }

    /// Series with samples in `[minTime, maxTime]`; damaged parts left out and recorded in
    /// ``damage`` only (for compaction, which logs that record).
    public func select(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp) -> [SeriesData] {
        var unreadable: [String] = []
        return select(matchers, minTime: minTime, maxTime: maxTime, unreadable: &unreadable)
    }

    /// One warning for what a read left out (the first few named).
    func warnings(_ unreadable: [String]) -> [String] {
        guard !unreadable.isEmpty else { return [] }
        let named = unreadable.prefix(3).joined(separator: "; ")
        return ["block \(meta.ulid): \(unreadable.count) damaged part\(unreadable.count == 1 ? "" : "s") left out of the answer (\(named)\(unreadable.count > 3 ? "; ..." : ""))"]
    }

    /// The chunks without the samples in `intervals`; chunks untouched by them are kept as is.
    public static func removing(_ intervals: [DeletedInterval], from chunks: [ChunkData]) -> [ChunkData] {
        var out: [ChunkData] = []
        for c in chunks {
            let touched = intervals.contains { $0.minTime <= c.maxTime && c.minTime <= $0.maxTime }
            if !touched { out.append(c); continue }
            let kept = c.decodedSamples().filter { !Tombstones.isDeleted($0.timestamp, in: intervals) }
            out.append(contentsOf: ChunkData.encode(kept))
        }
        return out
    }

    public func labelNames(_ matchers: [Matcher], hints: LabelHints) -> LabelList {
        if matchers.isEmpty { return LabelList(index.labelNames).limited(hints.limit) }
        var names = Set<String>()
        var unreadable: [String] = []
        for id in index.postings(for: matchers) {
            do { for l in try index.series(id).labels { names.insert(l.name) } } catch { unreadable.append("\(error)") }
        }
        return LabelList(names.sorted { $0.utf8Precedes($1) }, warnings: warnings(unreadable)).limited(hints.limit)
    }

    public func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) -> LabelList {
        if matchers.isEmpty { return LabelList(index.labelValues(name)).limited(hints.limit) }
        var values = Set<String>()
        var unreadable: [String] = []
        for id in index.postings(for: matchers) {
            do {
                if let v = try index.series(id).labels[name] { values.insert(v) }
            } catch { unreadable.append("\(error)") }
        }
        return LabelList(values.sorted { $0.utf8Precedes($1) }, warnings: warnings(unreadable)).limited(hints.limit)
    }

    /// Records deletion of the samples in `[minTime, maxTime]` of the series matching
    /// `matchers`, persisting the tombstones file. Returns how many series were affected.
    @discardableResult
    public func delete(_ matchers: [Matcher], minTime: Int64, maxTime: Int64) throws(BlockError) -> Int {
        guard overlaps(minTime: minTime, maxTime: maxTime) else { return 0 }
        var affected = 0
        var updated = tombstones
        for id in index.postings(for: matchers) {
            guard let s = try? index.series(id),
                  s.chunks.contains(where: { $0.maxTime >= minTime && $0.minTime <= maxTime }) else { continue }
            updated.add(id, DeletedInterval(minTime, maxTime))
            affected += 1
        }
        guard affected > 0 else { return 0 }
        try updated.write(directory: directory)
        tombstoneState.withLock { $0 = updated }
        return affected
    }
}

extension IndexReader: PostingsIndex {}
