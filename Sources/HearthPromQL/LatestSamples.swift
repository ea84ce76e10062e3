import HearthModel
import HearthStorage

/// The latest sample of one series, with its own timestamp (what `/federate` exposes).
public struct LatestSample: Sendable {
    public var labels: Labels
    public var sample: Sample

    public init(labels: Labels, sample: Sample) {
        self.labels = labels
        self.sample = sample
    }
}

/// The answer to ``Engine/latestSamples(matching:at:querier:)``: sorted by labels, with the
/// reads' warnings.
public struct LatestSamples: Sendable {
    public var samples: [LatestSample]
    public var warnings: [String]
}

extension Engine {
    /// The latest sample at or before `t` of every series matching any of `matcherSets`,
    /// within the lookback delta and not a stale marker: federation's read, held to the same
    /// timeout and `--query.max-samples` as a query. A chunk that does not decode fails it.
    public func latestSamples(matching matcherSets: [[Matcher]], at t: Int64, querier: any Querier) throws(QueryError) -> LatestSamples {
        guard QueryTime.range.contains(t) else {
            throw .timeOutOfRange
        }
        let deadline = ContinuousClock.now + options.timeout
        var latest: [Labels: Sample] = [:]
        var warnings: [String] = []
        for matchers in matcherSets {
            if ContinuousClock.now > deadline { throw .timeout }
            let selected: SeriesSet
            do { selected = try querier.select(matchers, hints: SelectHints(start: t - options.lookbackDelta, end: t)) } catch {
                throw .storage(error.description)
            }
            warnings += selected.warnings
            for s in selected.series where latest[s.labels] == nil {
                let samples: [Sample]
                do { samples = try s.samples() } catch { throw .storage(error.description) }
                guard let last = samples.last, !StaleMarker.isStale(last.value) else { continue }
                latest[s.labels] = last
                if latest.count > options.maxSamples { throw .tooManySamples }
            }
        }
        let sorted = latest.map { LatestSample(labels: $0.key, sample: $0.value) }.sorted { $0.labels < $1.labels }
        return LatestSamples(samples: sorted, warnings: warnings)
    }
}
