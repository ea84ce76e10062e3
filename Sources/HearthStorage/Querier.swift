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

    /// Every sample within `[minTime, maxTime]`, in time order. A chunk that does not decode
    /// fails the read rather than leaving its samples out unsaid.
    public func samples() throws(StorageError) -> [Sample] {
        var out: [Sample] = []
        var ts: [Int64] = [], vs: [Double] = []
        guard minTime <= maxTime else { return out }
        for c in chunks where !c.appendSamples(in: minTime...maxTime, to: &out, timestamps: &ts, values: &vs) {
            throw StorageError("series \(labels): a \(c.encoding) chunk from \(c.minTime) to \(c.maxTime) does not decode")
        }
        return out
    }
}

/// What a selection is for, so that a querier can read less: the time range always, and
/// what the engine knows of the selector's use (Prometheus's `storage.SelectHints`). A local
/// querier reads only the range; a remote one forwards the rest.
public struct SelectHints: Sendable, Hashable {
    /// Inclusive bounds of the samples wanted (ms).
    public var start: Timestamp
    public var end: Timestamp
    /// The query's step (ms), 0 for an instant query.
    public var step: Int64 = 0
    /// The range of a range selector (ms), 0 for an instant selector.
    public var range: Int64 = 0
    /// The function or aggregation the selection feeds, if any (`rate`, `sum`, ...).
    public var function: String?
    /// The aggregation's `by` (or, with `by` false, `without`) labels.
    public var grouping: [String] = []
    public var by = false
    /// At most this many series (0: no limit).
    public var limit = 0

    public init(start: Timestamp, end: Timestamp) {
        self.start = start
        self.end = end
    }
}

/// Bounds of a label names or values lookup.
public struct LabelHints: Sendable, Equatable {
    public var start: Timestamp = .min
    public var end: Timestamp = .max
    /// At most this many values (0: no limit).
    public var limit = 0

    public init(start: Timestamp = .min, end: Timestamp = .max, limit: Int = 0) {
        self.start = start
        self.end = end
        self.limit = limit
    }
}

/// The series a selection found, sorted by labels, and what the caller should be told about
/// them: a part that could not be read, an endpoint that did not answer. Warnings mean the
/// answer may be incomplete; they reach the API's `warnings`.
public struct SeriesSet: Sendable {
    public var series: [SeriesData]
    public var warnings: [String]

    public init(_ series: [SeriesData] = [], warnings: [String] = []) {
        self.series = series
        self.warnings = warnings
    }
}

/// Sorted label names or values, with warnings as in ``SeriesSet``.
public struct LabelList: Sendable, Equatable {
    public var values: [String]
    public var warnings: [String]

    public init(_ values: [String] = [], warnings: [String] = []) {
        self.values = values
        self.warnings = warnings
    }
}

/// A read that failed as a whole (a remote endpoint that is required to answer, an unreadable
/// part that cannot be left out): the query fails with it (Prometheus's `internal` error type).
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Reads series by label matchers; what PromQL, the HTTP API, the rules and federation see of
/// storage. Implemented by the head, blocks and ``MergeQuerier``, and by fan-out queriers over
/// remote endpoints.
///
/// Nothing is swallowed: a part that cannot be read becomes a warning (the rest is answered)
/// or a ``StorageError`` (nothing is).
public protocol Querier: Sendable {
    /// Series matching every matcher with samples in `[hints.start, hints.end]`, sorted by labels.
    func select(_ matchers: [Matcher], hints: SelectHints) throws(StorageError) -> SeriesSet
    /// Sorted label names of the series matching `matchers` (all series if empty).
    func labelNames(_ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList
    /// Sorted values of label `name` of the series matching `matchers` (all if empty).
    func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList
    /// Whether reads wait on the network (a fan-out over remote endpoints): then the engine
    /// evaluates on a thread of its own rather than on the task pool's few threads.
    var blocksOnRemoteReads: Bool { get }
}

extension Querier {
    public var blocksOnRemoteReads: Bool { false }
}

extension LabelList {
    /// The first `limit` values (all when 0).
    public func limited(_ limit: Int) -> LabelList {
        limit > 0 && values.count > limit ? LabelList(Array(values.prefix(limit)), warnings: warnings) : self
    }
}
