import HearthModel
import HearthPromQL
import HearthPromQLParser
import Synchronization

/// `record:`: the expression's result stored under a new metric name, with the rule's labels.
public final class RecordingRule: Sendable {
    public let name: String
    public let expr: Expr
    /// Fixed (not templated) labels; an empty value removes the label.
    public let labels: Labels
    let status: Mutex<RuleStatus> = Mutex(RuleStatus())

    public init(name: String, expr: Expr, labels: Labels) {
        self.name = name
        self.expr = expr
        self.labels = labels
    }

    /// The samples to store for the expression's result `vector` at `t`.
    public func evaluate(_ vector: Vector, at t: Int64, limit: Int = 0) throws(RuleError) -> [RuleSample] {
        var out: [RuleSample] = []
        out.reserveCapacity(vector.count)
        var seen: Set<Labels> = []
        for sample in vector {
            var dict: [String: String] = [:]
            for l in sample.labels { dict[l.name] = l.value }
            dict[Labels.metricName] = name
            for l in labels { dict[l.name] = l.value.isEmpty ? nil : l.value }
            let result = Labels(dict)
            guard seen.insert(result).inserted else {
                throw RuleError("vector contains metrics with the same labelset after applying rule labels")
            }
            out.append(RuleSample(labels: result, t: t, v: sample.f))
        }
        if limit > 0 && out.count > limit { throw RuleError("exceeded limit of \(limit) with \(out.count) series") }
        return out
    }

    public var lastStatus: RuleStatus { status.withLock { $0 } }
}
