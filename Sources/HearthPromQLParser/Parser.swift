import HearthModel

/// Parses PromQL into an ``Expr`` and type-checks it, with Prometheus's precedence table and
/// error messages. A precedence-climbing parser over ``Lexer`` tokens.
public struct Parser {
    var tokens: [Token]
    var p = 0

    /// Parses and type-checks a whole query. Experimental functions (behind a feature flag in
    /// Prometheus) are refused unless `experimentalFunctions` is set, as the upstream test suite sets it.
    public static func parse(_ query: String, experimentalFunctions: Bool = false) throws(PromQLParseError) -> Expr {
        var parser = Parser(tokens: try Lexer.tokens(query))
        let expr = try parser.parseExpr(0)
        guard parser.peek.kind == .eof else { throw parser.unexpected(parser.peek) }
        try TypeChecker.check(expr, start: 0, end: query.utf8.count, experimental: experimentalFunctions)
        return expr
    }

    var peek: Token { tokens[p] }
    func peek(_ k: Int) -> Token { tokens[min(p + k, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> Token {
        let t = tokens[p]
        if p < tokens.count - 1 { p += 1 }
        return t
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "end of input"
        case .identifier: return "identifier \"\(t.text)\""
        case .metricIdentifier: return "metric identifier \"\(t.text)\""
        case .number: return "number \"\(t.text)\""
        case .duration: return "duration \"\(t.text)\""
        case .string: return "string \"\(t.text)\""
        case .leftParen: return "\"(\""
        case .rightParen: return "\")\""
        case .leftBrace: return "\"{\""
        case .rightBrace: return "\"}\""
        case .leftBracket: return "\"[\""
        case .rightBracket: return "\"]\""
        case .comma: return "\",\""
        default: return "\"\(t.text)\""
        }
    }

    func unexpected(_ t: Token, _ context: String? = nil) -> PromQLParseError {
        var message = "unexpected \(describe(t))"
        if let context { message += " in \(context)" }
        return PromQLParseError(start: t.start, end: t.end, message: message)
    }

    mutating func expect(_ k: Token.Kind, _ context: String) throws(PromQLParseError) -> Token {
        guard peek.kind == k else { throw unexpected(peek, context) }
        return advance()
    }

    // MARK: Expressions

    var binaryOperator: BinaryOp? {
        switch peek.kind {
        case .keyword(.or): return .or
        case .keyword(.and): return .and
        case .keyword(.unless): return .unless
        case .keyword(.atan2): return .atan2
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessOrEqual: return .lessOrEqual
        case .greater: return .greater
        case .greaterOrEqual: return .greaterOrEqual
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .mod: return .mod
        case .pow: return .pow
        default: return nil
        }
    }

    mutating func parseExpr(_ minPrecedence: Int) throws(PromQLParseError) -> Expr {
        var lhs = try parseUnary()
        while let op = binaryOperator, op.precedence >= minPrecedence {
            advance()
            var returnBool = false
            if peek.kind == .keyword(.bool) {
                advance()
                returnBool = true
            }
            var matching: VectorMatching? = nil
            if peek.kind == .keyword(.on) || peek.kind == .keyword(.ignoring) {
                var m = VectorMatching()
                m.on = advance().kind == .keyword(.on)
                m.explicit = true
                m.labels = try parseLabelList("grouping opts")
                if peek.kind == .keyword(.groupLeft) || peek.kind == .keyword(.groupRight) {
                    m.cardinality = advance().kind == .keyword(.groupLeft) ? .manyToOne : .oneToMany
                    if peek.kind == .leftParen { m.include = try parseLabelList("grouping opts") }
                }
                matching = m
            } else if peek.kind == .keyword(.groupLeft) || peek.kind == .keyword(.groupRight) {
                throw unexpected(peek, "binary expression")
            }
            let rhs = try parseExpr(op.rightAssociative ? op.precedence : op.precedence + 1)
            lhs = .binary(op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: matching)
        }
        return lhs
    }

    /// Unary `+`/`-` bind like `*`: `-a ^ b` is `-(a ^ b)`, `-a * b` is `(-a) * b`.
    mutating func parseUnary() throws(PromQLParseError) -> Expr {
        if peek.kind == .add || peek.kind == .sub {
            let negative = advance().kind == .sub
            let operand = try parseExpr(BinaryOp.pow.precedence)
            if case .number(let v) = operand { return .number(negative ? -v : v) }
            return .unary(negative: negative, operand)
        }
        return try parsePostfix(try parsePrimary())
    }

    mutating func parsePrimary() throws(PromQLParseError) -> Expr {
        let t = peek
        switch t.kind {
        case .number:
            advance()
            return .number(Self.number(t.text))
        case .duration:
            advance()
            return .number(Double(try Self.duration(t)) / 1000)
        case .string:
            advance()
            return .string(t.text)
        case .leftParen:
            advance()
            let inner = try parseExpr(0)
            _ = try expect(.rightParen, "paren expression")
            return .paren(inner)
        case .leftBrace:
            return .vectorSelector(try parseSelector(name: nil, at: t))
        case .aggregator(let op) where peek(1).kind == .leftParen || peek(1).kind == .keyword(.by)
            || peek(1).kind == .keyword(.without):
            return try parseAggregation(op)
        case .identifier where peek(1).kind == .leftParen:
            return try parseCall()
        case .keyword(let k) where (k == .start || k == .end) && peek(1).kind == .leftParen:
            return try parseCall()
        case .identifier, .metricIdentifier, .keyword, .aggregator:
            advance()
            return .vectorSelector(try parseSelector(name: t.text, at: t))
        default:
            throw unexpected(t)
        }
    }

    mutating func parseCall() throws(PromQLParseError) -> Expr {
        var nameToken = advance()
        nameToken.text = nameToken.text.lowercased() == "start" || nameToken.text.lowercased() == "end"
            ? nameToken.text.lowercased() : nameToken.text
        guard FunctionSignature.all[nameToken.text] != nil else {
            throw PromQLParseError(start: nameToken.start, end: nameToken.end,
                                   message: "unknown function with name \"\(nameToken.text)\"")
        }
        let (args, _) = try parseArguments("function call")
        return .call(nameToken.text, args)
    }

    /// `(a, b, …)` with an optional trailing comma; returns the arguments and the closing `)`.
    mutating func parseArguments(_ context: String) throws(PromQLParseError) -> ([Expr], Token) {
        _ = try expect(.leftParen, context)
        var args: [Expr] = []
        if peek.kind != .rightParen {
            while true {
                args.append(try parseExpr(0))
                if peek.kind == .comma {
                    advance()
                    if peek.kind == .rightParen { break }
                    continue
                }
                break
            }
        }
        return (args, try expect(.rightParen, context))
    }

    mutating func parseAggregation(_ op: String) throws(PromQLParseError) -> Expr {
        advance()
        var grouping: [String] = []
        var without = false
        var written = false
        if peek.kind == .keyword(.by) || peek.kind == .keyword(.without) {
            without = advance().kind == .keyword(.without)
            grouping = try parseLabelList("grouping opts")
            written = true
        }
        let (args, close) = try parseArguments("aggregation")
        if !written && (peek.kind == .keyword(.by) || peek.kind == .keyword(.without)) {
            without = advance().kind == .keyword(.without)
            grouping = try parseLabelList("grouping opts")
            written = true
        }
        let takesParameter = ["topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio"].contains(op)
        guard args.count == (takesParameter ? 2 : 1) else {
            let message = args.isEmpty ? "no arguments for aggregate expression provided"
                : "wrong number of arguments for aggregate expression provided, expected \(takesParameter ? 2 : 1), got \(args.count)"
            throw PromQLParseError(start: close.start, end: close.end, message: message)
        }
        return .aggregate(op: op, expr: args.last!, param: takesParameter ? args[0] : nil, grouping: grouping,
                          without: without, groupingWritten: written)
    }

    /// `(a, b, "c.d")`: label names, keywords allowed as names.
    mutating func parseLabelList(_ context: String) throws(PromQLParseError) -> [String] {
        _ = try expect(.leftParen, context)
        var labels: [String] = []
        while peek.kind != .rightParen {
            let t = advance()
            switch t.kind {
            case .identifier, .keyword, .aggregator, .string: labels.append(t.text)
            case .number where t.text.lowercased() == "inf" || t.text.lowercased() == "nan": labels.append(t.text)
            default: throw unexpected(t, context)
            }
            if peek.kind == .comma { advance() } else if peek.kind != .rightParen { throw unexpected(peek, context) }
        }
        advance()
        return labels
    }

    /// `name{…}` or `{…}`.
    mutating func parseSelector(name: String?, at start: Token) throws(PromQLParseError) -> VectorSelector {
        var selector = VectorSelector(name: name, matchers: [])
        if peek.kind == .leftBrace {
            advance()
            while peek.kind != .rightBrace {
                let labelToken = advance()
                let label: String
                switch labelToken.kind {
                case .identifier, .metricIdentifier, .string: label = labelToken.text
                default: throw unexpected(labelToken, "label matching")
                }
                // A bare quoted string is a metric name: {"my.metric", job="x"}.
                if labelToken.kind == .string && (peek.kind == .comma || peek.kind == .rightBrace) {
                    if let existing = selector.name {
                        throw PromQLParseError(start: labelToken.start, end: labelToken.end,
                                               message: "metric name must not be set twice: \"\(existing)\" or \"\(label)\"")
                    }
                    selector.name = label
                } else {
                    let opToken = advance()
                    let kind: Matcher.Kind
                    switch opToken.kind {
                    case .assign: kind = .equal
                    case .notEqual: kind = .notEqual
                    case .regexMatch: kind = .regexMatch
                    case .regexNoMatch: kind = .regexNoMatch
                    default: throw unexpected(opToken, "label matching, expected one of \"=\", \"!=\", \"=~\" or \"!~\"")
                    }
                    let valueToken = advance()
                    guard valueToken.kind == .string else { throw unexpected(valueToken, "label matching, expected string") }
                    selector.matchers.append(MatcherSpec(name: label, kind: kind, value: valueToken.text))
                }
                if peek.kind == .comma { advance() } else if peek.kind != .rightBrace {
                    throw unexpected(peek, "label matching, expected \",\" or \"}\"")
                }
            }
            advance()
        }
        if let n = name, selector.matchers.contains(where: { $0.name == Labels.metricName }) {
            throw PromQLParseError(start: start.start, end: start.end,
                                   message: "metric name must not be set twice: \"\(n)\" or \"\(selector.matchers.first { $0.name == Labels.metricName }!.value)\"")
        }
        if selector.name == nil {
            let nonEmpty = selector.matchers.contains { m in
                switch m.kind {
                case .equal: return !m.value.isEmpty
                case .notEqual: return m.value.isEmpty
                case .regexMatch, .regexNoMatch:
                    return !((try? Matcher(m.kind, m.name, m.value))?.matches("") ?? true)
                }
            }
            if !nonEmpty {
                throw PromQLParseError(start: start.start, end: peek.start,
                                       message: "vector selector must contain at least one non-empty matcher")
            }
        }
        for m in selector.matchers where m.kind == .regexMatch || m.kind == .regexNoMatch {
            do { _ = try Matcher(m.kind, m.name, m.value) } catch {
                throw PromQLParseError(start: start.start, end: peek.start,
                                       message: "invalid regular expression \"\(m.value)\": \(error)")
            }
        }
        return selector
    }

    /// `[range]`, `[range:step]`, `offset`, `@` after a primary.
    mutating func parsePostfix(_ base: Expr) throws(PromQLParseError) -> Expr {
        var expr = base
        while true {
            switch peek.kind {
            case .leftBracket:
                let open = advance()
                let range = try parseDurationValue()
                if peek.kind == .colon {
                    advance()
                    var step: Int64? = nil
                    if peek.kind != .rightBracket { step = try parseDurationValue() }
                    _ = try expect(.rightBracket, "subquery selector")
                    expr = .subquery(expr, range: range, step: step, offset: 0, at: nil)
                } else {
                    _ = try expect(.rightBracket, "range selector")
                    guard case .vectorSelector(let vs) = expr, vs.offset == 0, vs.at == nil else {
                        throw PromQLParseError(start: open.start, end: open.end, message: "ranges only allowed for vector selectors")
                    }
                    expr = .matrixSelector(vs, range: range)
                }
            case .keyword(.offset):
                let t = advance()
                var negative = false
                if peek.kind == .sub {
                    advance()
                    negative = true
                } else if peek.kind == .add {
                    advance()
                }
                let d = try parseDurationValue()
                expr = try Self.withOffset(expr, negative ? -d : d, at: t)
            case .at:
                let t = advance()
                let at: AtModifier
                if case .keyword(let k) = peek.kind, k == .start || k == .end {
                    advance()
                    _ = try expect(.leftParen, "@ modifier")
                    _ = try expect(.rightParen, "@ modifier")
                    at = k == .start ? .start : .end
                } else {
                    var sign = 1.0
                    if peek.kind == .sub { advance(); sign = -1 } else if peek.kind == .add { advance() }
                    let n = advance()
                    let v: Double
                    switch n.kind {
                    case .number: v = sign * Self.number(n.text)
                    case .duration: v = sign * Double(try Self.duration(n)) / 1000
                    default: throw unexpected(n, "@ modifier")
                    }
                    guard v.isFinite, abs(v) < 9.2e15 else {
                        throw PromQLParseError(start: n.start, end: n.end, message: "timestamp out of bounds for @ modifier: \(v)")
                    }
                    at = .timestamp(Int64((v * 1000).rounded()))
                }
                expr = try Self.withAt(expr, at, at: t)
            default:
                return expr
            }
        }
    }

    static func withOffset(_ e: Expr, _ offset: Int64, at t: Token) throws(PromQLParseError) -> Expr {
        switch e {
        case .vectorSelector(var vs):
            guard vs.offset == 0 else { throw PromQLParseError(start: t.start, end: t.end, message: "offset may not be set multiple times") }
            vs.offset = offset
            return .vectorSelector(vs)
        case .matrixSelector(var vs, let range):
            guard vs.offset == 0 else { throw PromQLParseError(start: t.start, end: t.end, message: "offset may not be set multiple times") }
            vs.offset = offset
            return .matrixSelector(vs, range: range)
        case .subquery(let inner, let range, let step, let old, let at):
            guard old == 0 else { throw PromQLParseError(start: t.start, end: t.end, message: "offset may not be set multiple times") }
            return .subquery(inner, range: range, step: step, offset: offset, at: at)
        default:
            throw PromQLParseError(start: t.start, end: t.end,
                                   message: "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery")
        }
    }

    static func withAt(_ e: Expr, _ at: AtModifier, at t: Token) throws(PromQLParseError) -> Expr {
        switch e {
        case .vectorSelector(var vs):
            guard vs.at == nil else { throw PromQLParseError(start: t.start, end: t.end, message: "@ <timestamp> may not be set multiple times") }
            vs.at = at
            return .vectorSelector(vs)
        case .matrixSelector(var vs, let range):
            guard vs.at == nil else { throw PromQLParseError(start: t.start, end: t.end, message: "@ <timestamp> may not be set multiple times") }
            vs.at = at
            return .matrixSelector(vs, range: range)
        case .subquery(let inner, let range, let step, let offset, let old):
            guard old == nil else { throw PromQLParseError(start: t.start, end: t.end, message: "@ <timestamp> may not be set multiple times") }
            return .subquery(inner, range: range, step: step, offset: offset, at: at)
        default:
            throw PromQLParseError(start: t.start, end: t.end,
                                   message: "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery")
        }
    }

    /// A duration or a number of seconds, in milliseconds.
    mutating func parseDurationValue() throws(PromQLParseError) -> Int64 {
        let t = advance()
        switch t.kind {
        case .duration: return try Self.duration(t)
        case .number:
            let v = Self.number(t.text)
            guard v.isFinite else { throw unexpected(t) }
            return Int64((v * 1000).rounded())
        default: throw unexpected(t)
        }
    }

    static func number(_ text: String) -> Double {
        let lower = text.lowercased()
        if lower == "inf" { return .infinity }
        if lower == "nan" { return .nan }
        if lower.hasPrefix("0x") { return Double(UInt64(lower.dropFirst(2), radix: 16) ?? 0) }
        return Double(lower.hasSuffix(".") ? lower + "0" : (lower.hasPrefix(".") ? "0" + lower : lower)) ?? .nan
    }

    /// `1h30m` → milliseconds.
    static func duration(_ t: Token) throws(PromQLParseError) -> Int64 {
        var total: Int64 = 0
        var number: Int64 = 0
        let b = Array(t.text.utf8)
        var i = 0
        while i < b.count {
            if b[i] >= 0x30 && b[i] <= 0x39 {
                let (m, o1) = number.multipliedReportingOverflow(by: 10)
                let (n, o2) = m.addingReportingOverflow(Int64(b[i] - 0x30))
                guard !o1 && !o2 else { throw PromQLParseError(start: t.start, end: t.end, message: "duration out of range") }
                number = n
                i += 1
                continue
            }
            let factor: Int64
            switch b[i] {
            case UInt8(ascii: "m") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "s"):
                factor = 1
                i += 1
            case UInt8(ascii: "s"): factor = 1000
            case UInt8(ascii: "m"): factor = 60_000
            case UInt8(ascii: "h"): factor = 3_600_000
            case UInt8(ascii: "d"): factor = 86_400_000
            case UInt8(ascii: "w"): factor = 604_800_000
            default: factor = 31_536_000_000
            }
            i += 1
            let (v, o) = number.multipliedReportingOverflow(by: factor)
            guard !o else { throw PromQLParseError(start: t.start, end: t.end, message: "duration out of range") }
            total += v
            number = 0
        }
        return total
    }
}
