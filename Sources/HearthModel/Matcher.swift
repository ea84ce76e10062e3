/// A compiled regular expression as label matchers use it: fully anchored.
///
/// This is the seam for the regex engine: the storage engine only sees this protocol, so the
/// engine can change without touching the index or the querier.
public protocol LabelRegex: Sendable {
    /// Whether the whole of `value` matches.
    func matches(_ value: String) -> Bool
    /// When the pattern is a finite set of literals (`a|b|c`), the set; lets the index take the
    /// union of postings lists instead of scanning every value.
    var literalSet: [String]? { get }
}

/// Compiles a pattern into a ``LabelRegex``.
public typealias LabelRegexCompiler = @Sendable (String) throws -> any LabelRegex

/// A label matcher: `name = value`, `!=`, `=~` or `!~`, with Prometheus's semantics
/// (a missing label has the empty value; regexes are fully anchored).
public struct Matcher: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case equal = "="
        case notEqual = "!="
        case regexMatch = "=~"
        case regexNoMatch = "!~"
    }

    public let kind: Kind
    public let name: String
    public let value: String
    public let regex: (any LabelRegex)?

    /// The regex engine used when none is given: Hearth's linear-time RE2 engine.
    public static let defaultRegexCompiler: LabelRegexCompiler = { try RE2LabelRegex(pattern: $0) }

    public init(_ kind: Kind, _ name: String, _ value: String,
                compiler: LabelRegexCompiler = Matcher.defaultRegexCompiler) throws {
        self.kind = kind
        self.name = name
        self.value = value
        switch kind {
        case .equal, .notEqual: regex = nil
        case .regexMatch, .regexNoMatch: regex = try compiler(value)
        }
    }

    /// Whether a label value (empty when the label is absent) satisfies the matcher.
    @inlinable
    public func matches(_ v: String) -> Bool {
        switch kind {
        case .equal: return v == value
        case .notEqual: return v != value
        case .regexMatch: return regex!.matches(v)
        case .regexNoMatch: return !regex!.matches(v)
        }
    }

    /// Whether the matcher selects series that lack the label (it matches the empty string).
    public var matchesEmpty: Bool { matches("") }

    public var description: String { "\(name)\(kind.rawValue)\"\(value)\"" }
}
