import HearthModel

/// One view over several queriers (the blocks and the head): series with the same labels are
/// joined, their chunks concatenated in time order, overlaps deduplicated by timestamp.
/// Queriers are listed oldest first; on equal timestamps the later one's sample wins. Every
/// part's warnings are passed on; a part's error fails the whole read.
public struct MergeQuerier: Querier {
    public let queriers: [any Querier]

    public init(_ queriers: [any Querier]) {
        self.queriers = queriers
    }

    public var blocksOnRemoteReads: Bool { queriers.contains { $0.blocksOnRemoteReads } }

    public func select(_ matchers: [Matcher], hints: SelectHints) throws(StorageError) -> SeriesSet {
        var warnings: [String] = []
        var parts: [[SeriesData]] = []
        for q in queriers {
            let set = try q.select(matchers, hints: hints)
            warnings += set.warnings
            if !set.series.isEmpty { parts.append(set.series) }
        }
        if parts.count <= 1 { return SeriesSet(parts.first ?? [], warnings: warnings) }
        return SeriesSet(Self.merge(parts, minTime: hints.start, maxTime: hints.end), warnings: warnings)
    }

    /// k-way merge of lists sorted by labels (each list's series with distinct labels).
    public static func merge(_ parts: [[SeriesData]], minTime: Timestamp, maxTime: Timestamp) -> [SeriesData] {
        var cursors = [Int](repeating: 0, count: parts.count)
        var out: [SeriesData] = []
        while true {
            var smallest: Labels?
            for (p, list) in parts.enumerated() where cursors[p] < list.count {
                let l = list[cursors[p]].labels
                if smallest == nil || l < smallest! { smallest = l }
            }
            guard let labels = smallest else { break }
            var chunks: [ChunkData] = []
            var sources = 0
            for (p, list) in parts.enumerated() where cursors[p] < list.count && list[cursors[p]].labels == labels {
                chunks.append(contentsOf: list[cursors[p]].chunks)
                cursors[p] += 1
                sources += 1
            }
            if sources > 1 { chunks = SeriesData.mergeChunks(chunks) }
            out.append(SeriesData(labels: labels, chunks: chunks, minTime: minTime, maxTime: maxTime))
        }
        return out
    }

    public func labelNames(_ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList {
        var lists: [LabelList] = []
        for q in queriers { lists.append(try q.labelNames(matchers, hints: hints)) }
        return Self.union(lists).limited(hints.limit)
    }

    public func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList {
        var lists: [LabelList] = []
        for q in queriers { lists.append(try q.labelValues(name, matchers, hints: hints)) }
        return Self.union(lists).limited(hints.limit)
    }

    /// Union of sorted string lists, sorted by bytes, with every list's warnings.
    static func union(_ lists: [LabelList]) -> LabelList {
        let warnings = lists.flatMap(\.warnings)
        let nonEmpty = lists.map(\.values).filter { !$0.isEmpty }
        if nonEmpty.count <= 1 { return LabelList(nonEmpty.first ?? [], warnings: warnings) }
        return LabelList(Set(nonEmpty.joined()).sorted { $0.utf8Precedes($1) }, warnings: warnings)
    }
}
