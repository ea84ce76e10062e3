import HearthModel

/// One view over several queriers (the blocks and the head): series with the same labels are
/// joined, their chunks concatenated in time order, overlaps deduplicated by timestamp.
/// Queriers are listed oldest first; on equal timestamps the later one's sample wins.
public struct MergeQuerier: Querier {
    public let queriers: [any Querier]

    public init(_ queriers: [any Querier]) {
        self.queriers = queriers
    }

    public func select(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp) -> [SeriesData] {
        let parts = queriers.map { $0.select(matchers, minTime: minTime, maxTime: maxTime) }.filter { !$0.isEmpty }
        if parts.count <= 1 { return parts.first ?? [] }
        // k-way merge of lists sorted by labels.
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

    public func labelNames(_ matchers: [Matcher]) -> [String] {
        Self.union(queriers.map { $0.labelNames(matchers) })
    }

    public func labelValues(_ name: String, _ matchers: [Matcher]) -> [String] {
        Self.union(queriers.map { $0.labelValues(name, matchers) })
    }

    /// Union of sorted string lists, sorted by bytes.
    static func union(_ lists: [[String]]) -> [String] {
        let nonEmpty = lists.filter { !$0.isEmpty }
        if nonEmpty.count <= 1 { return nonEmpty.first ?? [] }
        return Set(nonEmpty.joined()).sorted { $0.utf8Precedes($1) }
    }
}
