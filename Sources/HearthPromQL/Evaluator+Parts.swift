import HearthChunks
import HearthStorage

/// What one thread produced from its part of a selection.
struct PartOutput: Sendable {
    var series: Matrix = []
    /// Samples in `series`, counted against the query's limit when the parts are merged.
    var held = 0
    /// Metrics `rate`/`increase` was applied to that do not look like counters, in order.
    var nonCounters: [String] = []
    var error: QueryError?
}

extension Evaluator {
    /// How many threads to step `selected` on: one unless the selection is large and the query
    /// is so far under `--query.max-samples` that even every series' whole chunks plus a full
    /// output each could not reach it (then no part can fail where a single pass would not).
    func partCount(_ selected: [SeriesData], outputPerSeries: Int) -> Int {
        let parts = SeriesParts.partCount(selected.count, parallelism: context.parallelism,
                                          minimumPerPart: context.minimumSeriesPerPart)
        guard parts > 1 else { return 1 }
        var largest = 0
        for s in selected {
            var n = 0
            for c in s.chunks { n += c.bytes.count < 2 ? 0 : Int(c.bytes[0]) << 8 | Int(c.bytes[1]) }
            largest = max(largest, n)
        }
        let worst = largest + selected.count * outputPerSeries
        return context.maxSamples - context.currentSamples >= worst ? parts : 1
    }

    /// Concatenates the parts' series in order, counts their samples against the limit and
    /// carries their notes; the first part's error (in series order) ends the query.
    func merge(_ parts: [PartOutput]) throws(QueryError) -> Matrix {
        if Task.isCancelled { throw .canceled }
        var out: Matrix = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.series.count })
        for part in parts {
            if let error = part.error { throw error }
            out.append(contentsOf: part.series)
            for metric in part.nonCounters { annotations.info(nonCounterNote(metric)) }
        }
        try context.hold(parts.reduce(0) { $0 + $1.held })
        return out
    }

    func nonCounterNote(_ metric: String) -> String {
        "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"\(metric)\""
    }
}
