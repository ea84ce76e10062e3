import HearthPromQLParser
import Synchronization

/// A rule of a group: recording or alerting.
public enum Rule: Sendable {
    case recording(RecordingRule)
    case alerting(AlertingRule)

    public var name: String {
        switch self {
        case .recording(let r): r.name
        case .alerting(let a): a.name
        }
    }

    public var expr: Expr {
        switch self {
        case .recording(let r): r.expr
        case .alerting(let a): a.expr
        }
    }

    public var lastStatus: RuleStatus {
        switch self {
        case .recording(let r): r.lastStatus
        case .alerting(let a): a.lastStatus
        }
    }

    func setStatus(_ status: RuleStatus) {
        switch self {
        case .recording(let r): r.status.withLock { $0 = status }
        case .alerting(let a): a.state.withLock { $0.status = status }
        }
    }

    /// Name, kind and labels: how a reload matches a new rule to the old one whose state it takes.
    var identity: String {
        switch self {
        case .recording(let r): "record:\(r.name)\(r.labels)"
        case .alerting(let a): "alert:\(a.name)\(a.labels)"
        }
    }
}
