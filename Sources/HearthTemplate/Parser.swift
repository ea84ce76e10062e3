/// Builds the node tree from tokens, as Go's `text/template/parse` does; function names are
/// checked against the known set when parsing, as Go checks them.
struct Parser {
    private let tokens: [Token]
    private var i = 0
    private let name: String
    private let functions: Set<String>
    private var rangeDepth = 0
    /// Control structures and parenthesized pipelines open at once. Go parses any depth (its
    /// stacks grow); here parsing, executing and freeing the tree recurse, so a bound keeps
    /// them within a thread's stack. No real template comes near it.
    private var nesting = 0
    static let maxNesting = 256

    private mutating func enter(_ t: Token? = nil) throws(TemplateError) {
        nesting += 1
        guard nesting <= Self.maxNesting else { throw fail("template nests too deeply (more than \(Self.maxNesting) levels)", t) }
    }
    /// `{{define}}` and `{{block}}` bodies by name.
    private(set) var definitions: [String: [Node]] = [:]

    init(tokens: [Token], name: String, functions: Set<String>) {
        self.tokens = tokens
        self.name = name
        self.functions = functions
    }

    static func parse(_ text: String, name: String, functions: Set<String>) throws(TemplateError) -> (root: [Node], definitions: [String: [Node]]) {
        var parser = Parser(tokens: try Lexer.tokenize(text, name: name), name: name, functions: functions)
        let (root, end) = try parser.list(topLevel: true)
        guard end == nil else { throw parser.fail("unexpected {{\(end!)}}") }
        return (root, parser.definitions)
    }

    private var peek: Token { tokens[i] }
    private mutating func next() -> Token {
        defer { i += 1 }
        return tokens[i]
    }

    private func fail(_ message: String, _ token: Token? = nil) -> TemplateError {
        TemplateError("template: \(name):\((token ?? tokens[min(i, tokens.count - 1)]).line): \(message)")
    }

    private mutating func expectRightDelim(_ context: String) throws(TemplateError) {
        let t = next()
        guard t.kind == .rightDelim else { throw fail("unexpected \(describe(t)) in \(context)", t) }
    }

    /// Nodes up to `{{end}}` or `{{else`; returns which ended the list (nil at the end of input,
    /// only allowed at top level). `{{end}}` is consumed whole, `{{else` leaves what follows it.
    private mutating func list(topLevel: Bool = false) throws(TemplateError) -> ([Node], String?) {
        var nodes: [Node] = []
        while true {
            let t = next()
            switch t.kind {
            case .eof:
                guard topLevel else { throw fail("unexpected EOF", t) }
                return (nodes, nil)
            case .text(let s): nodes.append(.text(s))
            case .leftDelim:
                switch peek.kind {
                case .keyword("end"):
                    _ = next()
                    try expectRightDelim("end")
                    return (nodes, "end")
                case .keyword("else"):
                    _ = next()
                    return (nodes, "else")
                default:
                    if let node = try action() { nodes.append(node) }
                }
            default: throw fail("unexpected \(describe(t))", t)
            }
        }
    }

    /// The action after `{{`, up to and including `}}`.
    private mutating func action() throws(TemplateError) -> Node? {
        let t = peek
        switch t.kind {
        case .keyword("if"): _ = next(); return try conditional(kind: "if")
        case .keyword("with"): _ = next(); return try conditional(kind: "with")
        case .keyword("range"): _ = next(); return try conditional(kind: "range")
        case .keyword("break"), .keyword("continue"):
            _ = next()
            guard rangeDepth > 0 else { throw fail("{{\(t.kind == .keyword("break") ? "break" : "continue")}} outside {{range}}", t) }
            try expectRightDelim("break")
            return t.kind == .keyword("break") ? .breakLoop : .continueLoop
        case .keyword("template"):
            _ = next()
            let (templateName, pipe) = try templateInvocation("template")
            return .template(name: templateName, pipe, Position(line: t.line, column: t.column))
        case .keyword("define"):
            _ = next()
            guard case .string(let defined) = next().kind else { throw fail("unexpected token in define clause", t) }
            try expectRightDelim("define clause")
            let (body, end) = try list()
            guard end == "end" else { throw fail("unexpected {{else}} in define", t) }
            definitions[defined] = body
            return nil
        case .keyword("block"):
            _ = next()
            let (blockName, pipe) = try templateInvocation("block")
            let (body, end) = try list()
            guard end == "end" else { throw fail("unexpected {{else}} in block", t) }
            definitions[blockName] = body
            return .template(name: blockName, pipe, Position(line: t.line, column: t.column))
        default:
            return .action(try pipeline(context: "command", end: .rightDelim))
        }
    }

    private mutating func templateInvocation(_ context: String) throws(TemplateError) -> (String, Pipeline?) {
        let t = next()
        guard case .string(let s) = t.kind else { throw fail("unexpected \(describe(t)) in \(context) clause", t) }
        if peek.kind == .rightDelim { _ = next(); return (s, nil) }
        return (s, try pipeline(context: context, end: .rightDelim))
    }

    /// `if`, `with` and `range`: pipeline, body, optional `else` (and `else if` chains).
    private mutating func conditional(kind: String) throws(TemplateError) -> Node {
        try enter()
        defer { nesting -= 1 }
        let pipe = try pipeline(context: kind, end: .rightDelim, allowRangeDeclaration: kind == "range")
        // `{{break}}` and `{{continue}}` belong to a range's body, not to its else.
        if kind == "range" { rangeDepth += 1 }
        let (body, end) = try list()
        if kind == "range" { rangeDepth -= 1 }
        var elseList: [Node] = []
        if end == "else" {
            if (kind == "if" && peek.kind == .keyword("if")) || (kind == "with" && peek.kind == .keyword("with")) {
                _ = next()
                elseList = [try conditional(kind: kind)]
            } else {
                try expectRightDelim("else")
                let (e, end2) = try list()
                guard end2 == "end" else { throw fail("expected end; found {{else}}") }
                elseList = e
            }
        }
        switch kind {
        case "if": return .ifNode(pipe, body, else: elseList)
        case "with": return .with(pipe, body, else: elseList)
        default: return .range(pipe, body, else: elseList)
        }
    }

