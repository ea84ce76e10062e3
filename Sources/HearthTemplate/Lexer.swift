/// A token of Go's template language.
struct Token: Equatable {
    enum Kind: Equatable {
        case text(String)
        case leftDelim, rightDelim
        case leftParen, rightParen, pipe, comma, declare, assign
        case dot
        case field(String)          // `.Name`
        case variable(String)       // `$` or `$name`
        case identifier(String)     // a function name
        case keyword(String)        // if, else, end, range, with, define, template, block, break, continue, nil
        case bool(Bool)
        case number(String)
        case string(String)         // already unquoted
        case char(Int64)
        case eof
    }
    var kind: Kind
    var line: Int
    var column: Int
    /// Whether a space separated this token from the previous one (fields chain only without).
    var spaced: Bool
}

/// Splits a template into text and the tokens of its actions, as Go's `text/template/parse`
/// lexer does: `{{- ` and ` -}}` trim the neighbouring whitespace, `{{/* */}}` is a comment.
struct Lexer {
    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private(set) var tokens: [Token] = []
    let name: String

    init(_ text: String, name: String) {
        self.bytes = Array(text.utf8)
        self.name = name
    }

    static func tokenize(_ text: String, name: String) throws(TemplateError) -> [Token] {
        var lexer = Lexer(text, name: name)
        try lexer.run()
        return lexer.tokens
    }

    private func fail(_ message: String) -> TemplateError {
        TemplateError("template: \(name):\(line): \(message)")
    }

    private var column: Int { i - lineStart + 1 }

    private func at(_ s: String, _ offset: Int = 0) -> Bool {
        var j = i + offset
        for c in s.utf8 {
            guard j < bytes.count, bytes[j] == c else { return false }
            j += 1
        }
        return true
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }

    private mutating func emit(_ kind: Token.Kind, spaced: Bool = false, line: Int? = nil, column: Int? = nil) {
        tokens.append(Token(kind: kind, line: line ?? self.line, column: column ?? self.column, spaced: spaced))
    }

    private mutating func advance(_ n: Int = 1) {
        for _ in 0..<n {
            if bytes[i] == 10 { line += 1; lineStart = i + 1 }
            i += 1
        }
    }

    mutating func run() throws(TemplateError) {
        var trimNextText = false
        while i < bytes.count {
            // Text up to the next "{{".
            let start = i
            let textLine = line
            while i < bytes.count, !at("{{") { advance() }
            var text = bytes[start..<i]
            if trimNextText { while let f = text.first, Self.isSpace(f) { text = text.dropFirst() } }
            trimNextText = false
            let trimBefore = at("{{- ") || at("{{-\t") || at("{{-\n") || at("{{-\r")
            if trimBefore { while let l = text.last, Self.isSpace(l) { text = text.dropLast() } }
            if !text.isEmpty { emit(.text(String(decoding: text, as: UTF8.self)), line: textLine, column: 1) }
            guard i < bytes.count else { break }
            let delimLine = line, delimColumn = column
            advance(trimBefore ? 4 : 2)  // "{{- " takes its space too
            // A comment takes the whole action.
            if at("/*") {
                var j = i + 2
                while j + 1 < bytes.count, !(bytes[j] == UInt8(ascii: "*") && bytes[j + 1] == UInt8(ascii: "/")) { j += 1 }
                guard j + 1 < bytes.count else { throw fail("unclosed comment") }
                advance(j + 2 - i)
                if at(" -}}") || at("\t-}}") || at("\n-}}") { advance(4); trimNextText = true; continue }
                guard at("}}") else { throw fail("comment ends before closing delimiter") }
                advance(2)
                continue
            }
            emit(.leftDelim, line: delimLine, column: delimColumn)
            trimNextText = try lexAction()
        }
        emit(.eof)
    }

