import HearthEncoding
import HearthModel
import HearthRegex
import HearthTemplate

/// The functions Prometheus adds to alert templates (`template/template.go` and
/// `prometheus/common`'s helpers), on top of Go's builtins.
public enum PrometheusTemplateFunctions {
    public static let names: [String] = [
        "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title", "toUpper",
        "toLower", "graphLink", "tableLink", "sortByLabel", "stripPort", "stripDomain", "humanize", "humanize1024",
        "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "toDuration", "now", "pathPrefix",
        "externalURL", "parseDuration", "urlQueryEscape",
    ]

    /// A sample of a `query` result: Go's `*template.sample`.
    static func sample(labels: Labels, value: Double) -> TemplateValue {
        .record("*template.sample", ["Labels": .stringMap(labels.map { ($0.name, $0.value) }), "Value": .float(value)])
    }

    /// The functions for one expansion. `query` runs PromQL at the evaluation time; `now` is
    /// that time (Unix ms).
    public static func make(
        query: @escaping @Sendable (String) throws(RuleError) -> [(labels: Labels, value: Double)],
        externalURL: String, now: Int64
    ) -> [String: TemplateFunction] {
        let path = urlPath(externalURL)
        return [
            "query": { args throws(TemplateFunctionError) in
                let q = try string(args, 0, count: 1)
                do throws(RuleError) {
                    return .list(try query(q).map { sample(labels: $0.labels, value: $0.value) })
                } catch {
                    throw TemplateFunctionError(error.message)
                }
            },
            "first": { args throws(TemplateFunctionError) in
                guard args.count == 1 else { throw wrongCount("first", 1, args.count) }
                guard case .list(let l) = args[0] else { throw wrongType("template.queryResult", args[0]) }
                guard let f = l.first else { throw TemplateFunctionError("first() called on vector with no elements") }
                return f
            },
            "label": { args throws(TemplateFunctionError) in
                let name = try string(args, 0, count: 2)
                return .string(try sampleField(args[1], "Labels").map { m in if case .map(let d) = m, case .string(let v)? = d[name] { v } else { "" } } ?? "")
            },
            "value": { args throws(TemplateFunctionError) in
                guard args.count == 1 else { throw wrongCount("value", 1, args.count) }
                return try sampleField(args[0], "Value") ?? .missing
            },
            "strvalue": { args throws(TemplateFunctionError) in
                guard args.count == 1 else { throw wrongCount("strvalue", 1, args.count) }
                if case .map(let d)? = try sampleField(args[0], "Labels"), case .string(let v)? = d["__value__"] { return .string(v) }
                return .string("")
            },
            "args": { args throws(TemplateFunctionError) in
                var m: [String: TemplateValue] = [:]
                for (i, a) in args.enumerated() { m["arg\(i)"] = a }
                return .map(m)
            },
            "reReplaceAll": { args throws(TemplateFunctionError) in
                let pattern = try string(args, 0, count: 3), replacement = try string(args, 1, count: 3), text = try string(args, 2, count: 3)
                do {
                    return .string(try RE2(pattern).replaceAll(in: text, with: replacement))
                } catch {
                    throw TemplateFunctionError("regexp: Compile(\(GoFormat.sprintf("%q", [.string(pattern)]))): \(error)")
                }
            },
            "safeHtml": { args throws(TemplateFunctionError) in .string(try string(args, 0, count: 1)) },
            "match": { args throws(TemplateFunctionError) in
                let pattern = try string(args, 0, count: 2), text = try string(args, 1, count: 2)
                do { return .bool(try RE2(pattern).firstMatch(in: text) != nil) } catch { throw TemplateFunctionError("\(error)") }
            },
            "title": { args throws(TemplateFunctionError) in .string(title(try string(args, 0, count: 1))) },
            "toUpper": { args throws(TemplateFunctionError) in .string(try string(args, 0, count: 1).uppercased()) },
            "toLower": { args throws(TemplateFunctionError) in .string(try string(args, 0, count: 1).lowercased()) },
            "graphLink": { args throws(TemplateFunctionError) in .string(graphLink(try string(args, 0, count: 1))) },
            "tableLink": { args throws(TemplateFunctionError) in .string(tableLink(try string(args, 0, count: 1))) },
            "sortByLabel": { args throws(TemplateFunctionError) in
                let name = try string(args, 0, count: 2)
                guard case .list(let l) = args[1] else { throw wrongType("template.queryResult", args[1]) }
                func key(_ v: TemplateValue) -> String {
                    if case .record(_, let f) = v, case .map(let d)? = f["Labels"], case .string(let s)? = d[name] { return s }
                    return ""
                }
                let sorted = l.enumerated().sorted { a, b in
                    let ka = key(a.element), kb = key(b.element)
                    return ka != kb ? Array(ka.utf8).lexicographicallyPrecedes(Array(kb.utf8)) : a.offset < b.offset
                }
                return .list(sorted.map(\.element))
            },
            "stripPort": { args throws(TemplateFunctionError) in
                let s = try string(args, 0, count: 1)
                return .string(splitHostPort(s)?.host ?? s)
            },
            "stripDomain": { args throws(TemplateFunctionError) in
                let s = try string(args, 0, count: 1)
                let (host, port) = splitHostPort(s) ?? (s, "")
                if isIP(host) { return .string(s) }
                let short = String(host.split(separator: ".", omittingEmptySubsequences: false).first ?? "")
                if port.isEmpty { return .string(short) }
                return .string(short.contains(":") ? "[\(short)]:\(port)" : "\(short):\(port)")
            },
            "humanize": { args throws(TemplateFunctionError) in .string(humanize(try float(args, "humanize"))) },
            "humanize1024": { args throws(TemplateFunctionError) in .string(humanize1024(try float(args, "humanize1024"))) },
            "humanizeDuration": { args throws(TemplateFunctionError) in .string(humanizeDuration(try float(args, "humanizeDuration"))) },
            "humanizePercentage": { args throws(TemplateFunctionError) in
                .string(GoFormat.formatFloat(try float(args, "humanizePercentage") * 100, verb: "g", precision: 4) + "%")
            },
            "humanizeTimestamp": { args throws(TemplateFunctionError) in
                let v = try float(args, "humanizeTimestamp")
                if v.isNaN || v.isInfinite { return .string(GoFormat.formatFloat(v, verb: "g", precision: 4)) }
                return .string(try goTime(v))
            },
            "toTime": { args throws(TemplateFunctionError) in
                let v = try float(args, "toTime")
                if v.isNaN || v.isInfinite { throw TemplateFunctionError("value is NaN or Inf") }
                return .string(try goTime(v))
            },
            "toDuration": { args throws(TemplateFunctionError) in
                .string(goDuration(nanoseconds: Int64(exactly: (try float(args, "toDuration") * 1e9).rounded(.towardZero)) ?? Int64.max))
            },
            "now": { args throws(TemplateFunctionError) in
                guard args.isEmpty else { throw wrongCount("now", 0, args.count) }
                return .float(Double(now) / 1000)
            },
            "pathPrefix": { _ throws(TemplateFunctionError) in .string(path) },
            "externalURL": { _ throws(TemplateFunctionError) in .string(externalURL) },
            "parseDuration": { args throws(TemplateFunctionError) in
                let s = try string(args, 0, count: 1)
                let negative = s.hasPrefix("-")
                guard let ms = PrometheusDuration.parseMilliseconds(negative ? String(s.dropFirst()) : s) ?? (s == "0" ? 0 : nil) else {
                    throw TemplateFunctionError("not a valid duration string: \"\(s)\"")
                }
                return .float(Double(negative ? -ms : ms) / 1000)
            },
            "urlQueryEscape": { args throws(TemplateFunctionError) in .string(GoText.queryEscape(try string(args, 0, count: 1))) },
        ]
    }

