import HearthModel

/// Canonical PromQL text of an expression, in Prometheus's format (what `format_query` returns).
extension Expr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .number(let v): return Format.number(v)
        case .string(let s): return Format.quote(s)
        case .vectorSelector(let vs): return Format.selector(vs) + Format.modifiers(vs.offset, vs.at)
        case .matrixSelector(let vs, let range):
            return Format.selector(vs) + "[\(Format.duration(range))]" + Format.modifiers(vs.offset, vs.at)
        case .subquery(let inner, let range, let step, let offset, let at):
            return "\(inner)[\(Format.duration(range)):\(step.map(Format.duration) ?? "")]" + Format.modifiers(offset, at)
        case .call(let name, let args):
            return name + "(" + args.map(\.description).joined(separator: ", ") + ")"
        case .aggregate(let op, let expr, let param, let grouping, let without, let written):
            var s = op
            if without {
                s += " without (" + grouping.map(Format.labelName).joined(separator: ", ") + ") "
            } else if written || !grouping.isEmpty {
                s += " by (" + grouping.map(Format.labelName).joined(separator: ", ") + ") "
            }
            s += "("
            if let param { s += param.description + ", " }
            return s + expr.description + ")"
        case .binary(let op, let lhs, let rhs, let returnBool, let matching):
            var s = lhs.description + " " + op.rawValue
            if returnBool { s += " bool" }
            if let m = matching, m.explicit || m.cardinality != .oneToOne {
                s += (m.on ? " on" : " ignoring") + " (" + m.labels.map(Format.labelName).joined(separator: ", ") + ")"
                switch m.cardinality {
                case .manyToOne: s += " group_left (" + m.include.map(Format.labelName).joined(separator: ", ") + ")"
                case .oneToMany: s += " group_right (" + m.include.map(Format.labelName).joined(separator: ", ") + ")"
                default: break
                }
            }
            return s + " " + rhs.description
        case .unary(let negative, let inner):
            return (negative ? "-" : "+") + inner.description
        case .paren(let inner):
            return "(" + inner.description + ")"
        }
    }
}

enum Format {
    /// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest digits, no exponent.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded() && abs(v) < 1e18 { return String(Int64(v)) }
        let s = "\(v)"
        guard let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return s }
        let mantissa = String(s[..<e])
        let exponent = Int(s[s.index(after: e)...])!
        let negative = mantissa.hasPrefix("-")
        let digits = mantissa.filter { $0 != "-" }.split(separator: ".")
        let intPart = String(digits[0])
        let fracPart = digits.count > 1 ? String(digits[1]) : ""
        var all = intPart + fracPart
        var point = intPart.count + exponent
        if point <= 0 {
            all = String(repeating: "0", count: 1 - point) + all
            point = 1
        } else if point > all.count {
            all += String(repeating: "0", count: point - all.count)
        }
        var out = String(all.prefix(point))
        var frac = String(all.dropFirst(point))
        while frac.hasSuffix("0") { frac.removeLast() }
        if !frac.isEmpty { out += "." + frac }
        return (negative ? "-" : "") + out
    }

    /// Go's `%q` for a string.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{0B}": out += "\\v"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += "\\x" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func isPlainName(_ s: String, allowColon: Bool) -> Bool {
        guard let first = s.utf8.first else { return false }
        let okFirst = (first >= 0x61 && first <= 0x7A) || (first >= 0x41 && first <= 0x5A) || first == 0x5F
            || (allowColon && first == 0x3A)
        return okFirst && s.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || (c >= 0x30 && c <= 0x39) || (allowColon && c == 0x3A)
        }
    }

    static func labelName(_ s: String) -> String { isPlainName(s, allowColon: false) ? s : quote(s) }

    static func selector(_ vs: VectorSelector) -> String {
        var parts: [String] = []
        var head = ""
        if let name = vs.name {
            if isPlainName(name, allowColon: true) { head = name } else { parts.append(quote(name)) }
        }
        for m in vs.matchers {
            parts.append(labelName(m.name) + m.kind.rawValue + quote(m.value))
        }
        if parts.isEmpty && !head.isEmpty { return head }
        return head + "{" + parts.joined(separator: ", ") + "}"
    }

    static func modifiers(_ offset: Int64, _ at: AtModifier?) -> String {
        var s = ""
        if let at {
            switch at {
            case .start: s += " @ start()"
            case .end: s += " @ end()"
            case .timestamp(let ms):
                let sign = ms < 0 ? "-" : ""
                let a = abs(ms)
                let frac = String(a % 1000)
                s += " @ \(sign)\(a / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
            }
        }
        if offset > 0 { s += " offset " + duration(offset) }
        if offset < 0 { s += " offset -" + duration(-offset) }
        return s
    }

    /// Prometheus's `model.Duration` format: `1h30m`, `1d`, `1w`, `1y`, `500ms`, `0s`.
    static func duration(_ ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var rest = ms
        var out = ""
        for (unit, size) in [("y", Int64(31_536_000_000)), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000),
                             ("m", 60_000), ("s", 1000), ("ms", 1)] {
            if rest >= size {
                out += "\(rest / size)\(unit)"
                rest %= size
            }
        }
        return out
    }
}

/// Go's `strconv.Quote`, which Prometheus uses for strings in messages and printed queries.
public func quoteLikeGo(_ s: String) -> String { Format.quote(s) }

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`, which Prometheus uses for label values made from
/// numbers (`count_values`) and for numbers in printed queries.
public func formatFloatLikeGo(_ v: Double) -> String { Format.number(v) }
