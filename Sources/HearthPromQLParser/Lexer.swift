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
            if parenDepth > 0 { throw error("unclosed left parenthesis", at: start) }
            if bracketOpen { throw error("unclosed left bracket", at: start) }
            if braceOpen { throw error("unexpected end of input inside braces", at: start) }
            return Token(kind: .eof, text: "", start: start, end: start)
        }
        let c = bytes[i]
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
            if braceOpen { throw error("unexpected left brace '{'", at: start) }
            braceOpen = true
            return token(.leftBrace)
        case UInt8(ascii: "}"):
            if !braceOpen { throw error("unexpected right brace '}'", at: start) }
            braceOpen = false
            return token(.rightBrace)
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
            throw error("unexpected character after '!'", at: start, min(start + 2, bytes.count))
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

    /// A number (decimal, hex, exponent) or a duration (`5m`, `1h30m`, `500ms`).
    mutating func lexNumberOrDuration(start: Int) throws(PromQLParseError) -> Token {
        // Duration: one or more (digits unit) pairs.
        var j = start
        var pairs = 0
        while j < bytes.count && Self.isDigit(bytes[j]) {
            var k = j
            while k < bytes.count && Self.isDigit(bytes[k]) { k += 1 }
            guard let unitEnd = Self.durationUnit(bytes, at: k) else { break }
            j = unitEnd
            pairs += 1
        }
        if pairs > 0 && (j >= bytes.count || !Self.isAlphaNumeric(bytes[j])) && (j >= bytes.count || bytes[j] != UInt8(ascii: ".")) {
            i = j
            return Token(kind: .duration, text: text(start, j), start: start, end: j)
        }
        // Number.
        j = start
        if j + 1 < bytes.count && bytes[j] == UInt8(ascii: "0") && (bytes[j + 1] | 0x20) == UInt8(ascii: "x") {
            j += 2
            let digitsStart = j
            while j < bytes.count && (Self.isDigit(bytes[j]) || ((bytes[j] | 0x20) >= 0x61 && (bytes[j] | 0x20) <= 0x66)) { j += 1 }
            guard j > digitsStart else { throw error("bad number or duration syntax: \"\(text(start, j))\"", at: start, j) }
        } else {
            while j < bytes.count && Self.isDigit(bytes[j]) { j += 1 }
            if j < bytes.count && bytes[j] == UInt8(ascii: ".") {
                j += 1
                while j < bytes.count && Self.isDigit(bytes[j]) { j += 1 }
            }
            if j < bytes.count && (bytes[j] | 0x20) == UInt8(ascii: "e") {
                var k = j + 1
                if k < bytes.count && (bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-")) { k += 1 }
                if k < bytes.count && Self.isDigit(bytes[k]) {
                    while k < bytes.count && Self.isDigit(bytes[k]) { k += 1 }
                    j = k
                }
            }
        }
        // A number must not run into letters ("5x", "1.5m" is not a duration in PromQL).
        if j < bytes.count && (Self.isAlpha(bytes[j]) || bytes[j] == UInt8(ascii: ".")) {
            var k = j
            while k < bytes.count && (Self.isAlphaNumeric(bytes[k]) || bytes[k] == UInt8(ascii: ".")) { k += 1 }
            throw error("bad number or duration syntax: \"\(text(start, k))\"", at: start, k)
        }
        i = j
        return Token(kind: .number, text: text(start, j), start: start, end: j)
    }

    /// The end of a duration unit at `k` (ms, s, m, h, d, w, y), or nil.
    static func durationUnit(_ b: [UInt8], at k: Int) -> Int? {
        guard k < b.count else { return nil }
        switch b[k] {
        case UInt8(ascii: "m"):
            return k + 1 < b.count && b[k + 1] == UInt8(ascii: "s") ? k + 2 : k + 1
        case UInt8(ascii: "s"), UInt8(ascii: "h"), UInt8(ascii: "d"), UInt8(ascii: "w"), UInt8(ascii: "y"):
            return k + 1
        default:
            return nil
        }
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
            guard i < bytes.count else { throw error("unterminated quoted string", at: start, i) }
            let e = bytes[i]
            i += 1
            func hex(_ n: Int) throws(PromQLParseError) -> UInt32 {
                var v: UInt32 = 0
                for _ in 0..<n {
                    guard i < bytes.count else { throw error("unterminated escape sequence", at: i - 1) }
                    let h = bytes[i] | 0x20
                    let d: UInt32
                    if Self.isDigit(bytes[i]) { d = UInt32(bytes[i] - 0x30) } else if h >= 0x61 && h <= 0x66 { d = UInt32(h - 0x61 + 10) } else {
                        throw error("invalid escape sequence", at: i)
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
                throw error("unknown escape sequence '\\\(String(UnicodeScalar(e)))'", at: i - 2, i)
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error("invalid UTF-8 in string", at: start, i) }
        return Token(kind: .string, text: s, start: start, end: i)
    }
}
