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

    public func select(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp) -> [SeriesData] {
        guard overlaps(minTime: minTime, maxTime: maxTime) else { return [] }
        let deleted = tombstones
        var out: [SeriesData] = []
        for id in index.postings(for: matchers) {
            guard let s = try? index.series(id) else { continue }
            var data: [ChunkData] = []
            for c in s.chunks where c.maxTime >= minTime && c.minTime <= maxTime {
                guard let (enc, bytes) = chunks.chunk(c.ref) else { continue }
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

    public func labelNames(_ matchers: [Matcher]) -> [String] {
        if matchers.isEmpty { return index.labelNames }
        var names = Set<String>()
        for id in index.postings(for: matchers) {
            if let s = try? index.series(id) { for l in s.labels { names.insert(l.name) } }
        }
        return names.sorted { $0.utf8Precedes($1) }
    }

    public func labelValues(_ name: String, _ matchers: [Matcher]) -> [String] {
        if matchers.isEmpty { return index.labelValues(name) }
        var values = Set<String>()
        for id in index.postings(for: matchers) {
            if let v = (try? index.series(id))?.labels[name] { values.insert(v) }
        }
        return values.sorted { $0.utf8Precedes($1) }
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
