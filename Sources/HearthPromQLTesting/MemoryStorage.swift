import HearthChunks
import HearthModel
import HearthStorage

/// An in-memory store for test scripts: series kept as sorted samples and handed to the engine
/// as XOR chunks, the same form the head and blocks hand out.
public final class MemoryStorage: Querier, @unchecked Sendable {
    private var series: [Labels: [Int64: Double]] = [:]
    /// Series that were given native-histogram samples, which Hearth does not store yet.
    public private(set) var histogramSeries = Set<Labels>()

    public init() {}

    /// Notes a native-histogram sample that could not be stored.
    public func appendHistogram(_ labels: Labels) {
        histogramSeries.insert(labels)
    }

    /// Adds (or overwrites) a sample.
    public func append(_ labels: Labels, _ t: Int64, _ v: Double) {
        series[labels, default: [:]][t] = v
    }

    public func select(_ matchers: [Matcher], hints: SelectHints) -> SeriesSet {
        let minTime = hints.start, maxTime = hints.end
        var out: [SeriesData] = []
        for (labels, samples) in series where matchers.allSatisfy({ $0.matches(labels[$0.name] ?? "") }) {
            let sorted = samples.filter { $0.key >= minTime && $0.key <= maxTime }.sorted { $0.key < $1.key }
            if sorted.isEmpty { continue }
            var chunks: [ChunkData] = []
            var start = 0
            while start < sorted.count {
                let end = min(start + 1024, sorted.count)
                var appender = XORAppender()
                for (t, v) in sorted[start..<end] { appender.append(timestamp: t, value: v) }
                chunks.append(ChunkData(minTime: sorted[start].key, maxTime: sorted[end - 1].key, bytes: appender.bytes))
                start = end
            }
            out.append(SeriesData(labels: labels, chunks: chunks, minTime: minTime, maxTime: maxTime))
        }
        return SeriesSet(out.sorted { $0.labels < $1.labels })
    }

    public func labelNames(_ matchers: [Matcher], hints: LabelHints) -> LabelList {
        LabelList(labelNames(matchers)).limited(hints.limit)
    }

    public func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) -> LabelList {
        LabelList(labelValues(name, matchers)).limited(hints.limit)
    }

    public func labelNames(_ matchers: [Matcher]) -> [String] {
        Set(series.keys.filter { l in matchers.allSatisfy { $0.matches(l[$0.name] ?? "") } }.flatMap { $0.map(\.name) })
            .sorted { $0.utf8Precedes($1) }
    }

    public func labelValues(_ name: String, _ matchers: [Matcher]) -> [String] {
        Set(series.keys.filter { l in matchers.allSatisfy { $0.matches(l[$0.name] ?? "") } }.compactMap { $0[name] })
            .sorted { $0.utf8Precedes($1) }
    }
}
