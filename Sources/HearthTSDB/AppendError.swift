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
        case .outOfRange(let s, let t):
            return "out of bounds: series \(s) timestamp \(t) is outside the storable range [\(StorableTime.minimum), \(StorableTime.maximum)]"
        }
    }
}

/// A commit failed: nothing of the batch was acknowledged or applied.
public struct CommitError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { "commit failed: \(message)" }
}
