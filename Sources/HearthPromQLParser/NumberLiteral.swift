/// The value of a PromQL number literal, as Prometheus computes it: Go's
/// `strconv.ParseInt(text, 0, 64)` (so `0x1f` is hex, `0755` octal, `1_000` a thousand), and
/// where that fails `strconv.ParseFloat(text, 64)` (so `09` is nine and `1e400` out of range).
enum NumberLiteral {
    enum Failure: Error, Equatable {
        case invalidSyntax
        case outOfRange

        /// Prometheus's message for a literal it cannot read.
        func message(_ text: String) -> String {
            let reason = self == .invalidSyntax ? "invalid syntax" : "value out of range"
            return "error parsing number: strconv.ParseFloat: parsing \(Format.quote(text)): \(reason)"
        }
    }

    static func value(_ text: String) -> Result<Double, Failure> {
        let b = Array(text.utf8)
        if let v = integer(b) { return .success(Double(v)) }
        return float(b)
    }

    /// `strconv.ParseInt(s, 0, 64)` for an unsigned literal; nil where Go reports any error.
    static func integer(_ b: [UInt8]) -> Int64? {
        guard !b.isEmpty, underscoresAllowed(b) else { return nil }
        var base: UInt64 = 10
        var i = 0
        if b.count >= 2 && b[0] == UInt8(ascii: "0") {
            switch b[1] | 0x20 {
            case UInt8(ascii: "x"): base = 16; i = 2
            case UInt8(ascii: "o"): base = 8; i = 2
            case UInt8(ascii: "b"): base = 2; i = 2
            default: base = 8; i = 1
            }
        }
        var value: UInt64 = 0
        var digits = 0
        while i < b.count {
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "_") { continue }
            guard let d = digitValue(c), d < base else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(d)
            guard !o1 && !o2 && s <= UInt64(Int64.max) else { return nil }
            value = s
            digits += 1
        }
        // "0x" alone has no digits; a lone "0" is the octal prefix's own digit.
        if digits == 0 && !(base == 8 && b.count >= 1 && b.allSatisfy({ $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "_") })) {
            return nil
        }
        return Int64(value)
    }

    /// `strconv.ParseFloat(s, 64)` for what PromQL's lexer lets through as a number: decimal
    /// mantissa, optional exponent, underscores between digits. Go's hexadecimal floats need a
    /// `p` exponent, which the lexer never passes, so any other hex text is invalid syntax.
    static func float(_ b: [UInt8]) -> Result<Double, Failure> {
        guard !b.isEmpty, underscoresAllowed(b) else { return .failure(.invalidSyntax) }
        if b.count >= 2 && b[0] == UInt8(ascii: "0") && (b[1] | 0x20) == UInt8(ascii: "x") { return .failure(.invalidSyntax) }
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(b.count)
        var i = 0
        var mantissaDigits = 0
        var seenDot = false
        while i < b.count, b[i] != UInt8(ascii: "e") && b[i] != UInt8(ascii: "E") {
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "_") { continue }
            if c == UInt8(ascii: ".") {
                guard !seenDot else { return .failure(.invalidSyntax) }
                seenDot = true
            } else if c >= 0x30 && c <= 0x39 {
                mantissaDigits += 1
            } else {
                return .failure(.invalidSyntax)
            }
            cleaned.append(c)
        }
        guard mantissaDigits > 0 else { return .failure(.invalidSyntax) }
        if i < b.count {
            cleaned.append(UInt8(ascii: "e"))
            i += 1
            if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) {
                cleaned.append(b[i])
                i += 1
            }
            var exponentDigits = 0
            while i < b.count {
                let c = b[i]
                i += 1
                if c == UInt8(ascii: "_") { continue }
                guard c >= 0x30 && c <= 0x39 else { return .failure(.invalidSyntax) }
                cleaned.append(c)
                exponentDigits += 1
            }
            guard exponentDigits > 0 else { return .failure(.invalidSyntax) }
        }
        // Swift reads "5." and ".5" as Go does once a zero is added where the digits are missing.
        if cleaned.last == UInt8(ascii: ".") || cleaned.firstIndex(of: UInt8(ascii: "e")).map({ $0 > 0 && cleaned[$0 - 1] == UInt8(ascii: ".") }) == true {
            if let dot = cleaned.firstIndex(of: UInt8(ascii: ".")) { cleaned.insert(UInt8(ascii: "0"), at: dot + 1) }
        }
        if cleaned.first == UInt8(ascii: ".") { cleaned.insert(UInt8(ascii: "0"), at: 0) }
        guard let v = Double(String(decoding: cleaned, as: UTF8.self)) else { return .failure(.invalidSyntax) }
        return v.isInfinite ? .failure(.outOfRange) : .success(v)
    }

    static func digitValue(_ c: UInt8) -> UInt64? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt64(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Go's `underscoreOK`: an underscore only between digits, or between a base prefix and a digit.
    static func underscoresAllowed(_ b: [UInt8]) -> Bool {
        guard b.contains(UInt8(ascii: "_")) else { return true }
        enum Seen { case start, digit, underscore, other }
        var saw = Seen.start
        var i = 0
        var hex = false
        if b.count >= 2 && b[0] == UInt8(ascii: "0") {
            let p = b[1] | 0x20
            if p == UInt8(ascii: "b") || p == UInt8(ascii: "o") || p == UInt8(ascii: "x") {
                i = 2
                saw = .digit
                hex = p == UInt8(ascii: "x")
            }
        }
        while i < b.count {
            let c = b[i]
            i += 1
            if (c >= 0x30 && c <= 0x39) || (hex && (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "f")) {
                saw = .digit
                continue
            }
            if c == UInt8(ascii: "_") {
                guard saw == .digit else { return false }
                saw = .underscore
                continue
            }
            if saw == .underscore { return false }
            saw = .other
        }
        return saw != .underscore
    }
}
