import HearthModel
import HearthPromQLParser

/// Parses the test-script language (see `promql/promqltest/README.md` in Prometheus).
public enum ScriptParser {
    public static func parse(_ text: String, file: String) throws(ScriptError) -> Script {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var commands: [Command] = []
        var i = 0
        func fail(_ line: Int, _ message: String) -> ScriptError { ScriptError(file: file, line: line, message: message) }
        func isIndented(_ s: String) -> Bool { s.first == " " || s.first == "\t" }
        func trimmed(_ s: String) -> String { String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed()) }
        /// The block of lines after a command, up to a blank line or the next command.
        func block(from start: Int) -> [(Int, String)] {
            var out: [(Int, String)] = []
            var j = start
            while j < lines.count {
                let t = trimmed(lines[j])
                if t.isEmpty { break }
                if t.hasPrefix("#") { j += 1; continue }
                if !isIndented(lines[j]) && (t.hasPrefix("load") || t.hasPrefix("eval") || t == "clear") { break }
                out.append((j + 1, t))
                j += 1
            }
            return out
        }
        while i < lines.count {
            let line = trimmed(lines[i])
            let number = i + 1
            i += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch words[0] {
            case "clear":
                commands.append(.clear(line: number))
            case "load", "load_with_nhcb":
                guard words.count >= 2, let interval = try? Self.duration(words[1]) else { throw fail(number, "invalid load interval") }
                var load = Load(line: number, interval: interval, series: [])
                load.withNativeHistogramsWithCustomBuckets = words[0] == "load_with_nhcb"
                for (n, l) in block(from: i) {
                    load.series.append(try seriesLine(l, line: n, file: file))
                    i = n
                }
                commands.append(.load(load))
            case let w where w.hasPrefix("eval"):
                var eval = try evalHeader(words, line: number, file: file)
                for (n, l) in block(from: i) {
                    i = n
                    if l.hasPrefix("expect ") || l.hasPrefix("expected_fail") {
                        eval.expectations.append(try expectation(l, line: n, file: file))
                    } else if let v = Self.number(l) {
                        eval.scalar = v
                    } else {
                        eval.results.append(try seriesLine(l, line: n, file: file))
                    }
                }
                commands.append(.eval(eval))
            default:
                throw fail(number, "unknown command \"\(words[0])\"")
            }
        }
        return Script(commands: commands, file: file)
    }

    static func evalHeader(_ words: [String], line: Int, file: String) throws(ScriptError) -> Eval {
        func fail(_ m: String) -> ScriptError { ScriptError(file: file, line: line, message: m) }
        var expectations: [Eval.Expectation] = []
        switch words[0] {
        case "eval": break
        case "eval_fail": expectations.append(.fail(nil))
        case "eval_warn": expectations.append(.warn(nil))
        case "eval_info": expectations.append(.info(nil))
        case "eval_ordered": expectations.append(.ordered)
        default: throw fail("unknown command \"\(words[0])\"")
        }
        guard words.count >= 2 else { throw fail("incomplete eval") }
        let kind: Eval.Kind
        let queryStart: Int
        if words[1] == "instant" {
            guard words.count >= 5, words[2] == "at", let at = try? duration(words[3]) else { throw fail("invalid instant eval") }
            kind = .instant(at: at)
            queryStart = 4
        } else if words[1] == "range" {
            guard words.count >= 9, words[2] == "from", words[4] == "to", words[6] == "step",
                  let s = try? duration(words[3]), let e = try? duration(words[5]), let st = try? duration(words[7])
            else { throw fail("invalid range eval") }
            kind = .range(start: s, end: e, step: st)
            queryStart = 8
        } else {
            throw fail("eval must be instant or range")
        }
        return Eval(line: line, kind: kind, query: words[queryStart...].joined(separator: " "), expectations: expectations,
                    results: [], scalar: nil)
    }

    static func expectation(_ text: String, line: Int, file: String) throws(ScriptError) -> Eval.Expectation {
        func fail(_ m: String) -> ScriptError { ScriptError(file: file, line: line, message: m) }
        if text.hasPrefix("expected_fail_message ") { return .fail(.message(String(text.dropFirst(22)))) }
        if text.hasPrefix("expected_fail_regexp ") { return .fail(.regex(String(text.dropFirst(21)))) }
        var rest = Substring(text.dropFirst("expect ".count))
        let type = rest.prefix { $0 != " " && $0 != ":" }
        rest = rest.dropFirst(type.count).drop { $0 == " " }
        func match() -> Eval.Match? {
            if rest.hasPrefix("msg:") { return .message(unquote(String(rest.dropFirst(4).drop { $0 == " " }))) }
            if rest.hasPrefix("regex:") { return .regex(unquote(String(rest.dropFirst(6).drop { $0 == " " }))) }
            return nil
        }
        switch type {
        case "fail": return .fail(match())
        case "warn": return .warn(match())
        case "info": return .info(match())
        case "no_warn": return .noWarn
        case "no_info": return .noInfo
        case "ordered": return .ordered
        case "string": return .string(unquote(String(rest)))
        case "range":
            // expect range vector from <start> to <end> step <step>
            let w = rest.split(separator: " ").map(String.init)
            guard w.count == 7, w[0] == "vector", let s = try? duration(w[2]), let e = try? duration(w[4]),
                  let st = try? duration(w[6]) else { throw fail("invalid expect range vector") }
            return .rangeVector(start: s, end: e, step: st)
        default:
            throw fail("unknown expectation \"\(type)\"")
        }
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == s.last, f == "\"" || f == "`" {
            return String(s.dropFirst().dropLast())
        }
        return s
    }

    /// `metric{labels} points…`.
    static func seriesLine(_ text: String, line: Int, file: String) throws(ScriptError) -> SeriesSpec {
        func fail(_ m: String) -> ScriptError { ScriptError(file: file, line: line, message: m) }
        // The series ends at the first blank outside braces and quotes.
        var depth = 0
        var quote: Character? = nil
        var end = text.endIndex
        for idx in text.indices {
            let c = text[idx]
            if let q = quote {
                if c == q { quote = nil }
                continue
            }
            if c == "\"" || c == "'" || c == "`" { quote = c } else if c == "{" { depth += 1 } else if c == "}" { depth -= 1 } else if (c == " " || c == "\t") && depth == 0 {
                end = idx
                break
            }
        }
        let seriesText = String(text[..<end])
        let pointsText = String(text[end...])
        let labels: Labels
        // `{}`: the empty label set of an aggregation result.
        if seriesText == "{}" {
            return SeriesSpec(line: line, labels: Labels(), points: try points(pointsText, line: line, file: file))
        }
        do {
            guard case .vectorSelector(let vs) = try Parser.parse(seriesText) else { throw fail("not a series: \(seriesText)") }
            var list: [Label] = []
            if let name = vs.name { list.append(Label(Labels.metricName, name)) }
            for m in vs.matchers {
                guard m.kind == .equal else { throw fail("series labels must use =") }
                list.append(Label(m.name, m.value))
            }
            do { labels = try Labels(validating: list) } catch { throw fail("\(error)") }
        } catch let e as ScriptError {
            throw e
        } catch {
            throw fail("invalid series \(seriesText): \(error)")
        }
        return SeriesSpec(line: line, labels: labels, points: try points(pointsText, line: line, file: file))
    }

    /// Expands `5 2+3x2 _ _x3 stale 1x2 {{…}}` into points.
    static func points(_ text: String, line: Int, file: String) throws(ScriptError) -> [Point] {
        func fail(_ m: String) -> ScriptError { ScriptError(file: file, line: line, message: m) }
        var out: [Point] = []
        var s = Substring(text)
        while true {
            s = s.drop { $0 == " " || $0 == "\t" }
            if s.isEmpty { break }
            if s.hasPrefix("{{") {
                // A native histogram, possibly with +{{…}}xN / -{{…}}xN expansion: kept whole.
                var depth = 0
                var idx = s.startIndex
                var endIdx = s.endIndex
                while idx < s.endIndex {
                    if s[idx...].hasPrefix("{{") { depth += 1 } else if s[idx...].hasPrefix("}}") {
                        depth -= 1
                        if depth == 0 {
                            var after = s.index(idx, offsetBy: 2)
                            // Skip an expansion suffix.
                            if after < s.endIndex, s[after] == "+" || s[after] == "-", s[s.index(after: after)...].hasPrefix("{{") {
                                idx = s.index(after: after)
                                continue
                            }
                            while after < s.endIndex && s[after] != " " && s[after] != "\t" { after = s.index(after: after) }
                            endIdx = after
                            break
                        }
                    }
                    idx = s.index(after: idx)
                }
                out.append(.histogram(String(s[..<endIdx])))
                s = s[endIdx...]
                continue
            }
            let word = s.prefix { $0 != " " && $0 != "\t" }
            s = s.dropFirst(word.count)
            if word == "_" { out.append(.missing); continue }
            if word == "stale" { out.append(.stale); continue }
            if word.hasPrefix("_x"), let n = Int(word.dropFirst(2)) {
                out.append(contentsOf: repeatElement(.missing, count: n))
                continue
            }
            // `0x59` is 0 repeated, not hex: in series descriptions `x` always means repetition.
            let isRepetition = word.lastIndex(of: "x").map { x in
                x != word.startIndex && !word[word.index(after: x)...].isEmpty && word[word.index(after: x)...].allSatisfy(\.isNumber)
            } ?? false
            if !isRepetition, let v = number(String(word)) { out.append(.value(v)); continue }
            // a+bxn, a-bxn, axn
            guard let x = word.lastIndex(of: "x"), let n = Int(word[word.index(after: x)...]) else {
                throw fail("invalid point \"\(word)\"")
            }
            let head = word[..<x]
            var splitAt: Substring.Index? = nil
            var k = head.index(after: head.startIndex)
            while k < head.endIndex {
                // A sign right after an exponent's "e" belongs to the number.
                let previous = head[head.index(before: k)]
                if (head[k] == "+" || head[k] == "-") && previous != "e" && previous != "E" {
                    splitAt = k
                }
                k = head.index(after: k)
            }
            let a: Double, b: Double
            if let at = splitAt {
                guard let av = number(String(head[..<at])), let bv = number(String(head[head.index(after: at)...])) else {
                    throw fail("invalid point \"\(word)\"")
                }
                a = av
                b = head[at] == "-" ? -bv : bv
            } else {
                guard let av = number(String(head)) else { throw fail("invalid point \"\(word)\"") }
                a = av
                b = 0
            }
            // Accumulated, not multiplied, as Prometheus expands it (the rounding differs).
            var v = a
            for _ in 0...n {
                out.append(.value(v))
                v += b
            }
        }
        return out
    }

    static func number(_ s: String) -> Double? {
        let lower = s.lowercased()
        switch lower {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default:
            if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16).map(Double.init) }
            guard let first = lower.first, first.isNumber || first == "-" || first == "+" || first == "." else { return nil }
            return Double(lower)
        }
    }

    /// A duration (`5m`, `1h30m`) or a bare number of seconds, in milliseconds.
    static func duration(_ s: String) throws -> Int64 {
        if let v = Double(s) { return Int64((v * 1000).rounded()) }
        let tokens = try Lexer.tokens(s)
        guard tokens.count == 2, tokens[0].kind == .duration else { throw ScriptError(file: "", line: 0, message: "bad duration \(s)") }
        guard case .number(let seconds) = try Parser.parse(s) else { throw ScriptError(file: "", line: 0, message: "bad duration \(s)") }
        return Int64((seconds * 1000).rounded())
    }
}
