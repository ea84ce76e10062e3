#if canImport(Glibc)
import Glibc
#endif
import HearthBlock
import HearthChunks
import HearthIndex
import HearthModel
import HearthStorage
import Synchronization

extension Head: Querier {
    /// Series matching every matcher (see ``PostingsIndex/postings(for:)``).
    func postings(for matchers: [Matcher]) -> PostingsList {
        postings.postings(for: matchers)
    }

    public func select(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp) -> [SeriesData] {
        var out: [SeriesData] = []
        let deleted = tombstones.withLock { $0.isEmpty ? nil : $0 }
        for ref in postings(for: matchers) {
            guard let (s, ids) = snapshotSeriesAndLabels(ref) else { continue }
            var chunks: [ChunkData] = []
            for m in s.mapped where m.maxTime >= minTime && m.minTime <= maxTime {
                if let bytes = chunkFiles.chunk(m.ref) {
                    chunks.append(ChunkData(minTime: m.minTime, maxTime: m.maxTime, bytes: bytes))
                }
            }
            if let h = s.head, h.count > 0, h.lastTimestamp >= minTime && s.headMinTime <= maxTime {
                chunks.append(ChunkData(minTime: s.headMinTime, maxTime: h.lastTimestamp, bytes: h.bytes))
            }
            if let intervals = deleted?[ref], !chunks.isEmpty {
                chunks = Block.removing(intervals, from: chunks)
            }
            if chunks.isEmpty { continue }
            out.append(SeriesData(labels: symbols.labels(ids), chunks: chunks, minTime: minTime,
                                  maxTime: maxTime))
        }
        return Self.sortedByLabels(out)
    }

    /// Sorts by labels through one byte key per series (`name 0x00 value 0x00 ...`, which orders
    /// exactly as `Labels <` when no label holds a NUL byte): a `memcmp` per comparison instead
    /// of walking label structs.
    static func sortedByLabels(_ series: [SeriesData]) -> [SeriesData] {
        guard series.count > 1 else { return series }
        var keys: [[UInt8]] = []
        keys.reserveCapacity(series.count)
        for s in series {
            var key: [UInt8] = []
            for l in s.labels {
                if l.name.utf8.contains(0) || l.value.utf8.contains(0) { return series.sorted { $0.labels < $1.labels } }
                key.append(contentsOf: l.name.utf8)
                key.append(0)
                key.append(contentsOf: l.value.utf8)
                key.append(0)
            }
            keys.append(key)
        }
        let order = keys.indices.sorted { a, b in
            keys[a].withUnsafeBufferPointer { x in
                keys[b].withUnsafeBufferPointer { y in
                    let n = min(x.count, y.count)
                    if n > 0 {
                        let c = memcmp(x.baseAddress!, y.baseAddress!, n)
                        if c != 0 { return c < 0 }
                    }
                    return x.count < y.count
                }
            }
        }
        return order.map { series[$0] }
    }

    /// A copy of a series' state and label ids taken under one lock acquisition.
    func snapshotSeriesAndLabels(_ ref: UInt64) -> (MemSeries, [UInt32])? {
        let i = slot(ofRef: ref)
        return stripe(ofRef: ref).series.withLock { s in s.isLive(i) ? (s.series[i], Array(s.labelIDs(of: i))) : nil }
    }

    public func labelNames(_ matchers: [Matcher]) -> [String] {
        if matchers.isEmpty { return postings.labelNames() }
        var names = Set<String>()
        for ref in postings(for: matchers) {
            if let l = labelsOf(ref) { for x in l { names.insert(x.name) } }
        }
        return names.sorted { $0.utf8Precedes($1) }
    }

    public func labelValues(_ name: String, _ matchers: [Matcher]) -> [String] {
        if matchers.isEmpty { return postings.labelValues(name: name) }
        var values = Set<String>()
        for ref in postings(for: matchers) {
            if let v = labelsOf(ref)?[name] { values.insert(v) }
        }
        return values.sorted { $0.utf8Precedes($1) }
    }
}
