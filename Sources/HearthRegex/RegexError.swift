/// A pattern that does not parse, with Go's error codes and wording, so messages read like
/// Prometheus's: `error parsing regexp: missing closing ): `(a``.
public struct RegexError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidCharClass = "invalid character class"
        case invalidCharRange = "invalid character class range"
        case invalidEscape = "invalid escape sequence"
        case invalidNamedCapture = "invalid named capture"
        case invalidPerlOp = "invalid or unsupported Perl syntax"
        case invalidRepeatOp = "invalid nested repetition operator"
        case invalidRepeatSize = "invalid repeat count"
        case missingBracket = "missing closing ]"
        case missingParen = "missing closing )"
        case missingRepeatArgument = "missing argument to repetition operator"
        case trailingBackslash = "trailing backslash at end of expression"
        case unexpectedParen = "unexpected )"
        case nestingDepth = "expression nests too deeply"
    }

    public let code: Code
    /// The part of the pattern the error is about.
    public let expression: String

    public init(_ code: Code, _ expression: String) {
        self.code = code
        self.expression = expression
    }

    public var description: String { "error parsing regexp: \(code.rawValue): `\(expression)`" }
}
