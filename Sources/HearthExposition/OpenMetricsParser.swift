import HearthModel

/// One entry of an OpenMetrics text body.
public enum ExpositionEntry: Sendable, Equatable {
    case type(metric: String, type: String)
    case help(metric: String, text: String)
    case unit(metric: String, unit: String)
    /// A sample: its labels (with `__name__`), value, and timestamp in milliseconds if given.
    case sample(labels: Labels, value: Double, timestamp: Int64?)
}

/// A scanner over OpenMetrics 1.0 text (`application/openmetrics-text`): metric families'
/// `# TYPE`, `# HELP`, `# UNIT`, sample lines with optional timestamps (seconds, as floats)
/// and exemplars (skipped), and the mandatory `# EOF`. Works on the body's bytes directly.
///
/// Used by `hearth tsdb import openmetrics`; the scrape path (issue 7) builds on it.
public struct OpenMetricsParser {
    let bytes: [UInt8]
    var i = 0
    var line = 1
    var sawEOF = false

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Every entry, in order; throws at the first malformed line or a missing `# EOF`.
    public static func parse(_ bytes: [UInt8]) throws(ExpositionError) -> [ExpositionEntry] {
        var p = OpenMetricsParser(bytes)
        var out: [ExpositionEntry] = []
        while let e = try p.next() { out.append(e) }
        return out
    }

    /// The next entry, or nil after `# EOF`.
    public mutating func next() throws(ExpositionError) -> ExpositionEntry? {
        while true {
            if sawEOF {
                guard i == bytes.count else { throw ExpositionError(line: line, "unexpected data after # EOF") }
                return nil
            }
            guard i < bytes.count else { throw ExpositionError(line: line, "missing # EOF at the end") }
            let start = i
            guard let nl = bytes[start...].firstIndex(of: 0x0A) else {
                // The last line may lack its newline only if it is "# EOF".
                if Array(bytes[start...]) == Array("# EOF".utf8) {
                    i = bytes.count
                    sawEOF = true
                    continue
                }
                throw ExpositionError(line: line, "line does not end with a newline")
            }
            let end = nl
            i = nl + 1
            defer { line += 1 }
            if end == start { throw ExpositionError(line: line, "empty line") }
            if bytes[start] == UInt8(ascii: "#") {
                if let e = try comment(start, end) { return e }
                continue
            }
            return try sample(start, end)
        }
    }

    mutating func comment(_ start: Int, _ end: Int) throws(ExpositionError) -> ExpositionEntry? {
        let text = bytes[start..<end]
        if text.elementsEqual("# EOF".utf8) {
            sawEOF = true
            return nil
        }
        let words = text.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
        guard words.count >= 3, words[0].elementsEqual("#".utf8) else { throw ExpositionError(line: line, "invalid comment") }
        let keyword = String(decoding: words[1], as: UTF8.self)
        let metric = String(decoding: words[2], as: UTF8.self)
        guard Self.isMetricName(words[2]) else { throw ExpositionError(line: line, "invalid metric name \"\(metric)\"") }
        let rest = words.count > 3 ? String(decoding: words[3], as: UTF8.self) : ""
        switch keyword {
        case "TYPE":
            let types = ["counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"]
            guard types.contains(rest) else { throw ExpositionError(line: line, "invalid metric type \"\(rest)\"") }
            return .type(metric: metric, type: rest)
        case "HELP": return .help(metric: metric, text: rest)
        case "UNIT": return .unit(metric: metric, unit: rest)
        default: throw ExpositionError(line: line, "invalid comment keyword \"\(keyword)\"")
        }
    }

