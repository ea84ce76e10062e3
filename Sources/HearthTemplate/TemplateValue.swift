/// A value a template works on: the handful of Go kinds that Prometheus's template data and
/// functions use (`map[string]string` labels, `float64` values, query-result structs).
public indirect enum TemplateValue: Sendable, Equatable {
    /// Go's invalid value: a missing map key, or nil. Prints as `<no value>`.
    case missing
    case bool(Bool)
    /// An `int`, as an integer constant in a template is.
    case int(Int64)
    /// A `float64`.
    case float(Double)
    case string(String)
    case list([TemplateValue])
    /// A map with string keys: ranged over and printed in key order, as Go does.
    case map([String: TemplateValue])
    /// A struct: a field it doesn't have is an error, not a missing value.
    case record(name: String, fields: TemplateFields)

    /// Go's notion of truth for `if`, `with`, `and`, `or`, `not`: the zero value and empty
    /// collections are false.
    public var isTrue: Bool {
        switch self {
        case .missing: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .float(let f): f != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .map(let m): !m.isEmpty
        case .record: true
        }
    }

    /// The Go type name, for error messages and `%!verb(type=value)`.
    public var goTypeName: String {
        switch self {
        case .missing: "<nil>"
        case .bool: "bool"
        case .int: "int"
        case .float: "float64"
        case .string: "string"
        case .list: "[]interface {}"
        case .map(let m): m.values.allSatisfy { if case .string = $0 { true } else { false } } ? "map[string]string" : "map[string]interface {}"
        case .record(let name, _): name
        }
    }

    /// A struct of `fields` in declaration order.
    public static func record(_ name: String, _ fields: KeyValuePairs<String, TemplateValue>) -> TemplateValue {
        .record(name: name, fields: TemplateFields(names: fields.map(\.key), values: fields.map(\.value)))
    }

    /// A label set as Go's `map[string]string`.
    public static func stringMap(_ pairs: [(String, String)]) -> TemplateValue {
        var m: [String: TemplateValue] = [:]
        for (k, v) in pairs { m[k] = .string(v) }
        return .map(m)
    }
}

extension TemplateValue {
    /// What `fmt.Sprint` prints for the value (`%v`).
    public var goString: String {
        var out = ""
        GoFormat.appendValue(self, to: &out)
        return out
    }
}

/// A struct's fields in declaration order (Go prints them in that order).
public struct TemplateFields: Sendable, Equatable {
    public var names: [String]
    public var values: [TemplateValue]

    public subscript(_ name: String) -> TemplateValue? {
        names.firstIndex(of: name).map { values[$0] }
    }
}
