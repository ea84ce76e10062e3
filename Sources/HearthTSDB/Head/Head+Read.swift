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

    public func select(_ matchers: [Matcher], hints: SelectHints) -> SeriesSet {
        var unreadable: [String] = []
        let series = select(matchers, minTime: hints.start, maxTime: hints.end, unreadable: &unreadable)
        return SeriesSet(hints.limit > 0 && series.count > hints.limit ? Array(series.prefix(hints.limit)) : series,
                         warnings: Self.warnings(unreadable))
    }

    /// Series with samples in `[minTime, maxTime]`, sorted by labels; a completed chunk whose
    /// file cannot be read is left out and described in `unreadable`.
    public func select(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp, unreadable: inout [String]) -> [SeriesData] {
        let deleted = tombstones.withLock { $0.isEmpty ? nil : $0 }
        return Self.sortedByLabels(seriesData(postings(for: matchers), minTime: minTime, maxTime: maxTime, deleted: deleted,
                                              unreadable: &unreadable))
    }

    /// One warning for the chunks a selection left out (the first few named).
    static func warnings(_ unreadable: [String]) -> [String] {
        guard !unreadable.isEmpty else { return [] }
        let named = unreadable.prefix(3).joined(separator: "; ")
        return ["head: \(unreadable.count) completed chunk\(unreadable.count == 1 ? "" : "s") could not be read and \(unreadable.count == 1 ? "is" : "are") left out (\(named)\(unreadable.count > 3 ? "; ..." : ""))"]
    }

    /// Labels and the chunks overlapping `[minTime, maxTime]` of each series in `refs` that has any.
    private func seriesData(
        _ refs: PostingsList, minTime: Timestamp, maxTime: Timestamp, deleted: Tombstones?, unreadable: inout [String]
    ) -> [SeriesData] {
        var out: [SeriesData] = []
        out.reserveCapacity(refs.count)
        for ref in refs {
            // The open chunk's bytes are copied under the lock; the completed chunks are read after.
            guard let (mapped, ids, open) = withSeries(ref, { s, ids, space -> ([MappedChunkMeta], [UInt32], ChunkData?) in
                var open: ChunkData?
                if s.head.count > 0, s.head.lastTimestamp >= minTime {
                    let headMinTime = s.head.firstTimestamp(in: space)
                    if headMinTime <= maxTime {
                        open = ChunkData(minTime: headMinTime, maxTime: s.head.lastTimestamp, encoding: s.head.encoding,
                                         bytes: s.head.bytes(in: space))
                    }
                }
                return (Array(s.mapped(in: space)), Array(ids), open)
            }) else { continue }
            var chunks: [ChunkData] = []
            for m in mapped where m.maxTime >= minTime && m.minTime <= maxTime {
                if let bytes = chunkFiles.chunk(m.ref) {
                    chunks.append(ChunkData(minTime: m.minTime, maxTime: m.maxTime, bytes: bytes))
                } else {
                    unreadable.append("\(HeadChunkFiles.path(chunkFiles.directory, Int(m.ref >> 32))) offset \(m.ref & 0xFFFF_FFFF), series \(symbols.labels(ids))")
                }
            }
            if let open { chunks.append(open) }
            if let intervals = deleted?[ref], !chunks.isEmpty {
                chunks = Block.removing(intervals, from: chunks)
            }
            if chunks.isEmpty { continue }
            out.append(SeriesData(labels: symbols.labels(ids), chunks: chunks, minTime: minTime, maxTime: maxTime))
        }
        return out
    }

    /// Sorts by labels through one byte key per series (`name 0x00 value 0x00 ...`, which orders
    /// exactly as `Labels <` when no label holds a NUL byte): a `memcmp` per comparison instead
    /// of walking label structs. The keys share one buffer.
    static func sortedByLabels(_ series: [SeriesData]) -> [SeriesData] {
        guard series.count > 1 else { return series }
        var keys: [UInt8] = []
        var bounds: [Int] = [0]
        bounds.reserveCapacity(series.count + 1)
        for s in series {
            for l in s.labels {
                let nameStart = keys.count
                keys.append(contentsOf: l.name.utf8)
                let nameEnd = keys.count
                keys.append(0)
                keys.append(contentsOf: l.value.utf8)
                // A NUL inside a name or value would order differently than `Labels <`.
                if keys[nameStart..<nameEnd].contains(0) || keys[(nameEnd + 1)...].contains(0) {
                    return series.sorted { $0.labels < $1.labels }
                }
                keys.append(0)
            }
            bounds.append(keys.count)
        }
        if keys.isEmpty { return series }
        let order = keys.withUnsafeBufferPointer { k in
            let base = k.baseAddress!
            return bounds.indices.dropLast().sorted { a, b in
                let (x, xn) = (base + bounds[a], bounds[a + 1] - bounds[a])
                let (y, yn) = (base + bounds[b], bounds[b + 1] - bounds[b])
                let n = min(xn, yn)
                if n > 0 {
                    let c = memcmp(x, y, n)
                    if c != 0 { return c < 0 }
                }
                return xn < yn
            }
        }
        return order.map { series[$0] }
    }

    /// Calls `body` under the series' stripe lock with the series, its label ids and the space
    /// holding its open chunk; nil if there is no such series. What `body` returns must not
    /// refer to the space: its segments are reused once the lock is released.
    func withSeries<R>(_ ref: UInt64, _ body: (MemSeries, ArraySlice<UInt32>, ChunkSpace) -> R) -> R? {
        let i = slot(ofRef: ref)
        return stripe(ofRef: ref).series.withLock { s in s.isLive(i) ? body(s.series[i], s.labelIDs(of: i), s.chunks) : nil }
    }

    public func labelNames(_ matchers: [Matcher], hints: LabelHints) -> LabelList {
        LabelList(labelNames(matchers)).limited(hints.limit)
    }

    public func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) -> LabelList {
        LabelList(labelValues(name, matchers)).limited(hints.limit)
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
