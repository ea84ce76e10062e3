import HearthChunks
import HearthModel

/// An encoded chunk handed to readers: its time range and its bytes (copied out of the
/// memory-mapped file or the open head chunk, so the reader owns them).
public struct ChunkData: Sendable {
    public var minTime: Timestamp
    public var maxTime: Timestamp
    public var encoding: ChunkEncoding
    public var bytes: [UInt8]

    public init(minTime: Timestamp, maxTime: Timestamp, encoding: ChunkEncoding = .xor, bytes: [UInt8]) {
        self.minTime = minTime
        self.maxTime = maxTime
        self.encoding = encoding
        self.bytes = bytes
    }
}

/// One selected series: its labels and its chunks in time order, cut to the queried range
/// by ``samples()``.
public struct SeriesData: Sendable {
    public var labels: Labels
    public var chunks: [ChunkData]
    public var minTime: Timestamp
    public var maxTime: Timestamp

    public init(labels: Labels, chunks: [ChunkData], minTime: Timestamp, maxTime: Timestamp) {
        self.labels = labels
        self.chunks = chunks
        self.minTime = minTime
        self.maxTime = maxTime
    }

    /// Every sample within `[minTime, maxTime]`, in time order.
    public func samples() -> [Sample] {
        var out: [Sample] = []
        var ts: [Int64] = [], vs: [Double] = []
        guard minTime <= maxTime else { return out }
        for c in chunks { c.appendSamples(in: minTime...maxTime, to: &out, timestamps: &ts, values: &vs) }
        return out
    }
}

/// Reads series by label matchers; what PromQL, the HTTP API and federation see of storage.
/// Implemented by the head, blocks and ``MergeQuerier``, later by fan-out queriers in the
/// cluster roles.
public protocol Querier: Sendable {
    /// Series matching every matcher with samples in `[minTime, maxTime]`, sorted by labels.
    func select(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp) -> [SeriesData]
    /// Sorted label names, of the series matching `matchers` (all series if empty).
    func labelNames(_ matchers: [Matcher]) -> [String]
    /// Sorted values of label `name`, of the series matching `matchers` (all if empty).
    func labelValues(_ name: String, _ matchers: [Matcher]) -> [String]
}