    // MARK: - Arguments

    static func wrongCount(_ name: String, _ want: Int, _ got: Int) -> TemplateFunctionError {
        .arguments("wrong number of args for \(name): want \(want) got \(got)")
    }

    static func wrongType(_ want: String, _ got: TemplateValue) -> TemplateFunctionError {
        if case .missing = got { return .arguments("invalid value; expected \(want)") }
        return .arguments("wrong type for value; expected \(want); got \(got.goTypeName)")
    }

    static func string(_ args: [TemplateValue], _ i: Int, count: Int) throws(TemplateFunctionError) -> String {
        guard args.count == count else { throw .arguments("wrong number of args: want \(count) got \(args.count)") }
        guard case .string(let s) = args[i] else { throw wrongType("string", args[i]) }
        return s
    }

    static func sampleField(_ v: TemplateValue, _ field: String) throws(TemplateFunctionError) -> TemplateValue? {
        guard case .record(_, let fields) = v, let f = fields[field] else {
            if case .missing = v { throw TemplateFunctionError("nil pointer dereference") }
            throw wrongType("*template.sample", v)
        }
        return f
    }

    /// `ConvertToFloat`: floats, ints and numeric strings.
    static func float(_ args: [TemplateValue], _ name: String) throws(TemplateFunctionError) -> Double {
        guard args.count == 1 else { throw wrongCount(name, 1, args.count) }
        switch args[0] {
        case .float(let f): return f
        case .int(let i): return Double(i)
        case .string(let s):
            guard let f = parseGoFloat(s) else { throw TemplateFunctionError("strconv.ParseFloat: parsing \(GoFormat.sprintf("%q", [.string(s)])): invalid syntax") }
            return f
        case .missing: throw TemplateFunctionError("can't convert <nil> to float")
        default: throw TemplateFunctionError("can't convert \(args[0].goTypeName) to float")
        }
    }