    /// Lexes inside `{{ }}`; returns whether the action ended with ` -}}`.
    private mutating func lexAction() throws(TemplateError) -> Bool {
        var parens = 0
        var spaced = false
        while true {
            guard i < bytes.count else { throw fail("unclosed action") }
            let c = bytes[i]
            if Self.isSpace(c) {
                if at("-}}", 1) {
                    advance(4)
                    emit(.rightDelim)
                    return true
                }
                advance()
                spaced = true
                continue
            }
            if at("}}") {
                guard parens == 0 else { throw fail("unclosed left paren") }
                emit(.rightDelim)
                advance(2)
                return false
            }
            let l = line, col = column
            func token(_ k: Token.Kind) -> Token { Token(kind: k, line: l, column: col, spaced: spaced) }
            switch c {
            case UInt8(ascii: "("):
                parens += 1; advance(); tokens.append(token(.leftParen))
            case UInt8(ascii: ")"):
                parens -= 1
                guard parens >= 0 else { throw fail("unexpected right paren") }
                advance(); tokens.append(token(.rightParen))
            case UInt8(ascii: "|"): advance(); tokens.append(token(.pipe))
            case UInt8(ascii: ","): advance(); tokens.append(token(.comma))
            case UInt8(ascii: ":"):
                guard at(":=") else { throw fail("expected :=") }
                advance(2); tokens.append(token(.declare))
            case UInt8(ascii: "="): advance(); tokens.append(token(.assign))
            case UInt8(ascii: "\""): tokens.append(token(.string(try quoted())))
            case UInt8(ascii: "`"):
                advance()
                let s = i
                while i < bytes.count, bytes[i] != UInt8(ascii: "`") { advance() }
                guard i < bytes.count else { throw fail("unterminated raw quoted string") }
                tokens.append(token(.string(String(decoding: bytes[s..<i], as: UTF8.self))))
                advance()
            case UInt8(ascii: "'"): tokens.append(token(.char(try charConstant())))
            case UInt8(ascii: "$"):
                advance()
                let name = identifier()
                tokens.append(token(.variable("$" + name)))
            case UInt8(ascii: "."):
                if i + 1 < bytes.count, Self.isDigit(bytes[i + 1]) {
                    tokens.append(token(.number(number())))
                } else {
                    advance()
                    let name = identifier()
                    tokens.append(token(name.isEmpty ? .dot : .field(name)))
                }
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                tokens.append(token(.number(number())))
            default:
                guard Self.isIdentifierStart(c) else {
                    throw fail("unexpected \"\(String(decoding: [c], as: UTF8.self))\" in command")
                }
                let word = identifier()
                switch word {
                case "true", "false": tokens.append(token(.bool(word == "true")))
                case "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil":
                    tokens.append(token(.keyword(word)))
                default: tokens.append(token(.identifier(word)))
                }
            }
            spaced = false
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private static func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 0x80
    }

    private mutating func identifier() -> String {
        let s = i
        while i < bytes.count, Self.isIdentifierStart(bytes[i]) || Self.isDigit(bytes[i]) { advance() }
        return String(decoding: bytes[s..<i], as: UTF8.self)
    }

    private mutating func number() -> String {
        let s = i
        if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { advance() }
        while i < bytes.count {
            let c = bytes[i]
            if Self.isDigit(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) {
                advance()
            } else if (c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && i > s,
                      bytes[i - 1] == UInt8(ascii: "e") || bytes[i - 1] == UInt8(ascii: "E") || bytes[i - 1] == UInt8(ascii: "p") || bytes[i - 1] == UInt8(ascii: "P") {
                advance()
            } else { break }
        }
        return String(decoding: bytes[s..<i], as: UTF8.self)
    }

    /// A Go interpreted string literal, unquoted.
    private mutating func quoted() throws(TemplateError) -> String {
        advance()
        var out: [UInt8] = []
        while true {
            guard i < bytes.count, bytes[i] != 10 else { throw fail("unterminated quoted string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { advance(); break }
            if c == UInt8(ascii: "\\") {
                advance()
                guard i < bytes.count else { throw fail("unterminated quoted string") }
                try escape(into: &out, quote: UInt8(ascii: "\""))
                continue
            }
            out.append(c)
            advance()
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func charConstant() throws(TemplateError) -> Int64 {
        advance()
        var out: [UInt8] = []
        guard i < bytes.count else { throw fail("unterminated character constant") }
        if bytes[i] == UInt8(ascii: "\\") {
            advance()
            // `'\` at the end of the input or the line (found by the template fuzzer).
            guard i < bytes.count, bytes[i] != 10 else { throw fail("unterminated character constant") }
            try escape(into: &out, quote: UInt8(ascii: "'"))
        } else {
            while i < bytes.count, bytes[i] != UInt8(ascii: "'"), bytes[i] != 10 { out.append(bytes[i]); advance() }
        }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "'") else { throw fail("unterminated character constant") }
        advance()
        guard let scalar = String(decoding: out, as: UTF8.self).unicodeScalars.first else { throw fail("empty character constant") }
        return Int64(scalar.value)
    }

    private mutating func escape(into out: inout [UInt8], quote: UInt8) throws(TemplateError) {
        let c = bytes[i]
        advance()
        switch c {
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "t"): out.append(9)
        case UInt8(ascii: "r"): out.append(13)
        case UInt8(ascii: "a"): out.append(7)
        case UInt8(ascii: "b"): out.append(8)
        case UInt8(ascii: "f"): out.append(12)
        case UInt8(ascii: "v"): out.append(11)
        case UInt8(ascii: "\\"): out.append(c)
        case quote: out.append(c)
        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let n = c == UInt8(ascii: "x") ? 2 : c == UInt8(ascii: "u") ? 4 : 8
            guard i + n <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + n)], as: UTF8.self), radix: 16) else {
                throw fail("invalid syntax")
            }
            advance(n)
            if c == UInt8(ascii: "x") { out.append(UInt8(v)) } else {
                guard let scalar = Unicode.Scalar(v) else { throw fail("invalid syntax") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            guard i + 2 <= bytes.count, let v = UInt8(String(decoding: [c] + bytes[i..<(i + 2)], as: UTF8.self), radix: 8) else {
                throw fail("invalid syntax")
            }
            advance(2)
            out.append(v)
        default: throw fail("invalid syntax")
        }
    }
}
