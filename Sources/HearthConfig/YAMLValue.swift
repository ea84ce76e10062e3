import HearthModel
import HearthRelabel
import Yams

/// An invalid configuration: the line (when known) and Prometheus's wording where it has one.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int?
    public let message: String

    public init(line: Int? = nil, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}

/// A node of the YAML document with its line, and typed reads that fail with that line.
struct YAMLValue {
    let node: Node
    var line: Int? { node.mark?.line }

    func fail(_ message: String) -> ConfigError { ConfigError(line: line, message) }

    var isNull: Bool {
        if case .scalar(let s) = node { return s.tag.rawValue == Tag.Name.null.rawValue || (s.string == "" && s.style == .plain) || s.string == "null" || s.string == "~" }
        return false
    }

    /// The mapping's entries by key; an unknown or repeated key is an error naming its line.
    func fields(_ type: String, _ known: Set<String>) throws(ConfigError) -> Fields {
        if isNull { return Fields(entries: [:]) }
        guard case .mapping(let mapping) = node else { throw fail("cannot unmarshal \(kind) into \(type)") }
        var entries: [String: YAMLValue] = [:]
        for (key, value) in mapping {
            let k = YAMLValue(node: key)
            guard case .scalar(let s) = key else { throw k.fail("invalid key in \(type)") }
            guard known.contains(s.string) else { throw k.fail("field \(s.string) not found in type \(type)") }
            guard entries[s.string] == nil else { throw k.fail("field \(s.string) already set in type \(type)") }
            entries[s.string] = YAMLValue(node: value)
        }
        return Fields(entries: entries)
    }

    var kind: String {
        switch node {
        case .scalar(let s): "!!str `\(s.string)`"
        case .mapping: "!!map"
        case .sequence: "!!seq"
        case .alias: "alias"
        }
    }

    func string() throws(ConfigError) -> String {
        guard case .scalar(let s) = node else { throw fail("cannot unmarshal \(kind) into string") }
        return isNull ? "" : s.string
    }

    func bool() throws(ConfigError) -> Bool {
        switch try string() {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        case let s: throw fail("cannot unmarshal !!str `\(s)` into bool")
        }
    }

    func int() throws(ConfigError) -> Int {
        let s = try string()
        guard let v = Int(s) else { throw fail("cannot unmarshal !!str `\(s)` into int") }
        return v
    }

    func uint64() throws(ConfigError) -> UInt64 {
        let s = try string()
        guard let v = UInt64(s) else { throw fail("cannot unmarshal !!str `\(s)` into uint64") }
        return v
    }

    /// A Prometheus duration (`15s`, `1h30m`), in milliseconds.
    func duration() throws(ConfigError) -> Int64 {
        let s = try string()
        if s == "0" { return 0 }
        guard let ms = PrometheusDuration.parseMilliseconds(s) else { throw fail("not a valid duration string: \"\(s)\"") }
        return ms
    }

    /// A size with Prometheus's units (`512KB`, `1GB`: base 2), in bytes.
    func byteSize() throws(ConfigError) -> Int64 {
        let s = try string()
        guard let v = ByteSize.parse(s) else { throw fail("invalid size \"\(s)\"") }
        return v
    }

    func list() throws(ConfigError) -> [YAMLValue] {
        if isNull { return [] }
        guard case .sequence(let seq) = node else { throw fail("cannot unmarshal \(kind) into a list") }
        return seq.map { YAMLValue(node: $0) }
    }

    func strings() throws(ConfigError) -> [String] {
        var out: [String] = []
        for v in try list() { out.append(try v.string()) }
        return out
    }

    func stringMap() throws(ConfigError) -> [(String, String, YAMLValue)] {
        if isNull { return [] }
        guard case .mapping(let mapping) = node else { throw fail("cannot unmarshal \(kind) into a map") }
        var out: [(String, String, YAMLValue)] = []
        for (key, value) in mapping {
            let k = YAMLValue(node: key)
            out.append((try k.string(), try YAMLValue(node: value).string(), k))
        }
        return out
    }

    /// A label map (`labels:`, `external_labels:`), names checked.
    func labels() throws(ConfigError) -> Labels {
        var list: [Label] = []
        for (name, value, key) in try stringMap() {
            guard LabelName.isValid(name) else { throw key.fail("\"\(name)\" is not a valid label name") }
            list.append(Label(name, value))
        }
        do { return try Labels(validating: list) } catch { throw fail("\(error)") }
    }
}

/// A mapping's fields, read by name.
struct Fields {
    var entries: [String: YAMLValue]
    subscript(_ name: String) -> YAMLValue? {
        guard let v = entries[name], !v.isNull else { return nil }
        return v
    }
}
