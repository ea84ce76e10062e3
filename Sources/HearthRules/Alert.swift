import HearthModel

/// An alert instance's state; ordered as Prometheus orders them for a rule's overall state.
public enum AlertState: Int, Sendable, Comparable, CustomStringConvertible {
    case unknown, inactive, pending, firing

    public static func < (a: AlertState, b: AlertState) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .inactive: "inactive"
        case .pending: "pending"
        case .firing: "firing"
        }
    }
}

/// One instance of an alerting rule: a label set the expression returned. Times are Unix ms;
/// nil is Go's zero time.
public struct Alert: Sendable, Equatable {
    public var state: AlertState
    public var labels: Labels
    public var annotations: Labels
    /// The expression's value at the last evaluation.
    public var value: Double
    public var activeAt: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    public var lastSentAt: Int64?
    public var validUntil: Int64?
    public var keepFiringSince: Int64?

    /// Whether the notifier should get this alert at `ts`: never while pending; at once when it
    /// resolved since the last send; else every `resendDelay`.
    func needsSending(at ts: Int64, resendDelay: Int64) -> Bool {
        if state == .pending { return false }
        if let r = resolvedAt, r > (lastSentAt ?? Int64.min) { return true }
        return (lastSentAt ?? Int64.min / 2) + resendDelay < ts
    }
}

/// A rule's health, as the rules API reports it.
public enum RuleHealth: String, Sendable {
    case unknown, ok, err
}

/// What the API shows of a rule's last evaluation.
public struct RuleStatus: Sendable {
    public var health = RuleHealth.unknown
    public var lastError: String?
    /// Wall-clock Unix ms at which the last evaluation started; 0 if never.
    public var lastEvaluation: Int64 = 0
    public var evaluationSeconds: Double = 0
}

/// A sample a rule produced, written to storage.
public struct RuleSample: Sendable, Equatable {
    public var labels: Labels
    public var t: Int64
    public var v: Double

    public init(labels: Labels, t: Int64, v: Double) {
        self.labels = labels
        self.t = t
        self.v = v
    }
}

/// Why a rule's evaluation failed (shown as its `lastError`).
public struct RuleError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
