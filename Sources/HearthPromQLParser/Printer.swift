import HearthEncoding
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
        var out: [UInt8] = []
        appendNumber(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends Go's `'f'`, -1 form of `v` as UTF-8. Works on the bytes of Swift's shortest
    /// representation, moving the decimal point where that one uses an exponent.
    static func appendNumber(_ v: Double, to out: inout [UInt8]) {
        if v.isNaN { return out.append(contentsOf: "NaN".utf8) }
        if v.isInfinite { return out.append(contentsOf: (v > 0 ? "+Inf" : "-Inf").utf8) }
        if v == v.rounded() && abs(v) < 1e15 {
            if v == 0 && v.sign == .minus { return out.append(contentsOf: "-0".utf8) }
            return out.append(contentsOf: String(Int64(v)).utf8)
        }
        var text = v.description
        text.withUTF8 { b in
            guard let e = b.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
                // No exponent: Swift prints "1.0" for integral values, which Go does not.
                if b.count >= 2 && b[b.count - 2] == UInt8(ascii: ".") && b[b.count - 1] == UInt8(ascii: "0") {
                    out.append(contentsOf: b[0..<(b.count - 2)])
                } else {
                    out.append(contentsOf: b)
                }
                return
            }
            var i = 0
            if b[0] == UInt8(ascii: "-") {
                out.append(UInt8(ascii: "-"))
                i = 1
            }
            var digits: [UInt8] = []
            var intDigits = 0
            var seenPoint = false
            while i < e {
                if b[i] == UInt8(ascii: ".") {
                    seenPoint = true
                } else {
                    digits.append(b[i])
                    if !seenPoint { intDigits += 1 }
                }
                i += 1
            }
            var exponent = 0
            var negativeExponent = false
            var j = e + 1
            if j < b.count && (b[j] == UInt8(ascii: "-") || b[j] == UInt8(ascii: "+")) {
                negativeExponent = b[j] == UInt8(ascii: "-")
                j += 1
            }
            while j < b.count {
                exponent = exponent * 10 + Int(b[j] - UInt8(ascii: "0"))
                j += 1
            }
            if negativeExponent { exponent = -exponent }
            while digits.count > 1 && digits.last == UInt8(ascii: "0") { digits.removeLast() }
            let point = intDigits + exponent
            if point <= 0 {
                out.append(contentsOf: "0.".utf8)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -point))
                out.append(contentsOf: digits)
            } else if point >= digits.count {
                out.append(contentsOf: digits)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: point - digits.count))
            } else {
                out.append(contentsOf: digits[0..<point])
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[point...])
            }
        }
    }

    /// Go's `%q` for a string.
    static func quote(_ s: String) -> String { GoText.quote(s) }

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

    static func duration(_ ms: Int64) -> String { PrometheusDuration.format(milliseconds: ms) }
}

/// Go's `strconv.Quote`, which Prometheus uses for strings in messages and printed queries.
public func quoteLikeGo(_ s: String) -> String { Format.quote(s) }

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`, which Prometheus uses for label values made from
/// numbers (`count_values`) and for numbers in printed queries.
public func formatFloatLikeGo(_ v: Double) -> String { Format.number(v) }

/// `formatFloatLikeGo`, appended to a byte buffer without building a String.
public func appendFloatLikeGo(_ v: Double, to out: inout [UInt8]) { Format.appendNumber(v, to: &out) }
