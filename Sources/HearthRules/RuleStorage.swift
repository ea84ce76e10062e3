import HearthModel
import HearthStorage

/// Where rules read and write: the server's TSDB (later a cluster's queriers and distributors).
public protocol RuleStorage: Sendable {
    func querier() -> any Querier
    /// A batch for one rule's results, committed together.
    func appender() -> any Appender
}

extension AppendError {
    /// Whether Prometheus's rule evaluation counts this refusal and goes on (out of order, out
    /// of bounds, duplicate timestamp) rather than reporting it as the rule's failure.
    var isCountedByRules: Bool {
        switch self {
        case .outOfOrder, .tooOld, .outOfRange, .duplicateTimestamp: true
        case .invalidLabels, .unknownSeries: false
        }
    }
}