    static func parseGoFloat(_ s: String) -> Double? {
        switch s.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default:
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
            return Double(s)
        }
    }

    // MARK: - Formatting

    static func humanize(_ value: Double) -> String {
        var v = value
        if v == 0 || v.isNaN || v.isInfinite { return GoFormat.formatFloat(v, verb: "g", precision: 4) }
        var prefix = ""
        if abs(v) >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if abs(v) < 1000 { break }
                prefix = p
                v /= 1000
            }
        } else {
            for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
                if abs(v) >= 1 { break }
                prefix = p
                v *= 1000
            }
        }
        return GoFormat.formatFloat(v, verb: "g", precision: 4) + prefix
    }

    static func humanize1024(_ value: Double) -> String {
        var v = value
        if abs(v) <= 1 || v.isNaN || v.isInfinite { return GoFormat.formatFloat(v, verb: "g", precision: 4) }
        var prefix = ""
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if abs(v) < 1024 { break }
            prefix = p
            v /= 1024
        }
        return GoFormat.formatFloat(v, verb: "g", precision: 4) + prefix
    }

    static func humanizeDuration(_ value: Double) -> String {
        var v = value
        if v.isNaN || v.isInfinite { return GoFormat.formatFloat(v, verb: "g", precision: 4) }
        if v == 0 { return GoFormat.formatFloat(v, verb: "g", precision: 4) + "s" }
        if abs(v) >= 1 {
            var sign = ""
            if v < 0 { sign = "-"; v = -v }
            let d = Int64(v)
            let seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 3600) % 24, days = d / 86_400
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + GoFormat.formatFloat(v, verb: "g", precision: 4) + "s"
        }
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return GoFormat.formatFloat(v, verb: "g", precision: 4) + prefix + "s"
    }

    /// `fmt.Sprint(time.Time)` of a Unix time in seconds, at millisecond precision, in UTC:
    /// `2006-01-02 15:04:05.999 +0000 UTC`.
    static func goTime(_ seconds: Double) throws(TemplateFunctionError) -> String {
        let ns = seconds * 1e9
        guard ns <= Double(Int64.max), ns >= Double(Int64.min) else {
            throw TemplateFunctionError("\(GoFormat.formatFloat(seconds, verb: "g", precision: nil)) cannot be represented as a nanoseconds timestamp since it overflows int64")
        }
        let ms = Int64(ns) / 1_000_000
        let iso = RFC3339.format(ms)  // 2006-01-02T15:04:05.999Z
        return String(iso.dropLast()).replacing("T", with: " ") + " +0000 UTC"
    }

    /// Go's `time.Duration.String` (`1h2m3.5s`, `1.5ms`, `0s`).
    static func goDuration(nanoseconds d: Int64) -> String {
        if d == 0 { return "0s" }
        let negative = d < 0
        let u = d.magnitude
        func fraction(_ v: UInt64, _ digits: Int) -> String {
            var s = String(v)
            while s.count < digits { s = "0" + s }
            while s.hasSuffix("0") { s.removeLast() }
            return s.isEmpty ? "" : "." + s
        }
        var out: String
        if u < 1_000_000_000 {
            if u < 1000 { out = "\(u)ns" }
            else if u < 1_000_000 { out = "\(u / 1000)" + fraction(u % 1000, 3) + "µs" }
            else { out = "\(u / 1_000_000)" + fraction(u % 1_000_000, 6) + "ms" }
        } else {
            let secs = u / 1_000_000_000, frac = u % 1_000_000_000
            let h = secs / 3600, m = (secs / 60) % 60, s = secs % 60
            out = "\(s)" + fraction(frac, 9) + "s"
            if h > 0 { out = "\(h)h\(m)m" + out } else if m > 0 { out = "\(m)m" + out }
        }
        return negative ? "-" + out : out
    }

    /// `cases.Title(language.AmericanEnglish, cases.NoLower)`: the first letter of each word
    /// upper-cased, the rest left as is.
    static func title(_ s: String) -> String {
        var out = ""
        var inWord = false
        var previous: Character?
        for c in s {
            let wordChar = c.isLetter || c.isNumber || c == "_" || (c == "'" && (previous?.isLetter ?? false))
            if c.isLetter && !inWord { out += c.uppercased() } else { out.append(c) }
            inWord = wordChar
            previous = c
        }
        return out
    }

    static func graphLink(_ expr: String) -> String { "/graph?g0.expr=\(GoText.queryEscape(expr))&g0.tab=0" }
    public static func tableLink(_ expr: String) -> String { "/graph?g0.expr=\(GoText.queryEscape(expr))&g0.tab=1" }

    /// Go's `net.SplitHostPort`, for the forms templates see (`host:port`, `[v6]:port`).
    static func splitHostPort(_ s: String) -> (host: String, port: String)? {
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            let rest = s[s.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            return (String(s[s.index(after: s.startIndex)..<close]), String(rest.dropFirst()))
        }
        guard let colon = s.lastIndex(of: ":"), s.firstIndex(of: ":") == colon else { return nil }
        return (String(s[..<colon]), String(s[s.index(after: colon)...]))
    }

    static func isIP(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) { return true }
        return s.contains(":") && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    static func urlPath(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://") else { return "" }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "" }
        return String(rest[slash...])
    }
}
