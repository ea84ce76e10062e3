import HearthEncoding

extension GoFormat {
    /// `fmt.Sprintf`: flags `+ - # 0 space`, width, precision (`*` too), and the verbs for the
    /// kinds templates handle; wrong and missing arguments print as Go prints them
    /// (`%!d(float64=1.5)`, `%!s(MISSING)`, `%!(EXTRA int=1)`).
    public static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        var out = ""
        let f = Array(format.unicodeScalars)
        var i = 0
        var next = 0
        while i < f.count {
            let c = f[i]
            guard c == "%" else { out.unicodeScalars.append(c); i += 1; continue }
            i += 1
            var spec = Spec()
            flags: while i < f.count {
                switch f[i] {
                case "+": spec.plus = true
                case "-": spec.minus = true
                case "#": spec.sharp = true
                case "0": spec.zero = true
                case " ": spec.space = true
                default: break flags
                }
                i += 1
            }
            if i < f.count, f[i] == "*" {
                i += 1
                if next < args.count, case .int(let w) = args[next], !tooLarge(w) {
                    spec.width = Int(w.magnitude)
                    if w < 0 { spec.minus = true }
                } else {
                    out += "%!(BADWIDTH)"
                }
                next += 1
            } else {
                spec.width = number(f, &i)
            }
            if i + 1 < f.count, f[i] == "." {
                i += 1
                if i < f.count, f[i] == "*" {
                    i += 1
                    if next < args.count, case .int(let p) = args[next], p >= 0, !tooLarge(p) { spec.precision = Int(p) } else { out += "%!(BADPREC)" }
                    next += 1
                } else {
                    spec.precision = number(f, &i) ?? 0
                }
            }
            guard i < f.count else { out += "%!(NOVERB)"; break }
            let verb = f[i]
            i += 1
            if verb == "%" { out += "%"; continue }
            guard next < args.count else { out += "%!\(verb)(MISSING)"; continue }
            out += formatArgument(args[next], verb: Character(verb), spec)
            next += 1
        }
        if next < args.count {
            out += "%!(EXTRA "
            for (n, a) in args[next...].enumerated() {
                if n > 0 { out += ", " }
                out += a.nilName + "="
                appendNested(a, to: &out)
            }
            out += ")"
        }
        return out
    }

    struct Spec {
        var plus = false, minus = false, sharp = false, zero = false, space = false
        var width: Int?
        var precision: Int?
    }

    /// Go's bound on widths and precisions (`fmt`'s `tooLarge`): beyond a million they are
    /// refused, so a format cannot ask for an unbounded string.
    private static func tooLarge(_ x: Int64) -> Bool { x > 1_000_000 || x < -1_000_000 }

    /// A width or precision as Go's `parsenum` reads it: ASCII digits; once the number is too
    /// large, the rest of the format is consumed and there is no number (so `%!(NOVERB)`).
    private static func number(_ f: [Unicode.Scalar], _ i: inout Int) -> Int? {
        var n: Int?
        while i < f.count, ("0"..."9").contains(f[i]) {
            if tooLarge(Int64(n ?? 0)) {
                i = f.count
                return nil
            }
            n = (n ?? 0) * 10 + Int(f[i].value - 48)
            i += 1
        }
        return n
    }

    private static func formatArgument(_ v: TemplateValue, verb: Character, _ spec: Spec) -> String {
        // Go prints a wrong verb's argument as `%v` with the width and flags given, and pads
        // nothing else.
        func bad() -> String {
            var s = "%!\(verb)("
            if case .missing = v { return s + "<nil>)" }
            s += v.goTypeName + "="
            s += formatArgument(v, verb: "v", spec)
            return s + ")"
        }
        var body: String
        var numeric = false
        switch (verb, v) {
        case ("v", .missing): body = "<nil>"
        case ("v", .float(let x)):
            body = signed(formatFloat(x, verb: "g", precision: spec.precision), spec)
            numeric = true
        case ("v", .int(let x)), ("d", .int(let x)):
            body = signed(String(x), spec)
            numeric = true
        case ("v", _): body = v.goString
        case ("s", .string(let s)): body = spec.precision.map { String(s.prefix($0)) } ?? s
        case ("s", .list), ("s", .map): body = v.goString
        case ("q", .string(let s)): body = GoText.quote(s)
        case ("q", .int(let x)): body = "'" + (Unicode.Scalar(UInt32(truncatingIfNeeded: x)).map { String(Character($0)) } ?? "\u{FFFD}") + "'"
        case ("t", .bool(let b)): body = b ? "true" : "false"
        case ("c", .int(let x)): body = Unicode.Scalar(UInt32(truncatingIfNeeded: x)).map { String(Character($0)) } ?? "\u{FFFD}"
        case ("x", .int(let x)), ("X", .int(let x)), ("o", .int(let x)), ("b", .int(let x)):
            let radix = verb == "o" ? 8 : verb == "b" ? 2 : 16
            var digits = String(x.magnitude, radix: radix, uppercase: verb == "X")
            if spec.sharp, radix == 16 { digits = (verb == "X" ? "0X" : "0x") + digits }
            body = x < 0 ? "-" + digits : (spec.plus ? "+" + digits : digits)
            numeric = true
        case ("x", .string(let s)), ("X", .string(let s)):
            body = s.utf8.map { GoText.hex($0, upper: verb == "X") }.joined()
        case ("e", .float(let x)), ("E", .float(let x)), ("f", .float(let x)), ("F", .float(let x)):
            body = signed(formatFloat(x, verb: verb == "F" ? "f" : verb, precision: spec.precision ?? 6), spec)
            numeric = true
        case ("g", .float(let x)), ("G", .float(let x)):
            body = signed(formatFloat(x, verb: verb, precision: spec.precision.map { max($0, 1) }), spec)
            numeric = true
        default:
            return bad()
        }
        guard let width = spec.width, body.count < width else { return body }
        let pad = width - body.count
        if spec.minus { return body + String(repeating: " ", count: pad) }
        if spec.zero, numeric, body.first != "+" || body.dropFirst().first?.isNumber == true, !body.hasSuffix("Inf"), body != "NaN" {
            if let sign = body.first, sign == "-" || sign == "+" {
                return String(sign) + String(repeating: "0", count: pad) + body.dropFirst()
            }
            return String(repeating: "0", count: pad) + body
        }
        return String(repeating: " ", count: pad) + body
    }

    private static func signed(_ s: String, _ spec: Spec) -> String {
        if s.hasPrefix("-") || s.hasPrefix("+") { return s }
        if spec.plus { return "+" + s }
        if spec.space { return " " + s }
        return s
    }
}

extension TemplateValue {
    /// The type name Go's `%!(EXTRA …)` prints (`<nil>` for a nil interface).
    var nilName: String { if case .missing = self { "<nil>" } else { goTypeName } }
}
