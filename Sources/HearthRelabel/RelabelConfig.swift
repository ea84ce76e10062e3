import HearthModel
import HearthRegex

/// What a relabeling step does (`action:` in Prometheus's configuration).
public enum RelabelAction: String, Sendable, CaseIterable {
    case replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase
}

/// One `relabel_configs` entry, validated as Prometheus validates it. The regex is anchored
/// (`^(?s:regex)$`) and compiled once.
public struct RelabelConfig: Sendable {
    public var sourceLabels: [String]
    public var separator: String
    public var regexText: String
    public var modulus: UInt64
    public var targetLabel: String
    public var replacement: String
    public var action: RelabelAction
    let regex: RE2

    public static let defaultRegex = "(.*)"

    /// - Throws: `RelabelError` with Prometheus's wording for an invalid combination.
    public init(
        sourceLabels: [String] = [], separator: String = ";", regex: String = defaultRegex, modulus: UInt64 = 0,
        targetLabel: String = "", replacement: String = "$1", action: RelabelAction = .replace
    ) throws(RelabelError) {
        self.sourceLabels = sourceLabels
        self.separator = separator
        self.regexText = regex
        self.modulus = modulus
        self.targetLabel = targetLabel
        self.replacement = replacement
        self.action = action
        do { self.regex = try RE2("^(?s:" + regex + ")$") } catch {
            throw RelabelError("invalid regular expression \(regex.debugDescription): \(error)")
        }
        for name in sourceLabels where !LabelName.isValid(name) {
            throw RelabelError("\(name.debugDescription) is not a valid label name")
        }
        let needsTarget: Set<RelabelAction> = [.replace, .hashmod, .lowercase, .uppercase, .keepequal, .dropequal]
        if needsTarget.contains(action), targetLabel.isEmpty {
            throw RelabelError("relabel configuration for \(action.rawValue) action requires 'target_label' value")
        }
        if action == .replace || action == .hashmod || action == .lowercase || action == .uppercase || action == .keepequal || action == .dropequal {
            // A replace target may use $1-style references; the others must be plain names.
            let valid = action == .replace ? LabelName.isValidTemplate(targetLabel) : LabelName.isValid(targetLabel)
            guard valid else { throw RelabelError("\(targetLabel.debugDescription) is invalid 'target_label' for \(action.rawValue) action") }
        }
        if action == .hashmod, modulus == 0 {
            throw RelabelError("relabel configuration for hashmod requires non-zero modulus")
        }
        if action == .labelmap, !LabelName.isValidTemplate(replacement) {
            throw RelabelError("\(replacement.debugDescription) is invalid 'replacement' for labelmap action")
        }
        if action == .labeldrop || action == .labelkeep {
            if !sourceLabels.isEmpty || !targetLabel.isEmpty || modulus != 0 || separator != ";" || replacement != "$1" {
                throw RelabelError("\(action.rawValue) action requires only 'regex', and no other fields")
            }
        }
        if action == .keepequal || action == .dropequal {
            if regex != Self.defaultRegex || modulus != 0 || separator != ";" || replacement != "$1" {
                throw RelabelError("\(action.rawValue) action requires only 'source_labels' and `target_label`, and no other fields")
            }
        }
    }
}

/// An invalid relabeling configuration.
public struct RelabelError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Label-name rules of the classic (non-UTF-8) name scheme, which Debian's Prometheus uses.
public enum LabelName {
    public static func isValid(_ name: String) -> Bool {
        guard let f = name.utf8.first, isStart(f) else { return false }
        return name.utf8.allSatisfy { isStart($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// A name in which `$1`, `${1}` and `${name}` references may appear.
    public static func isValidTemplate(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        return name.utf8.allSatisfy { isStart($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "$") || $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "}") }
    }

    static func isStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "_")
    }
}
