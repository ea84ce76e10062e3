/// Splits a PromQL query into tokens, with Prometheus's lexical rules: keywords and aggregators
/// are case-insensitive and only recognized outside `{…}`; inside `[…]` only durations, numbers
/// and `:` may appear; strings take Go's escapes, backquoted strings none; `#` starts a comment.
public struct Lexer {
    let bytes: [UInt8]
    var i = 0
    var parenDepth = 0
    var braceOpen = false
    var bracketOpen = false

    public init(_ query: String) {
        bytes = Array(query.utf8)
    }

    /// All tokens up to and including `.eof`.
    public static func tokens(_ query: String) throws(PromQLParseError) -> [Token] {
        var lexer = Lexer(query)
        var out: [Token] = []
        while true {
            let t = try lexer.next()
            out.append(t)
            if t.kind == .eof { return out }
        }
    }

    func text(_ a: Int, _ b: Int) -> String { String(decoding: bytes[a..<b], as: UTF8.self) }

    func error(_ message: String, at start: Int, _ end: Int? = nil) -> PromQLParseError {
        PromQLParseError(start: start, end: end ?? min(start + 1, bytes.count), message: message)
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isAlpha(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F }
    static func isAlphaNumeric(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }

    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    public mutating func next() throws(PromQLParseError) -> Token {
        // Whitespace and comments.
        while i < bytes.count {
            if Self.isSpace(bytes[i]) {
                i += 1
            } else if bytes[i] == UInt8(ascii: "#") {
                while i < bytes.count && bytes[i] != 0x0A { i += 1 }
            } else {
                break
            }
        }
        let start = i
        guard i < bytes.count else {
            if bracketOpen { throw error("unexpected end of input in duration expression", at: start, start) }
            if parenDepth > 0 { throw error("unclosed left parenthesis", at: start) }
            if braceOpen { throw error("unexpected end of input inside braces", at: start) }
            return Token(kind: .eof, text: "", start: start, end: start)
        }
        if braceOpen { return try nextInsideBraces(start: start) }
        let c = bytes[i]
        if bracketOpen && (Self.isAlpha(c) || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "`")) {
            // Inside `[…]` only numbers, durations and `:` (and, in Prometheus's experimental
            // syntax, duration arithmetic) may appear.
            if Self.isAlpha(c) { throw error("unexpected character: \(quotedCharacter(at: start)), expected ':'", at: start) }
            throw error("unexpected character in duration expression: \(quotedCharacter(at: start))", at: start)
        }
        i += 1
        func token(_ k: Token.Kind) -> Token { Token(kind: k, text: text(start, i), start: start, end: i) }
        switch c {
        case UInt8(ascii: ","): return token(.comma)
        case UInt8(ascii: "*"): return token(.mul)
        case UInt8(ascii: "/"): return token(.div)
        case UInt8(ascii: "%"): return token(.mod)
        case UInt8(ascii: "+"): return token(.add)
        case UInt8(ascii: "-"): return token(.sub)
        case UInt8(ascii: "^"): return token(.pow)
        case UInt8(ascii: "@"): return token(.at)
        case UInt8(ascii: "("):
            parenDepth += 1
            return token(.leftParen)
        case UInt8(ascii: ")"):
            parenDepth -= 1
            if parenDepth < 0 { throw error("unexpected right parenthesis ')'", at: start) }
            return token(.rightParen)
        case UInt8(ascii: "{"):
            braceOpen = true
            return token(.leftBrace)
        case UInt8(ascii: "["):
            if bracketOpen { throw error("unexpected left bracket '['", at: start) }
            bracketOpen = true
            return token(.leftBracket)
        case UInt8(ascii: "]"):
            if !bracketOpen { throw error("unexpected right bracket ']'", at: start) }
            bracketOpen = false
            return token(.rightBracket)
        case UInt8(ascii: ":") where bracketOpen:
            return token(.colon)
        case UInt8(ascii: "="):
            if peek == UInt8(ascii: "=") { i += 1; return token(.equal) }
            if peek == UInt8(ascii: "~") {
                guard braceOpen else { throw error("unexpected character after '=': '~'", at: start) }
                i += 1
                return token(.regexMatch)
            }
            return token(.assign)
        case UInt8(ascii: "!"):
            if peek == UInt8(ascii: "=") { i += 1; return token(.notEqual) }
            if peek == UInt8(ascii: "~") && braceOpen { i += 1; return token(.regexNoMatch) }
            throw error("unexpected character after '!': \(quotedCharacter(at: i))", at: start, min(start + 2, bytes.count))
        case UInt8(ascii: "<"):
            if peek == UInt8(ascii: "=") { i += 1; return token(.lessOrEqual) }
            return token(.less)
        case UInt8(ascii: ">"):
            if peek == UInt8(ascii: "=") { i += 1; return token(.greaterOrEqual) }
            return token(.greater)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return try lexString(quote: c, start: start)
        case UInt8(ascii: "`"):
            guard let close = bytes[i...].firstIndex(of: c) else { throw error("unterminated raw string", at: start) }
            i = close + 1
            return Token(kind: .string, text: text(start + 1, close), start: start, end: i)
        default:
            if Self.isDigit(c) || (c == UInt8(ascii: ".") && peek.map(Self.isDigit) == true) {
                i = start
                return try lexNumberOrDuration(start: start)
            }
            if Self.isAlpha(c) || c == UInt8(ascii: ":") {
                while let p = peek, Self.isAlphaNumeric(p) || p == UInt8(ascii: ":") { i += 1 }
                let word = text(start, i)
                let lower = word.lowercased()
                if !braceOpen && !bracketOpen {
                    if let k = Token.Keyword(rawValue: lower) { return Token(kind: .keyword(k), text: word, start: start, end: i) }
                    if Token.aggregators.contains(lower) { return Token(kind: .aggregator(lower), text: word, start: start, end: i) }
                    if lower == "inf" || lower == "nan" { return Token(kind: .number, text: word, start: start, end: i) }
                }
                return Token(kind: word.contains(":") ? .metricIdentifier : .identifier, text: word, start: start, end: i)
            }
            var scalarEnd = i
            while scalarEnd < bytes.count && bytes[scalarEnd] & 0xC0 == 0x80 { scalarEnd += 1 }
            throw error("unexpected character: '\(text(start, scalarEnd))'", at: start, scalarEnd)
        }
    }

