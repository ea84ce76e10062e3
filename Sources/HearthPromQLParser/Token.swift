/// A lexical token of PromQL, with its byte range in the query (what error positions refer to).
public struct Token: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case eof
        case identifier          // label names, function names, metric names without ':'
        case metricIdentifier    // metric names containing ':'
        case number
        case duration
        case string
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
        case comma, colon, at
        case assign              // =
        case equal               // ==
        case notEqual            // !=
        case regexMatch          // =~
        case regexNoMatch        // !~
        case less, lessOrEqual, greater, greaterOrEqual
        case add, sub, mul, div, mod, pow
        case keyword(Keyword)
        case aggregator(String)
    }

    public enum Keyword: String, Sendable, CaseIterable {
        case and, or, unless, atan2
        case by, without, on, ignoring
        case groupLeft = "group_left"
        case groupRight = "group_right"
        case offset, bool, start, end
    }

    public static let aggregators: Set<String> = [
        "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk",
        "count_values", "quantile", "limitk", "limit_ratio",
    ]

    public var kind: Kind
    /// The token's text; for strings, the unquoted value.
    public var text: String
    /// Byte offsets in the query.
    public var start: Int
    public var end: Int

    public var description: String { "\(kind) \(text.debugDescription) @\(start)" }
}

/// A lexing or parsing error at a byte range, worded like Prometheus's parse errors.
public struct PromQLParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var start: Int
    public var end: Int
    public var message: String

    public init(start: Int, end: Int, message: String) {
        self.start = start
        self.end = end
        self.message = message
    }

    /// `1:5: parse error: unexpected character: '$'`, the form Prometheus's API returns.
    public func describe(in query: String) -> String {
        var line = 1, column = 1
        var i = 0
        for b in query.utf8 {
            if i == start { break }
            if b == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += 1
        }
        return "\(line):\(column): parse error: \(message)"
    }

    public var description: String { "parse error at byte \(start): \(message)" }
}