    mutating func sample(_ start: Int, _ end: Int) throws(ExpositionError) -> ExpositionEntry {
        var k = start
        while k < end, bytes[k] != UInt8(ascii: "{"), bytes[k] != 0x20 { k += 1 }
        guard Self.isMetricName(bytes[start..<k]) else {
            throw ExpositionError(line: line, "invalid metric name \"\(String(decoding: bytes[start..<k], as: UTF8.self))\"")
        }
        var labels = [Label(Labels.metricName, String(decoding: bytes[start..<k], as: UTF8.self))]
        if k < end, bytes[k] == UInt8(ascii: "{") {
            k += 1
            labels += try labelPairs(&k, end)
        }
        guard k < end, bytes[k] == 0x20 else { throw ExpositionError(line: line, "expected a space before the value") }
        k += 1
        let fields = bytes[k..<end].split(separator: 0x20, omittingEmptySubsequences: false)
        guard let first = fields.first, let value = Self.parseFloat(first) else {
            throw ExpositionError(line: line, "invalid value \"\(String(decoding: fields.first ?? [], as: UTF8.self))\"")
        }
        var timestamp: Int64?
        var rest = fields.dropFirst()
        if let t = rest.first, !t.elementsEqual("#".utf8) {
            guard let seconds = Self.parseFloat(t), seconds.isFinite, abs(seconds) < 9.2e15 else {
                throw ExpositionError(line: line, "invalid timestamp \"\(String(decoding: t, as: UTF8.self))\"")
            }
            timestamp = Int64(seconds * 1000)
            rest = rest.dropFirst()
        }
        if let hash = rest.first {
            // An exemplar: " # {labels} value [timestamp]"; accepted and not stored.
            guard hash.elementsEqual("#".utf8), rest.count >= 3 else { throw ExpositionError(line: line, "unexpected text after the sample") }
        }
        let set: Labels
        do { set = try Labels(validating: labels) } catch {
            throw ExpositionError(line: line, "\(error)")
        }
        return .sample(labels: set, value: value, timestamp: timestamp)
    }

    /// `name="value",...}` up to and including the closing brace.
    mutating func labelPairs(_ k: inout Int, _ end: Int) throws(ExpositionError) -> [Label] {
        var out: [Label] = []
        while k < end, bytes[k] != UInt8(ascii: "}") {
            let nameStart = k
            while k < end, bytes[k] != UInt8(ascii: "=") { k += 1 }
            let name = bytes[nameStart..<k]
            guard Self.isLabelName(name) else {
                throw ExpositionError(line: line, "invalid label name \"\(String(decoding: name, as: UTF8.self))\"")
            }
            k += 1
            guard k < end, bytes[k] == UInt8(ascii: "\"") else { throw ExpositionError(line: line, "expected a quoted label value") }
            k += 1
            var value: [UInt8] = []
            while true {
                guard k < end else { throw ExpositionError(line: line, "unterminated label value") }
                let c = bytes[k]
                k += 1
                if c == UInt8(ascii: "\"") { break }
                if c == UInt8(ascii: "\\") {
                    guard k < end else { throw ExpositionError(line: line, "unterminated escape") }
                    switch bytes[k] {
                    case UInt8(ascii: "n"): value.append(0x0A)
                    case UInt8(ascii: "\\"): value.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "\""): value.append(UInt8(ascii: "\""))
                    default: throw ExpositionError(line: line, "invalid escape \\\(Character(Unicode.Scalar(bytes[k])))")
                    }
                    k += 1
                    continue
                }
                value.append(c)
            }
            guard let text = String(validating: value, as: UTF8.self) else {
                throw ExpositionError(line: line, "label value is not valid UTF-8")
            }
            out.append(Label(String(decoding: name, as: UTF8.self), text))
            if k < end, bytes[k] == UInt8(ascii: ",") { k += 1 }
        }
        guard k < end else { throw ExpositionError(line: line, "expected '}'") }
        k += 1
        return out
    }

    static func isMetricName(_ s: some Collection<UInt8>) -> Bool {
        guard let f = s.first, isNameStart(f) || f == UInt8(ascii: ":") else { return false }
        return s.allSatisfy { isNameStart($0) || isDigit($0) || $0 == UInt8(ascii: ":") }
    }

    static func isLabelName(_ s: some Collection<UInt8>) -> Bool {
        guard let f = s.first, isNameStart(f) else { return false }
        return s.allSatisfy { isNameStart($0) || isDigit($0) }
    }

    @inline(__always) static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "_")
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// OpenMetrics numbers: decimal or exponent forms, `NaN`, `+Inf`, `-Inf` (case-insensitive).
    static func parseFloat(_ s: some Collection<UInt8>) -> Double? {
        let text = String(decoding: s, as: UTF8.self)
        switch text.lowercased() {
        case "nan": return .nan
        case "+inf", "inf": return .infinity
        case "-inf": return -.infinity
        default: break
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ isDigit($0) || "+-.eE".utf8.contains($0) }) else { return nil }
        return Double(text)
    }
}
