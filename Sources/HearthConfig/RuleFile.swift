import HearthModel
import HearthRelabel
import Yams

/// A Prometheus rule file (`groups:`), as read from YAML with the position of each field, so
/// that checks done later (PromQL, templates) can name the line as promtool does.
public struct RuleFile: Sendable {
    public var groups: [RuleGroupSpec] = []

    /// A line and column (1-based; 0:0 when the field is absent, as Prometheus prints it).
    public struct Position: Sendable, Equatable, CustomStringConvertible {
        public var line = 0
        public var column = 0
        public var description: String { "\(line):\(column)" }
    }

    /// Parses the YAML; structural problems (unknown fields, wrong types, bad durations) are
    /// errors here. Rule-level validation is ``RuleFile/validate(checkExpression:checkTemplate:)``.
    public init(yaml: String) throws(ConfigError) {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch { throw ConfigError("\(error)") }
        guard let root else { return }
        let top = try YAMLValue(node: root).fields("rulefmt.RuleGroups", ["groups"])
        for g in try top["groups"]?.list() ?? [] {
            groups.append(try RuleGroupSpec(g))
        }
    }

    /// Every problem with the rules, worded as promtool words them
    /// (`LINE:COL: group "g", rule 1, "name": message`). `checkExpression` parses PromQL and
    /// `checkTemplate` parses a label or annotation template; each returns an error message or nil.
    public func validate(checkExpression: (String) -> String?, checkTemplate: (_ text: String, _ alert: String) -> String?) -> [String] {
        var errors: [String] = []
        var names: Set<String> = []
        for g in groups {
            if g.name.isEmpty { errors.append("\(g.position): Groupname must not be empty") }
            if !names.insert(g.name).inserted { errors.append("\(g.position): groupname: \"\(g.name)\" is repeated in the same file") }
            for l in g.labels where !LabelName.isValid(l.name) || l.name == Labels.metricName {
                errors.append("invalid label name: \(l.name)")
            }
            for (i, r) in g.rules.enumerated() {
                for e in r.problems(checkExpression: checkExpression, checkTemplate: checkTemplate) {
                    let prefix = e.positions.map { "\($0): " }.joined()
                    errors.append("\(prefix)group \"\(g.name)\", rule \(i + 1), \"\(r.name)\": \(e.message)")
                }
            }
        }
        return errors
    }
}

/// One `groups:` entry.
public struct RuleGroupSpec: Sendable {
    public var name = ""
    /// Milliseconds; nil means the global `evaluation_interval`.
    public var interval: Int64?
    /// Milliseconds; nil means the global `rule_query_offset`.
    public var queryOffset: Int64?
    public var limit = 0
    public var labels = Labels()
    public var rules: [RuleSpec] = []
    public var position = RuleFile.Position()

    init(_ value: YAMLValue) throws(ConfigError) {
        position = value.position
        let f = try value.fields("rulefmt.RuleGroup", ["name", "interval", "query_offset", "limit", "rules", "labels"])
        name = try f["name"]?.string() ?? ""
        if let v = f["interval"] { interval = try v.duration() }
        if let v = f["query_offset"] { queryOffset = try v.duration() }
        if let v = f["limit"] { limit = try v.int() }
        if let v = f["labels"] { labels = try v.labels() }
        for r in try f["rules"]?.list() ?? [] { rules.append(try RuleSpec(r)) }
    }
}

/// A recording (`record`) or alerting (`alert`) rule.
public struct RuleSpec: Sendable {
    public var record = ""
    public var alert = ""
    public var expr = ""
    /// Milliseconds.
    public var forDuration: Int64 = 0
    public var keepFiringFor: Int64 = 0
    /// Label templates for alerts, fixed values for recording rules; in file order.
    public var labels: [(name: String, value: String)] = []
    public var annotations: [(name: String, value: String)] = []
    public var recordPosition = RuleFile.Position()
    public var alertPosition = RuleFile.Position()
    public var exprPosition = RuleFile.Position()

    public var name: String { alert.isEmpty ? record : alert }
    public var isAlert: Bool { !alert.isEmpty }

    init(_ value: YAMLValue) throws(ConfigError) {
        let f = try value.fields("rulefmt.Rule", ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"])
        if let v = f["record"] { record = try v.string(); recordPosition = v.position }
        if let v = f["alert"] { alert = try v.string(); alertPosition = v.position }
        if let v = f["expr"] { expr = try v.string(); exprPosition = v.position }
        if let v = f["for"] { forDuration = try v.duration() }
        if let v = f["keep_firing_for"] { keepFiringFor = try v.duration() }
        if let v = f["labels"] { labels = try v.stringMap().map { ($0.0, $0.1) } }
        if let v = f["annotations"] { annotations = try v.stringMap().map { ($0.0, $0.1) } }
    }

    struct Problem {
        var message: String
        var positions: [RuleFile.Position] = []
    }

    /// rulefmt's `Rule.Validate`.
    func problems(checkExpression: (String) -> String?, checkTemplate: (String, String) -> String?) -> [Problem] {
        var out: [Problem] = []
        if !record.isEmpty && !alert.isEmpty {
            out.append(Problem(message: "only one of 'record' and 'alert' must be set", positions: [recordPosition, alertPosition]))
        }
        if record.isEmpty && alert.isEmpty {
            out.append(Problem(message: "one of 'record' or 'alert' must be set", positions: [recordPosition]))
        }
        if expr.isEmpty {
            out.append(Problem(message: "field 'expr' must be set in rule", positions: [exprPosition]))
        } else if let e = checkExpression(expr) {
            out.append(Problem(message: "could not parse expression: \(e)", positions: [exprPosition]))
        }
        if !record.isEmpty {
            if !annotations.isEmpty { out.append(Problem(message: "invalid field 'annotations' in recording rule", positions: [recordPosition])) }
            if forDuration != 0 { out.append(Problem(message: "invalid field 'for' in recording rule", positions: [recordPosition])) }
            if keepFiringFor != 0 { out.append(Problem(message: "invalid field 'keep_firing_for' in recording rule", positions: [recordPosition])) }
            if !MetricName.isValid(record) { out.append(Problem(message: "invalid recording rule name: \(record)", positions: [recordPosition])) }
        }
        for l in labels where !LabelName.isValid(l.name) || l.name == Labels.metricName {
            out.append(Problem(message: "invalid label name: \(l.name)"))
        }
        for a in annotations where !LabelName.isValid(a.name) {
            out.append(Problem(message: "invalid annotation name: \(a.name)"))
        }
        if !alert.isEmpty {
            for l in labels { if let e = checkTemplate(l.value, alert) { out.append(Problem(message: "label \"\(l.name)\": \(e)")) } }
            for a in annotations { if let e = checkTemplate(a.value, alert) { out.append(Problem(message: "annotation \"\(a.name)\": \(e)")) } }
        }
        return out
    }
}

/// Metric names of the classic scheme: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
public enum MetricName {
    public static func isValid(_ name: String) -> Bool {
        guard let f = name.utf8.first, isStart(f) else { return false }
        return name.utf8.allSatisfy { isStart($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    private static func isStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "_") || c == UInt8(ascii: ":")
    }
}

extension YAMLValue {
    var position: RuleFile.Position {
        guard let m = node.mark else { return RuleFile.Position() }
        return RuleFile.Position(line: m.line, column: m.column)
    }
}
