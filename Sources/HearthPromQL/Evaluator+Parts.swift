import HearthChunks
import HearthStorage

/// Buffers one thread reuses from series to series.
struct StepScratch {
    var points: [FPoint] = []
    var values: [Double] = []
    var output: [FPoint] = []
    /// The window's candidates for `min_over_time`/`max_over_time` (see `RangeStepper`).
    var queue: [Int] = []
}

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

    /// Steps every selected series with `step`, which appends at most one result series to the
    /// part (and may note a non-counter) and returns the error that ends the query. The series
    /// are taken in contiguous parts, on several threads when ``partCount(_:outputPerSeries:)``
    /// allows, and the parts joined in order. `step` gets the samples the query may still hold:
    /// with one part that is the query's own headroom, counted down series by series as in a
    /// single pass; with several, the whole selection was checked to fit.
    func stepInParts(
        _ selected: [SeriesData], outputPerSeries: Int,
        _ step: @escaping @Sendable (_ data: SeriesData, _ headroom: Int, _ scratch: inout StepScratch, _ part: inout PartOutput)
            -> QueryError?
    ) throws(QueryError) -> Matrix {
        let parts = partCount(selected, outputPerSeries: outputPerSeries)
        let budget = parts == 1 ? context.maxSamples - context.currentSamples : Int.max
        let deadline = context.deadline
        return try merge(SeriesParts.run(count: selected.count, parts: parts) { range in
            var part = PartOutput()
            var scratch = StepScratch()
            for i in range {
                if (i - range.lowerBound) & 63 == 0 {
                    // Task.isCancelled is false on threads other than the query's; `merge` looks again.
                    if Task.isCancelled {
                        part.error = .canceled
                        break
                    }
                    if let deadline, ContinuousClock.now > deadline {
                        part.error = .timeout
                        break
                    }
                }
                let before = part.series.count
                if let error = step(selected[i], budget - part.held, &scratch, &part) {
                    part.error = error
                    break
                }
                if part.series.count > before {
                    part.held += part.series[before].floats.count
                    if part.held > budget {
                        part.error = .tooManySamples
                        break
                    }
                }
            }
            return part
        })
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
