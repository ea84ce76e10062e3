#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Go's `fmt` as templates reach it: `%v` printing of values, `print`, `println` and `printf`
/// with the verbs, flags, widths and precisions alert templates use.
public enum GoFormat {
    /// `fmt.Sprint(args...)`: spaces between operands when neither side is a string.
    public static func sprint(_ args: [TemplateValue]) -> String {
        var out = ""
        for (i, a) in args.enumerated() {
            if i > 0, !a.isString, !args[i - 1].isString { out += " " }
            appendNested(a, to: &out)
        }
        return out
    }

    /// `fmt.Sprintln(args...)`: always spaces, and a newline.
    public static func sprintln(_ args: [TemplateValue]) -> String {
        var out = ""
        for (i, a) in args.enumerated() {
            if i > 0 { out += " " }
            appendNested(a, to: &out)
        }
        return out + "\n"
    }

    /// `%v`.
    static func appendValue(_ v: TemplateValue, to out: inout String) {
        switch v {
        case .missing: out += "<no value>"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let f): out += formatFloat(f, verb: "g", precision: nil)
        case .string(let s): out += s
        case .list(let l):
            out += "["
            for (i, e) in l.enumerated() {
                if i > 0 { out += " " }
                appendNested(e, to: &out)
            }
            out += "]"
        case .map(let m):
            out += "map["
            for (i, k) in m.keys.sorted().enumerated() {
                if i > 0 { out += " " }
                out += k + ":"
                appendNested(m[k]!, to: &out)
            }
            out += "]"
        case .record(let name, let fields):
            if name.hasPrefix("*") { out += "&" }
            out += "{"
            for (i, v) in fields.values.enumerated() {
                if i > 0 { out += " " }
                appendNested(v, to: &out)
            }
            out += "}"
        }
    }

    /// A nil interface (an argument, or inside a collection) prints as `<nil>`; only an action
    /// printing a missing value directly says `<no value>`.
    static func appendNested(_ v: TemplateValue, to out: inout String) {
        if case .missing = v { out += "<nil>" } else { appendValue(v, to: &out) }
    }

    // MARK: - Floats

    /// `strconv.FormatFloat(v, verb, precision, 64)` as `fmt` prints it: `+Inf`, `-Inf`,
    /// `NaN`; `nil` precision is the shortest representation that reads back exactly.
    public static func formatFloat(_ v: Double, verb: Character, precision: Int?) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        guard let precision else { return shortest(v, verb: verb) }
        let spec: String
        switch verb {
        case "e", "E", "f", "F", "g", "G": spec = "%.*" + String(verb)
        default: spec = "%.*g"
        }
        return cFormat(spec, Int32(clamping: precision), v)
    }

    private static func cFormat(_ spec: String, _ precision: Int32, _ v: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let n = withVaList([precision, v]) { args in vsnprintf(&buffer, buffer.count, spec, args) }
        if n >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(n) + 1)
            _ = withVaList([precision, v]) { args in vsnprintf(&buffer, buffer.count, spec, args) }
        }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Shortest round-trip digits (Swift's `description` finds the same digits as Go's
    /// strconv), laid out by strconv's rules for `%v`/`%g`, `%e` and `%f`.
    private static func shortest(_ v: Double, verb: Character) -> String {
        let (negative, digits, point) = decimalDigits(v)
        let sign = negative ? "-" : ""
        let nd = digits.count
        switch verb {
        case "e", "E":
            return sign + exponentForm(digits, point: point, fraction: nd - 1, e: verb == "E" ? "E" : "e")
        case "f", "F":
            return sign + fixedForm(digits, point: point, fraction: max(nd - point, 0))
        default:
            // strconv's shortest %g: exponent form below 1e-4 or from 1e6 (precision 6).
            let exp = point - 1
            if exp < -4 || exp >= 6 {
                return sign + exponentForm(digits, point: point, fraction: nd - 1, e: verb == "G" ? "E" : "e")
            }
            return sign + fixedForm(digits, point: point, fraction: max(nd - point, 0))
        }
    }

    /// The decimal digits of `v` (no leading or trailing zeros, "0" for zero) and the position
    /// of the decimal point relative to them (value = 0.digits × 10^point).
    static func decimalDigits(_ v: Double) -> (negative: Bool, digits: [UInt8], point: Int) {
        let negative = v.sign == .minus
        if v == 0 { return (negative, [UInt8(ascii: "0")], 1) }
        let text = Array(abs(v).description.utf8)
        var mantissa = text[...]
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            mantissa = text[..<e]
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
        }
        var digits: [UInt8] = []
        var point = 0
        var seenPoint = false
        for c in mantissa {
            if c == UInt8(ascii: ".") { seenPoint = true; continue }
            digits.append(c)
            if !seenPoint { point += 1 }
        }
        var lead = 0
        while lead < digits.count - 1, digits[lead] == UInt8(ascii: "0") { lead += 1; point -= 1 }
        digits.removeFirst(lead)
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (negative, digits, point + exponent)
    }

    private static func exponentForm(_ digits: [UInt8], point: Int, fraction: Int, e: String) -> String {
        var out = String(UnicodeScalar(digits[0]))
        if fraction > 0 {
            out += "."
            for i in 1...fraction { out += i < digits.count ? String(UnicodeScalar(digits[i])) : "0" }
        }
        let exp = digits == [UInt8(ascii: "0")] ? 0 : point - 1
        out += e + (exp < 0 ? "-" : "+")
        let magnitude = String(abs(exp))
        return out + (magnitude.count < 2 ? "0" + magnitude : magnitude)
    }

    private static func fixedForm(_ digits: [UInt8], point: Int, fraction: Int) -> String {
        var out = ""
        if point <= 0 { out = "0" } else {
            for i in 0..<point { out += i < digits.count ? String(UnicodeScalar(digits[i])) : "0" }
        }
        if fraction > 0 {
            out += "."
            for i in 0..<fraction {
                let index = point + i
                out += index >= 0 && index < digits.count ? String(UnicodeScalar(digits[index])) : "0"
            }
        }
        return out
    }
}

extension TemplateValue {
    var isString: Bool { if case .string = self { true } else { false } }
}
