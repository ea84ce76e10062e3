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
        if parser.peek.kind == .eof { throw PromQLParseError(start: 0, end: 0, message: "no expression found in input") }
        let expr = try parser.parseExpr(0)
        guard parser.peek.kind == .eof else { throw parser.unexpected(parser.peek) }
        try TypeChecker.check(expr, start: 0, end: query.utf8.count, experimental: experimentalFunctions)
        return expr
    }

    /// How deeply expressions may nest (operands of operators count too, so a chain of 500
    /// additions is 500 deep). The type checker, the printer and the engine walk a tree
    /// recursively; this bound keeps them within a thread's stack in every build
    /// (`docs/compatibility.md`). Prometheus has no such limit.
    public static let maximumDepth = 500

    static let tooDeep = "query is too deeply nested: expressions may nest at most \(maximumDepth) levels"

    /// Parser recursion so far, bounded by ``maximumDepth``.
    var nesting = 0
    /// The height of the expression the last parse function returned (a literal is 1); a tree
    /// is never built higher than ``maximumDepth``, since even freeing one recurses.
    var height = 0

    /// Records `h` as the height of the expression being built, refusing it past the limit.
    mutating func setHeight(_ h: Int, at t: Token) throws(PromQLParseError) {
        guard h <= Self.maximumDepth else { throw PromQLParseError(start: t.start, end: t.end, message: Self.tooDeep) }
        height = h
    }

    var peek: Token { tokens[p] }
    func peek(_ k: Int) -> Token { tokens[min(p + k, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> Token {
        let t = tokens[p]
        if p < tokens.count - 1 { p += 1 }
        return t
    }

    /// A token as Prometheus's parser names it in "unexpected …" errors: operators as
    /// `<op:*>`, keywords as `<by>`, aggregators as `<aggr:sum>`, literals by kind and text.
    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "end of input"
        case .identifier: return "identifier \(Format.quote(t.text))"
        case .metricIdentifier: return "metric identifier \(Format.quote(t.text))"
        case .number: return "number \(Format.quote(t.text))"
        case .duration: return "duration \(Format.quote(t.text))"
        case .string: return "string \(Format.quote(t.text))"
        case .keyword(let k) where k == .and || k == .or || k == .unless || k == .atan2: return "<op:\(t.text)>"
        case .keyword: return "<\(t.text)>"
        case .aggregator: return "<aggr:\(t.text)>"
        case .add, .sub, .mul, .div, .mod, .pow, .at, .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual,
             .regexMatch, .regexNoMatch:
            return "<op:\(t.text)>"
        case .leftParen, .rightParen, .leftBrace, .rightBrace, .leftBracket, .rightBracket, .comma, .colon, .assign:
            return Format.quote(t.text)
        }
    }

    func unexpected(_ t: Token, _ context: String? = nil, expected: String? = nil) -> PromQLParseError {
        var message = "unexpected \(describe(t))"
        if let context { message += " in \(context)" }
        if let expected { message += ", expected \(expected)" }
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
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Self.maximumDepth else { throw PromQLParseError(start: peek.start, end: peek.end, message: Self.tooDeep) }
        var lhs = try parseUnary()
        var lhsHeight = height
        while let op = binaryOperator, op.precedence >= minPrecedence {
            let opToken = advance()
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
                if peek.kind == .keyword(.on) || peek.kind == .keyword(.ignoring) { throw unexpected(peek) }
                matching = m
            } else if peek.kind == .keyword(.groupLeft) || peek.kind == .keyword(.groupRight) {
                throw unexpected(peek)
            }
            let rhs = try parseExpr(op.rightAssociative ? op.precedence : op.precedence + 1)
            try setHeight(max(lhsHeight, height) + 1, at: opToken)
            lhsHeight = height
            lhs = .binary(op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: matching)
        }
        height = lhsHeight
        return lhs
    }

    /// Unary `+`/`-` bind like `*`: `-a ^ b` is `-(a ^ b)`, `-a * b` is `(-a) * b`.
    mutating func parseUnary() throws(PromQLParseError) -> Expr {
        if peek.kind == .add || peek.kind == .sub {
            let sign = advance()
            let negative = sign.kind == .sub
            let operand = try parseExpr(BinaryOp.pow.precedence)
            if case .number(let v) = operand { return .number(negative ? -v : v) }
            try setHeight(height + 1, at: sign)
            return .unary(negative: negative, operand)
        }
        return try parsePostfix(try parsePrimary())
    }

    mutating func parsePrimary() throws(PromQLParseError) -> Expr {
        let t = peek
        height = 1
        switch t.kind {
        case .number:
            advance()
            return .number(try Self.number(t))
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
            try setHeight(height + 1, at: t)
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
        try setHeight(height + 1, at: nameToken)
        return .call(nameToken.text, args)
    }

    /// `(a, b, …)` (a trailing comma is an error, as in Prometheus); returns the arguments and the closing `)`,
    /// and leaves the highest argument's height in `height` (0 for none).
    mutating func parseArguments(_ context: String) throws(PromQLParseError) -> ([Expr], Token) {
        _ = try expect(.leftParen, context)
        var args: [Expr] = []
        var highest = 0
        defer { height = highest }
        if peek.kind != .rightParen {
            while true {
                args.append(try parseExpr(0))
                highest = max(highest, height)
                if peek.kind == .comma {
                    let comma = advance()
                    if peek.kind == .rightParen {
                        throw PromQLParseError(start: comma.start, end: comma.end,
                                               message: "trailing commas not allowed in function call args")
                    }
                    continue
                }
                break
            }
        }
        return (args, try expect(.rightParen, context))
    }

    mutating func parseAggregation(_ op: String) throws(PromQLParseError) -> Expr {
        let opToken = advance()
        var grouping: [String] = []
        var without = false
        var written = false
        if peek.kind == .keyword(.by) || peek.kind == .keyword(.without) {
            without = advance().kind == .keyword(.without)
            grouping = try parseLabelList("grouping opts")
            written = true
        }
        let (args, close) = try parseArguments("aggregation")
        try setHeight(height + 1, at: opToken)
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
        guard peek.kind == .leftParen else { throw unexpected(peek, context, expected: "\"(\"") }
        advance()
        var labels: [String] = []
        while peek.kind != .rightParen {
            let t = advance()
            switch t.kind {
            case .identifier, .keyword, .aggregator, .string: labels.append(t.text)
            case .number where t.text.lowercased() == "inf" || t.text.lowercased() == "nan": labels.append(t.text)
            default: throw unexpected(t, context, expected: "label")
            }
            if peek.kind == .comma {
                advance()
            } else if peek.kind != .rightParen {
                throw unexpected(peek, context, expected: "\",\" or \")\"")
            }
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
                default: throw unexpected(labelToken, "label matching", expected: "identifier or \"}\"")
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
                    default: throw unexpected(opToken, "label matching", expected: "label matching operator")
                    }
                    let valueToken = advance()
                    guard valueToken.kind == .string else { throw unexpected(valueToken, "label matching", expected: "string") }
                    selector.matchers.append(MatcherSpec(name: label, kind: kind, value: valueToken.text))
                }
                if peek.kind == .comma { advance() } else if peek.kind != .rightBrace {
                    throw unexpected(peek, "label matching", expected: "\",\" or \"}\"")
                }
            }
            advance()
        }
        if name == nil, let inner = selector.name, selector.matchers.contains(where: { $0.name == Labels.metricName }) {
            // `{"bar", __name__="baz"}`: both are matchers on the name (Prometheus accepts it).
            selector.name = nil
            selector.matchers.insert(MatcherSpec(name: Labels.metricName, kind: .equal, value: inner), at: 0)
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
                let range = try parsePositiveDuration()
                if peek.kind == .colon {
                    advance()
                    var step: Int64? = nil
                    if peek.kind != .rightBracket { step = try parsePositiveDuration() }
                    _ = try expect(.rightBracket, "subquery selector")
                    try setHeight(height + 1, at: open)
                    expr = .subquery(expr, range: range, step: step, offset: 0, at: nil)
                } else {
                    _ = try expect(.rightBracket, "range selector")
                    guard case .vectorSelector(let vs) = expr else {
                        throw PromQLParseError(start: open.start, end: open.end, message: "ranges only allowed for vector selectors")
                    }
                    if vs.offset != 0 {
                        throw PromQLParseError(start: open.start, end: open.end, message: "no offset modifiers allowed before range")
                    }
                    if vs.at != nil {
                        throw PromQLParseError(start: open.start, end: open.end, message: "no @ modifiers allowed before range")
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
                guard peek.kind == .number || peek.kind == .duration else {
                    throw unexpected(peek, "offset", expected: "number, duration, step(), or range()")
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
                    case .number: v = sign * (try Self.number(n))
                    case .duration: v = sign * Double(try Self.duration(n)) / 1000
                    case .eof: throw unexpected(n, "@", expected: "timestamp")
                    default: throw unexpected(n, "@ modifier")
                    }
                    // Prometheus bounds the seconds by Int64; Hearth bounds the milliseconds, so
                    // that every time derived from it stays representable (docs/compatibility.md).
                    guard v.isFinite, abs(v) <= Self.maximumAtSeconds else {
                        throw PromQLParseError(start: n.start, end: n.end,
                                               message: "timestamp out of bounds for @ modifier: \(Self.goFixed(v))")
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

    /// `@` timestamps Hearth accepts, in seconds: about 292 million years either way, so that
    /// adding any offset, range or lookback to one cannot overflow a millisecond count.
    static let maximumAtSeconds = 9.2e15

    /// A range or subquery duration: like an offset, but it must be positive (Prometheus's
    /// `positive_duration_expr`), and a unary sign is allowed only to be refused with its message.
    mutating func parsePositiveDuration() throws(PromQLParseError) -> Int64 {
        let first = peek
        var negative = false
        while peek.kind == .sub || peek.kind == .add {
            if advance().kind == .sub { negative.toggle() }
        }
        guard peek.kind == .number || peek.kind == .duration else {
            if first.kind == .rightBracket || first.kind == .colon {
                throw unexpected(first, "subquery or range selector", expected: "number, duration, step(), or range()")
            }
            throw unexpected(peek)
        }
        let t = peek
        var d = try parseDurationValue()
        if negative { d = -d }
        guard d > 0 else {
            throw PromQLParseError(start: first.start, end: t.end, message: "duration must be greater than 0")
        }
        return d
    }

    /// A duration or a number of seconds, in milliseconds, within Prometheus's range (Go's
    /// `time.Duration`, about 292 years).
    mutating func parseDurationValue() throws(PromQLParseError) -> Int64 {
        let t = advance()
        switch t.kind {
        case .duration: return try Self.duration(t)
        case .number:
            let v = try Self.number(t)
            guard v.isFinite, abs(v) <= Double(PrometheusDuration.maximumMilliseconds) / 1000 else {
                throw PromQLParseError(start: t.start, end: t.end, message: "duration out of range")
            }
            return Int64((v * 1000).rounded())
        default: throw unexpected(t)
        }
    }

    /// A number token's value, with Prometheus's literal rules and messages.
    static func number(_ t: Token) throws(PromQLParseError) -> Double {
        let lower = t.text.lowercased()
        if lower == "inf" { return .infinity }
        if lower == "nan" { return .nan }
        switch NumberLiteral.value(t.text) {
        case .success(let v): return v
        case .failure(let failure): throw PromQLParseError(start: t.start, end: t.end, message: failure.message(t.text))
        }
    }

    /// `1h30m` → milliseconds, with `model.ParseDuration`'s rules and messages.
    static func duration(_ t: Token) throws(PromQLParseError) -> Int64 {
        do { return try PrometheusDuration.parse(t.text) } catch {
            throw PromQLParseError(start: t.start, end: t.end, message: error.description)
        }
    }

    /// Go's `%f` for the values an `@` error can show: `+Inf`, `-Inf`, `NaN`, or the digits with
    /// six decimals (the out-of-bounds values are all whole numbers).
    static func goFixed(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return Format.number(v.rounded(.towardZero)) + ".000000"
    }
}