    /// Inside `{…}` only label names, strings, matcher operators, commas and the closing
    /// brace may appear (Prometheus's `lexInsideBraces`).
    mutating func nextInsideBraces(start: Int) throws(PromQLParseError) -> Token {
        let c = bytes[i]
        i += 1
        func token(_ k: Token.Kind) -> Token { Token(kind: k, text: text(start, i), start: start, end: i) }
        switch c {
        case UInt8(ascii: ","): return token(.comma)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return try lexString(quote: c, start: start)
        case UInt8(ascii: "`"):
            guard let close = bytes[i...].firstIndex(of: c) else { throw error("unterminated raw string", at: start) }
            i = close + 1
            return Token(kind: .string, text: text(start + 1, close), start: start, end: i)
        case UInt8(ascii: "="):
            if peek == UInt8(ascii: "~") { i += 1; return token(.regexMatch) }
            return token(.assign)
        case UInt8(ascii: "!"):
            if peek == UInt8(ascii: "~") { i += 1; return token(.regexNoMatch) }
            if peek == UInt8(ascii: "=") { i += 1; return token(.notEqual) }
            throw error("unexpected character after '!' inside braces: \(quotedCharacter(at: i))", at: start, min(i + 1, bytes.count))
        case UInt8(ascii: "{"):
            throw error("unexpected left brace '{'", at: start)
        case UInt8(ascii: "}"):
            braceOpen = false
            return token(.rightBrace)
        default:
            if Self.isAlpha(c) {
                while let p = peek, Self.isAlphaNumeric(p) { i += 1 }
                return token(.identifier)
            }
            throw error("unexpected character inside braces: \(quotedCharacter(at: start))", at: start, i)
        }
    }

    /// The character at `at` as Go's `%q` prints a rune (`'x'`), or `EOF`.
    func quotedCharacter(at index: Int) -> String {
        guard index < bytes.count else { return "EOF" }
        var end = index + 1
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        let scalar = String(decoding: bytes[index..<end], as: UTF8.self)
        if scalar == "'" { return "'\\''" }
        if scalar == "\\" { return "'\\\\'" }
        return "'" + scalar + "'"
    }

    /// A number or a duration, as Prometheus's lexer splits them: a number is
    /// `[.][d][d._eE]*` with hex digits after `0x`, at most one dot and one exponent, an
    /// underscore only between digits, and nothing alphanumeric right after it; where that
    /// fails, the text read so far must go on with duration units (`5m`, `1h30m`, `500ms`).
    mutating func lexNumberOrDuration(start: Int) throws(PromQLParseError) -> Token {
        i = start
        if scanNumber() { return Token(kind: .number, text: text(start, i), start: start, end: i) }
        if acceptRemainingDuration() { return Token(kind: .duration, text: text(start, i), start: start, end: i) }
        throw error("bad number or duration syntax: \(Format.quote(text(start, i)))", at: start, i)
    }

    private mutating func accept(_ set: StaticString) -> Bool {
        guard let c = peek, Self.contains(set, c) else { return false }
        i += 1
        return true
    }

    private static func contains(_ set: StaticString, _ c: UInt8) -> Bool {
        set.withUTF8Buffer { $0.contains(c) }
    }

