import HearthModel
import HearthStorage

/// Where rules read and write: the server's TSDB (later a cluster's queriers and distributors).
public protocol RuleStorage: Sendable {
    func querier() -> any Querier
    /// A batch for one rule's results, committed together.
    func ruleAppender() -> any RuleAppender
}

/// How an appended sample fared; the refusals are those Prometheus counts rather than logs.
public enum RuleAppendOutcome: Sendable, Equatable {
    case appended
    case outOfOrder
    case tooOld
    case duplicate
    case failed(String)
}

public protocol RuleAppender: AnyObject {
    func append(_ labels: Labels, _ t: Int64, _ v: Double) -> RuleAppendOutcome
    func commit() throws
}
