import HearthModel

/// Why a sample was refused. The cases mirror Prometheus's storage errors (`ErrOutOfOrderSample`,
/// `ErrOutOfBounds`, `ErrDuplicateSampleForTimestamp`) and carry the series and timestamps, so a
/// caller can say exactly which sample was refused.
public enum AppendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Older than the newest sample of its series.
    case outOfOrder(series: Labels, timestamp: Timestamp, newest: Timestamp)
    /// Older than the head accepts (before its appendable window).
    case tooOld(series: Labels, timestamp: Timestamp, minValidTime: Timestamp)
    /// Same timestamp as the newest sample, with a different value.
    case duplicateTimestamp(series: Labels, timestamp: Timestamp)
    /// Outside the timestamps Hearth stores (``StorableTime``), in either direction.
    case outOfRange(series: Labels, timestamp: Timestamp)
    /// The label set is empty or invalid.
    case invalidLabels(String)
    /// A ref the storage does not know (any more), given without labels to fall back to.
    case unknownSeries(ref: UInt64)

    public var description: String {
        switch self {
        case .outOfOrder(let s, let t, let newest):
            return "out of order sample: series \(s) timestamp \(t) is before the newest sample at \(newest)"
        case .tooOld(let s, let t, let min):
            return "out of bounds: series \(s) timestamp \(t) is older than the minimum valid time \(min)"
        case .duplicateTimestamp(let s, let t):
            return "duplicate sample for timestamp: series \(s) timestamp \(t) already has a different value"
        case .invalidLabels(let why):
            return "invalid labels: \(why)"
        case .unknownSeries(let ref):
            return "series ref \(ref) is unknown and no labels were given"
        case .outOfRange(let s, let t):
            return "out of bounds: series \(s) timestamp \(t) is outside the storable range [\(StorableTime.minimum), \(StorableTime.maximum)]"
        }
    }
}

/// A commit failed: nothing of the batch was acknowledged or applied.
public struct CommitError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { "commit failed: \(message)" }

    public init(message: String) {
        self.message = message
    }
}

/// A batch of samples for one storage: the head, the agent's log, and (in the cluster roles)
/// a distributor. Scrapes, rules and remote write all write through it.
///
/// ``append(_:_:_:_:)`` checks and buffers a sample; ``commit()`` makes the batch durable and
/// then visible, whole; ``rollback()`` drops it. A refused sample throws and leaves the batch
/// usable, so a caller decides whether one refusal sinks the batch (remote write 1.0) or is
/// counted and skipped (scrapes, rules). Not thread-safe: one appender per batch.
///
/// Refs let callers skip the label work for series they have written before: every append
/// returns the series' ref, which the caller caches and passes next time with or without the
/// labels. A ref the storage no longer knows (the series was truncated while idle) falls back
/// to the labels, or throws ``AppendError/unknownSeries(ref:)`` when none were given.
public protocol Appender {
    /// Buffers a float sample for series `ref`, or for the series with `labels` when `ref` is 0
    /// or unknown. Returns the series' ref.
    @discardableResult
    func append(_ ref: UInt64, _ labels: Labels, _ t: Timestamp, _ v: Double) throws(AppendError) -> UInt64
    /// Makes the batch durable, then visible. After a throw nothing of it was applied.
    func commit() throws(CommitError)
    /// Drops the batch.
    func rollback()
}

/// A storage that hands out batches. Generic rather than existential where it is hot (scrape
/// loops are specialized per storage).
public protocol Appendable: Sendable {
    associatedtype BatchAppender: Appender
    /// A new, empty batch.
    func appender() -> BatchAppender
}