    /// Prometheus's `scanNumber`: true if a number ends here.
    private mutating func scanNumber() -> Bool {
        let initial = i
        var hex = false
        if accept("0") && accept("xX") {
            _ = accept("_")
            hex = true
        }
        let digits: StaticString = hex ? "0123456789abcdefABCDEF" : "0123456789"
        _ = accept(".")
        _ = accept(digits)
        var dotConsumed = false
        var exponentConsumed = false
        while let c = peek, Self.contains(digits, c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
            || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            if c == UInt8(ascii: ".") && dotConsumed {
                i += 1
                return false
            }
            if (c == UInt8(ascii: "e") || c == UInt8(ascii: "E")) && exponentConsumed {
                i += 1
                return false
            }
            if accept(".") {
                dotConsumed = true
                if accept("_.") || hex { return false }
                continue
            }
            if accept("eE") {
                exponentConsumed = true
                _ = accept("+-")
                if accept("._eE") || peek == nil { return false }
                continue
            }
            if accept("_") {
                if accept("._eE") || peek == nil { return false }
                continue
            }
            while accept(digits) {}
        }
        if i == initial { return false }
        guard let next = peek else { return true }
        return !Self.isAlphaNumeric(next)
    }

    /// Prometheus's `acceptRemainingDuration`: a unit here, then more number-unit pairs, then
    /// nothing alphanumeric.
    private mutating func acceptRemainingDuration() -> Bool {
        guard accept("smhdwy") else { return false }
        _ = accept("s")
        while accept("0123456789") {
            while accept("0123456789") {}
            guard accept("smhdw") else { return false }
            _ = accept("s")
        }
        guard let next = peek else { return true }
        if Self.isAlphaNumeric(next) {
            i += 1
            return false
        }
        return true
    }

    /// A quoted string with Go's escapes; the token's text is the unquoted value.
    mutating func lexString(quote: UInt8, start: Int) throws(PromQLParseError) -> Token {
        var out: [UInt8] = []
        while true {
            guard i < bytes.count, bytes[i] != 0x0A else { throw error("unterminated quoted string", at: start, i) }
            let c = bytes[i]
            i += 1
            if c == quote { break }
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                continue
            }
            guard i < bytes.count else { throw error("escape sequence not terminated", at: start, i) }
            let e = bytes[i]
            i += 1
            func hex(_ n: Int) throws(PromQLParseError) -> UInt32 {
                var v: UInt32 = 0
                for _ in 0..<n {
                    guard i < bytes.count else { throw error("escape sequence not terminated", at: i - 1) }
                    let h = bytes[i] | 0x20
                    let d: UInt32
                    if Self.isDigit(bytes[i]) { d = UInt32(bytes[i] - 0x30) } else if h >= 0x61 && h <= 0x66 { d = UInt32(h - 0x61 + 10) } else {
                        throw error("illegal character \(Self.unicodeName(bytes, at: i)) in escape sequence", at: i)
                    }
                    v = v * 16 + d
                    i += 1
                }
                return v
            }
            switch e {
            case UInt8(ascii: "a"): out.append(7)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case quote: out.append(quote)
            case UInt8(ascii: "x"): out.append(UInt8(try hex(2)))
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let v = try hex(e == UInt8(ascii: "u") ? 4 : 8)
                guard let s = Unicode.Scalar(v) else { throw error("invalid Unicode code point in escape", at: i - 1) }
                out.append(contentsOf: String(s).utf8)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard i + 1 < bytes.count, (0x30...0x37).contains(bytes[i]), (0x30...0x37).contains(bytes[i + 1]) else {
                    throw error("invalid escape sequence", at: i - 2)
                }
                let v = UInt32(e - 0x30) * 64 + UInt32(bytes[i] - 0x30) * 8 + UInt32(bytes[i + 1] - 0x30)
                guard v <= 255 else { throw error("invalid octal escape", at: i - 2) }
                out.append(UInt8(v))
                i += 2
            default:
                throw error("unknown escape sequence \(Self.unicodeName(bytes, at: i - 1))", at: i - 2, i)
            }
        }
        // `\xFF` and octal escapes can spell bytes that are not UTF-8; Prometheus keeps them, a
        // Swift string cannot, so they become U+FFFD (docs/compatibility.md).
        return Token(kind: .string, text: String(decoding: out, as: UTF8.self), start: start, end: i)
    }

    /// A character as Go's `%#U` names it in escape errors: `U+0063 'c'`.
    static func unicodeName(_ bytes: [UInt8], at index: Int) -> String {
        var end = index + 1
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        let text = String(decoding: bytes[index..<min(end, bytes.count)], as: UTF8.self)
        guard let scalar = text.unicodeScalars.first else { return "U+FFFD" }
        var hex = String(scalar.value, radix: 16, uppercase: true)
        while hex.count < 4 { hex = "0" + hex }
        return "U+\(hex) '\(text)'"
    }
}