    /// A pipeline up to `end` (`}}` or `)`), which is consumed.
    private mutating func pipeline(context: String, end: Token.Kind, allowRangeDeclaration: Bool = false) throws(TemplateError) -> Pipeline {
        let start = peek
        var pipe = Pipeline(position: Position(line: start.line, column: start.column))
        // Declarations: `$x :=`, `$x =`, and in range `$i, $e :=`.
        if case .variable(let v) = peek.kind {
            let after = tokens[i + 1].kind
            if after == .declare || after == .assign {
                i += 2
                pipe.declarations = [v]
                pipe.isAssignment = after == .assign
            } else if after == .comma, allowRangeDeclaration, case .variable(let v2) = tokens[i + 2].kind,
                      tokens[i + 3].kind == .declare || tokens[i + 3].kind == .assign {
                pipe.isAssignment = tokens[i + 3].kind == .assign
                i += 4
                pipe.declarations = [v, v2]
            }
        }
        while true {
            if peek.kind == end {
                _ = next()
                break
            }
            pipe.commands.append(try command(end: end))
            if peek.kind == .pipe { _ = next() }
        }
        guard !pipe.commands.isEmpty else { throw fail("missing value for \(context)", start) }
        for (n, c) in pipe.commands.enumerated().dropFirst() {
            switch c.operands[0] {
            case .constant, .dot, .nilValue: throw fail("non executable command in pipeline stage \(n + 1)", start)
            default: break
            }
        }
        return pipe
    }

    private mutating func command(end: Token.Kind) throws(TemplateError) -> Command {
        let start = peek
        var operands: [Operand] = []
        var words: [String] = []
        while peek.kind != .pipe && peek.kind != end {
            let t = peek
            guard t.kind != .eof, t.kind != .rightDelim, t.kind != .rightParen else { throw fail("unexpected \(describe(t)) in operand", t) }
            words.append(describe(t))
            operands.append(try operand())
        }
        guard !operands.isEmpty else { throw fail("missing command", start) }
        return Command(operands: operands, position: Position(line: start.line, column: start.column), text: words.joined(separator: " "))
    }

    private mutating func operand() throws(TemplateError) -> Operand {
        let t = next()
        switch t.kind {
        case .identifier(let f):
            guard functions.contains(f) else { throw fail("function \"\(f)\" not defined", t) }
            return .function(f)
        case .dot: return .dot
        case .keyword("nil"): return .nilValue
        case .variable(let v): return .variable(v, fieldChain())
        case .field(let f): return .field([f] + fieldChain())
        case .bool(let b): return .constant(.bool(b))
        case .string(let s): return .constant(.string(s))
        case .char(let c): return .constant(.int(c))
        case .number(let n):
            guard let value = Self.number(n) else { throw fail("bad number syntax: \"\(n)\"", t) }
            return .constant(value)
        case .leftParen:
            try enter(t)
            defer { nesting -= 1 }
            let inner = try pipeline(context: "parenthesized pipeline", end: .rightParen)
            return .pipeline(inner, fieldChain())
        default:
            throw fail("unexpected \(describe(t)) in operand", t)
        }
    }

    /// `.A.B` written right after an operand (no space).
    private mutating func fieldChain() -> [String] {
        var chain: [String] = []
        while case .field(let f) = peek.kind, !peek.spaced {
            chain.append(f)
            i += 1
        }
        return chain
    }

    /// Go's constant rules: integers stay `int`; a `.`, exponent or failed integer parse is a float.
    static func number(_ s: String) -> TemplateValue? {
        var text = s.replacing("_", with: "")
        var negative = false
        if text.hasPrefix("+") { text.removeFirst() } else if text.hasPrefix("-") { negative = true; text.removeFirst() }
        let lower = text.lowercased()
        var integer: Int64?
        if lower.hasPrefix("0x") { integer = Int64(lower.dropFirst(2), radix: 16) }
        else if lower.hasPrefix("0b") { integer = Int64(lower.dropFirst(2), radix: 2) }
        else if lower.hasPrefix("0o") { integer = Int64(lower.dropFirst(2), radix: 8) }
        else if lower.count > 1, lower.hasPrefix("0"), lower.allSatisfy({ $0 >= "0" && $0 <= "7" }) { integer = Int64(lower.dropFirst(), radix: 8) }
        else if !lower.contains(where: { $0 == "." || $0 == "e" }) { integer = Int64(lower) }
        if let integer { return .int(negative ? -integer : integer) }
        guard let f = Double(lower), !lower.hasPrefix("0x") else { return nil }
        return .float(negative ? -f : f)
    }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .text(let s): return "text \"\(s)\""
        case .leftDelim: return "\"{{\""
        case .rightDelim: return "\"}}\""
        case .leftParen: return "\"(\""
        case .rightParen: return "\")\""
        case .pipe: return "\"|\""
        case .comma: return "\",\""
        case .declare: return "\":=\""
        case .assign: return "\"=\""
        case .dot: return "."
        case .field(let f): return "." + f
        case .variable(let v): return v
        case .identifier(let f): return f
        case .keyword(let k): return "<\(k)>"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return "\"\(s)\""
        case .char(let c): return "'\(c)'"
        case .eof: return "EOF"
        }
    }
}
