#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HearthModel

/// The two text formats a scrape can return, chosen by the response's `Content-Type`.
public enum ExpositionFormat: Sendable, Equatable {
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    case prometheusText
    /// OpenMetrics 1.0 text (`application/openmetrics-text`).
    case openMetrics

    /// The format a `Content-Type` header names; Prometheus's text format when it names neither.
    public init(contentType: String?) {
        if let contentType, contentType.lowercased().hasPrefix("application/openmetrics-text") {
            self = .openMetrics
        } else {
            self = .prometheusText
        }
    }
}

/// The metric types of both formats (`untyped` is text format's word for `unknown`).
public enum MetricType: String, Sendable, Equatable {
    case counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown

    init?(text: some Collection<UInt8>, format: ExpositionFormat) {
        let s = String(decoding: text, as: UTF8.self)
        if format == .prometheusText {
            switch s {
            case "counter": self = .counter
            case "gauge": self = .gauge
            case "histogram": self = .histogram
            case "summary": self = .summary
            case "untyped": self = .unknown
            default: return nil
            }
        } else {
            guard let t = MetricType(rawValue: s) else { return nil }
            self = t
        }
    }
}

/// What a call to `ExpositionScanner.next()` found.
public enum ExpositionEvent: Sendable, Equatable {
    case sample, type, help, unit
}

/// A zero-copy scanner over an exposition body: each `next()` checks one line's syntax and
/// records where its parts are (byte ranges into the body) without building strings or label
/// sets. A scrape looks series up by `seriesBytes` (name and label block, as written) and decodes
/// labels only for series it has not seen in the previous scrape.
///
/// Syntax follows Prometheus's text format 0.0.4 or OpenMetrics 1.0 text (exactly single spaces,
/// `# EOF` last, float timestamps in seconds, exemplars). The semantic rules of OpenMetrics
/// (metric families, histogram structure, ordering) are `OpenMetricsValidator`'s.
public struct ExpositionScanner {
    public let bytes: [UInt8]
    public let format: ExpositionFormat
    var i = 0
    public private(set) var line = 0
    var sawEOF = false

    // Parts of the last line (byte ranges into `bytes`).
    /// Metric name of a sample, or the metric of a `# TYPE`/`# HELP`/`# UNIT` line.
    public private(set) var nameRange: Range<Int> = 0..<0
    /// A sample's name and label block as written (`name{...}`): the scrape cache key.
    public private(set) var seriesRange: Range<Int> = 0..<0
    /// Between the braces of a sample's label block (empty without one).
    public private(set) var labelsRange: Range<Int> = 0..<0
    /// A sample's value.
    public private(set) var value: Double = 0
    /// A sample's timestamp as written, if any.
    public private(set) var timestampRange: Range<Int>?
    /// The timestamp as a number (OpenMetrics: seconds; text format: milliseconds) and in
    /// milliseconds, converted once while scanning; `timestampFits` is false when the
    /// milliseconds do not fit an Int64.
    var timestampNumber: Double = 0
    var timestampMillis: Int64 = 0
    var timestampFits = true
    /// The exemplar's label block (between braces), value and timestamp, if the sample has one.
    public private(set) var exemplarLabelsRange: Range<Int>?
    public private(set) var exemplarValue: Double = 0
    public private(set) var exemplarTimestampRange: Range<Int>?
    /// `# HELP` text or `# UNIT` unit as written (escapes undone by `helpText`).
    public private(set) var textRange: Range<Int> = 0..<0
    /// `# TYPE`'s type.
    public private(set) var metricType: MetricType = .unknown

    public init(_ bytes: [UInt8], format: ExpositionFormat) {
        self.bytes = bytes
        self.format = format
    }

    func fail(_ reason: String) -> ExpositionError { ExpositionError(line: line, reason) }

    /// The next sample or metadata line, or nil at the end of the body (after `# EOF` for
    /// OpenMetrics). Throws at the first malformed line.
    public mutating func next() throws(ExpositionError) -> ExpositionEvent? {
        while true {
            if sawEOF {
                guard i == bytes.count else { line += 1; throw fail("unexpected data after # EOF") }
                return nil
            }
            if i == bytes.count {
                if format == .openMetrics { line += 1; throw fail("missing # EOF at the end") }
                return nil
            }
            line += 1
            let start = i
            var end = start
            let hasNewline: Bool
            if let nl = Self.indexOfNewline(bytes, from: start) {
                end = nl
                i = nl + 1
                hasNewline = true
            } else {
                end = bytes.count
                i = end
                hasNewline = false
            }
            if format == .openMetrics {
                if end - start == 5, bytes[start..<end].elementsEqual("# EOF".utf8) {
                    sawEOF = true
                    continue
                }
                guard hasNewline else { throw fail("line does not end with a newline") }
                guard end > start else { throw fail("empty line") }
                if bytes[start] == UInt8(ascii: "#") {
                    return try openMetricsComment(start, end)
                }
                try sample(start, end)
                return .sample
            }
            // Text format: blank lines and leading blanks are allowed, other comments ignored.
            var k = start
            while k < end, Self.isBlank(bytes[k]) { k += 1 }
            if k == end { continue }
            if bytes[k] == UInt8(ascii: "#") {
                if let event = try textComment(k, end) { return event }
                continue
            }
            try sample(k, end)
            return .sample
        }
    }

    @inline(__always) static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    static func indexOfNewline(_ bytes: [UInt8], from: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buf -> Int? in
            var k = from
            let n = buf.count
            while k < n {
                if buf[k] == 0x0A { return k }
                k += 1
            }
            return nil
        }
    }

    // MARK: Comments

    mutating func openMetricsComment(_ start: Int, _ end: Int) throws(ExpositionError) -> ExpositionEvent {
        // "# KEYWORD name[ rest]"; every separator is exactly one space.
        guard end - start >= 2, bytes[start + 1] == 0x20 else { throw fail("invalid comment (only # HELP, # TYPE, # UNIT and # EOF are allowed)") }
        var k = start + 2
        let keywordStart = k
        while k < end, bytes[k] != 0x20 { k += 1 }
        let keyword = bytes[keywordStart..<k]
        let event: ExpositionEvent
        if keyword.elementsEqual("TYPE".utf8) { event = .type } else if keyword.elementsEqual("HELP".utf8) { event = .help } else if keyword.elementsEqual("UNIT".utf8) { event = .unit } else {
            throw fail("invalid comment keyword \"\(String(decoding: keyword, as: UTF8.self))\"")
        }
        guard k < end else { throw fail("# \(String(decoding: keyword, as: UTF8.self)) without a metric name") }
        k += 1
        let nameStart = k
        while k < end, bytes[k] != 0x20 { k += 1 }
        nameRange = nameStart..<k
        guard Self.isMetricName(bytes[nameRange]) else { throw fail("invalid metric name \"\(text(nameRange))\"") }
        guard k < end else { throw fail("# \(String(decoding: keyword, as: UTF8.self)) \(text(nameRange)) without a value") }
        textRange = (k + 1)..<end
        switch event {
        case .type:
            guard let t = MetricType(text: bytes[textRange], format: .openMetrics) else {
                throw fail("invalid metric type \"\(text(textRange))\"")
            }
            metricType = t
        case .unit:
            let unit = bytes[textRange]
            guard unit.allSatisfy({ Self.isNameChar($0) }) else { throw fail("invalid unit \"\(text(textRange))\"") }
            if !unit.isEmpty {
                let name = bytes[nameRange]
                guard name.count > unit.count + 1, name.suffix(unit.count).elementsEqual(unit),
                      name[name.endIndex - unit.count - 1] == UInt8(ascii: "_")
                else { throw fail("unit \"\(text(textRange))\" is not a suffix of metric \"\(text(nameRange))\"") }
            }
        case .help, .sample: break
        }
        return event
    }

    mutating func textComment(_ start: Int, _ end: Int) throws(ExpositionError) -> ExpositionEvent? {
        var k = start + 1
        while k < end, Self.isBlank(bytes[k]) { k += 1 }
        let keywordStart = k
        while k < end, !Self.isBlank(bytes[k]) { k += 1 }
        let keyword = bytes[keywordStart..<k]
        let event: ExpositionEvent
        if keyword.elementsEqual("TYPE".utf8) { event = .type } else if keyword.elementsEqual("HELP".utf8) { event = .help } else {
            return nil  // any other comment
        }
        while k < end, Self.isBlank(bytes[k]) { k += 1 }
        let nameStart = k
        while k < end, !Self.isBlank(bytes[k]) { k += 1 }
        nameRange = nameStart..<k
        guard Self.isMetricName(bytes[nameRange]) else { throw fail("invalid metric name \"\(text(nameRange))\" in # \(String(decoding: keyword, as: UTF8.self))") }
        if k < end { k += 1 }
        if event == .type {
            while k < end, Self.isBlank(bytes[k]) { k += 1 }
            var e = end
            while e > k, Self.isBlank(bytes[e - 1]) { e -= 1 }
            textRange = k..<e
            guard let t = MetricType(text: bytes[textRange], format: .prometheusText) else {
                throw fail("invalid metric type \"\(text(textRange))\"")
            }
            metricType = t
        } else {
            textRange = k..<end
        }
        return event
    }

    // MARK: Samples

    mutating func sample(_ start: Int, _ end: Int) throws(ExpositionError) {
        var k = start
        while k < end, Self.isNameChar(bytes[k]) { k += 1 }
        nameRange = start..<k
        let stopsCleanly = k == end || Self.isBlank(bytes[k]) || bytes[k] == UInt8(ascii: "{")
        guard stopsCleanly, Self.isMetricName(bytes[nameRange]) else {
            var e = k
            while e < end, bytes[e] != 0x20, bytes[e] != UInt8(ascii: "{") { e += 1 }
            throw fail("invalid metric name \"\(text(start..<e))\"")
        }
        if format == .prometheusText {
            // Blanks may separate the name from its label block.
            var j = k
            while j < end, Self.isBlank(bytes[j]) { j += 1 }
            if j < end, bytes[j] == UInt8(ascii: "{") { k = j }
        }
        if k < end, bytes[k] == UInt8(ascii: "{") {
            let open = k
            try scanLabelBlock(&k, end)
            labelsRange = (open + 1)..<(k - 1)
            seriesRange = start..<k
        } else {
            labelsRange = k..<k
            seriesRange = nameRange
        }
        guard k < end, Self.isBlank(bytes[k]) else {
            throw fail(k < end ? "expected a space before the value, got \"\(text(k..<min(end, k + 1)))\"" : "missing value")
        }
        // Value.
        k = try separator(k, end)
        let valueStart = k
        while k < end, !Self.isBlank(bytes[k]) { k += 1 }
        guard let v = Self.parseNumber(bytes, valueStart..<k, format: format) else {
            throw fail(valueStart == k ? "missing value" : "invalid value \"\(text(valueStart..<k))\"")
        }
        value = v
        timestampRange = nil
        exemplarLabelsRange = nil
        exemplarTimestampRange = nil
        guard k < end else { return }
        k = try separator(k, end)
        if format == .prometheusText, k == end { return }  // trailing blanks
        if bytes[k] != UInt8(ascii: "#") {
            let tsStart = k
            while k < end, !Self.isBlank(bytes[k]) { k += 1 }
            try scanTimestamp(tsStart..<k)
            timestampRange = tsStart..<k
            guard k < end else { return }
            k = try separator(k, end)
            if format == .prometheusText {
                guard k == end else { throw fail("unexpected text after the timestamp: \"\(text(k..<end))\"") }
                return
            }
        }
        guard format == .openMetrics, k < end, bytes[k] == UInt8(ascii: "#") else {
            throw fail("unexpected text after the sample: \"\(text(k..<end))\"")
        }
        try exemplar(k, end)
    }

    /// Skips the separator after a token: one space in OpenMetrics, blanks in the text format.
    func separator(_ at: Int, _ end: Int) throws(ExpositionError) -> Int {
        var k = at
        if format == .openMetrics {
            guard k < end, bytes[k] == 0x20 else { throw fail("expected a space") }
            k += 1
            guard k < end else { throw fail("unexpected space at the end of the line") }
            guard bytes[k] != 0x20 else { throw fail("more than one space between fields") }
            return k
        }
        while k < end, Self.isBlank(bytes[k]) { k += 1 }
        return k
    }

    /// Checks a timestamp and converts it once: integer milliseconds in the text format,
    /// decimal seconds (no NaN, no infinities, no hex) in OpenMetrics.
    mutating func scanTimestamp(_ r: Range<Int>) throws(ExpositionError) {
        if format == .prometheusText {
            var k = r.lowerBound
            let negative = k < r.upperBound && bytes[k] == UInt8(ascii: "-")
            if k < r.upperBound, bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: "+") { k += 1 }
            guard k < r.upperBound, bytes[k..<r.upperBound].allSatisfy(Self.isDigit), r.count <= 20 else {
                throw fail("invalid timestamp \"\(text(r))\"")
            }
            var value: Int64 = 0
            var number = 0.0
            var fits = true
            for c in bytes[k..<r.upperBound] {
                let digit = Int64(c &- 0x30)
                number = number * 10 + Double(digit)
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(negative ? -digit : digit)
                fits = fits && !o1 && !o2
                value = sum
            }
            timestampNumber = negative ? -number : number
            timestampMillis = value
            timestampFits = fits
            return
        }
        guard let t = Self.parseNumber(bytes, r, format: .openMetrics), t.isFinite, Self.isDecimal(bytes[r]) else {
            throw fail("invalid timestamp \"\(text(r))\"")
        }
        let ms = (t * 1000).rounded(.towardZero)
        timestampNumber = t
        timestampFits = ms > -9.2e18 && ms < 9.2e18
        timestampMillis = timestampFits ? Int64(ms) : 0
    }

    /// ` # {labels} value[ timestamp]` after an OpenMetrics sample.
    mutating func exemplar(_ at: Int, _ end: Int) throws(ExpositionError) {
        var k = at + 1
        guard k < end, bytes[k] == 0x20, k + 1 < end, bytes[k + 1] == UInt8(ascii: "{") else {
            throw fail("invalid exemplar: expected \" # {labels} value\"")
        }
        k += 1
        let open = k
        try scanLabelBlock(&k, end)
        let labels = (open + 1)..<(k - 1)
        exemplarLabelsRange = labels
        // Exemplar label sets are limited to 128 UTF-8 characters (names and values together).
        var characters = 0
        var j = labels.lowerBound
        var inValue = false
        while j < labels.upperBound {
            let c = bytes[j]
            if c == UInt8(ascii: "\"") { inValue.toggle() } else if inValue, c == UInt8(ascii: "\\") { j += 1; characters += 1 } else if inValue || (c != UInt8(ascii: "=") && c != UInt8(ascii: ",")) {
                if c & 0xC0 != 0x80 { characters += 1 }
            }
            j += 1
        }
        guard characters <= 128 else { throw fail("exemplar labels are longer than 128 characters") }
        guard k < end, bytes[k] == 0x20 else { throw fail("invalid exemplar: expected a space after the labels") }
        k = try separator(k, end)
        let valueStart = k
        while k < end, bytes[k] != 0x20 { k += 1 }
        guard let v = Self.parseNumber(bytes, valueStart..<k, format: .openMetrics) else {
            throw fail("invalid exemplar value \"\(text(valueStart..<k))\"")
        }
        exemplarValue = v
        guard k < end else { return }
        k = try separator(k, end)
        let tsStart = k
        while k < end, bytes[k] != 0x20 { k += 1 }
        guard k == end else { throw fail("unexpected text after the exemplar") }
        guard let t = Self.parseNumber(bytes, tsStart..<k, format: .openMetrics), t.isFinite, Self.isDecimal(bytes[tsStart..<k]) else {
            throw fail("invalid exemplar timestamp \"\(text(tsStart..<k))\"")
        }
        exemplarTimestampRange = tsStart..<k
    }

    /// Checks `{name="value",...}` from the opening brace at `k`; leaves `k` after the closing one.
    func scanLabelBlock(_ k: inout Int, _ end: Int) throws(ExpositionError) {
        k += 1
        let text = format == .prometheusText
        var first = true
        while true {
            if text { while k < end, Self.isBlank(bytes[k]) { k += 1 } }
            guard k < end else { throw fail("expected '}' at the end of the labels") }
            if bytes[k] == UInt8(ascii: "}") {
                // OpenMetrics allows no trailing comma; the text format does.
                guard first || text else { throw fail("unexpected ',' before '}'") }
                k += 1
                return
            }
            let nameStart = k
            while k < end, Self.isNameChar(bytes[k]) { k += 1 }
            guard Self.isLabelName(bytes[nameStart..<k]) else {
                var e = k
                while e < end, bytes[e] != UInt8(ascii: "="), bytes[e] != UInt8(ascii: "}") { e += 1 }
                throw fail("invalid label name \"\(self.text(nameStart..<e))\"")
            }
            if text { while k < end, Self.isBlank(bytes[k]) { k += 1 } }
            guard k < end, bytes[k] == UInt8(ascii: "=") else { throw fail("expected '=' after label name \"\(self.text(nameStart..<k))\"") }
            k += 1
            if text { while k < end, Self.isBlank(bytes[k]) { k += 1 } }
            guard k < end, bytes[k] == UInt8(ascii: "\"") else { throw fail("expected a quoted value for label \"\(self.text(nameStart..<k - 1))\"") }
            k += 1
            while true {
                guard k < end else { throw fail("unterminated label value") }
                let c = bytes[k]
                if c == UInt8(ascii: "\"") { break }
                k += c == UInt8(ascii: "\\") ? 2 : 1
            }
            k += 1
            first = false
            if text { while k < end, Self.isBlank(bytes[k]) { k += 1 } }
            guard k < end else { throw fail("expected '}' at the end of the labels") }
            if bytes[k] == UInt8(ascii: ",") {
                k += 1
                if !text {
                    guard k < end, bytes[k] != UInt8(ascii: "}") else { throw fail("unexpected ',' before '}'") }
                } else {
                    first = true  // a trailing comma is fine in the text format
                }
                continue
            }
            guard bytes[k] == UInt8(ascii: "}") else { throw fail("expected ',' or '}' after a label value") }
            k += 1
            return
        }
    }

    // MARK: Decoding the parts of the current line

    func text(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

    /// The sample's (or metadata line's) metric name.
    public var metricName: String { text(nameRange) }

    /// `# HELP` text with escapes undone (`\\`, `\n`, and in OpenMetrics `\"`).
    public var helpText: String { Self.helpText(bytes[textRange], format: format) }

    /// `# HELP` text written as `raw` in `format`, with its escapes undone.
    public static func helpText(_ raw: ArraySlice<UInt8>, format: ExpositionFormat) -> String {
        String(decoding: unescape(raw, quotes: format == .openMetrics), as: UTF8.self)
    }

    /// `# UNIT`'s unit.
    public var unit: String { text(textRange) }

    /// The sample's timestamp in milliseconds; throws when it does not fit (OpenMetrics writes
    /// seconds as floats of any size).
    public func timestampMilliseconds() throws(ExpositionError) -> Int64? {
        guard timestampRange != nil else { return nil }
        guard timestampFits else { throw fail("timestamp out of range") }
        return timestampMillis
    }

    /// The sample's timestamp as written, in seconds (OpenMetrics) or milliseconds (text format).
    public var timestampValue: Double? { timestampRange == nil ? nil : timestampNumber }

    /// The sample's labels, `__name__` first as given, checked for duplicates and UTF-8.
    public func labels() throws(ExpositionError) -> Labels {
        var list = [Label(Labels.metricName, metricName)]
        try appendLabels(labelsRange, to: &list)
        do { return try Labels(validating: list) } catch { throw fail("\(error)") }
    }

    /// The exemplar's labels, if the sample has an exemplar.
    public func exemplarLabels() throws(ExpositionError) -> Labels? {
        guard let r = exemplarLabelsRange else { return nil }
        var list: [Label] = []
        try appendLabels(r, to: &list)
        do { return try Labels(validating: list) } catch { throw fail("exemplar: \(error)") }
    }

    /// Decodes a label block already checked by `scanLabelBlock`.
    public func appendLabels(_ r: Range<Int>, to list: inout [Label]) throws(ExpositionError) {
        var k = r.lowerBound
        let end = r.upperBound
        while k < end {
            while k < end, Self.isBlank(bytes[k]) || bytes[k] == UInt8(ascii: ",") { k += 1 }
            guard k < end else { break }
            let nameStart = k
            while k < end, Self.isNameChar(bytes[k]) { k += 1 }
            let name = text(nameStart..<k)
            while k < end, bytes[k] != UInt8(ascii: "\"") { k += 1 }
            k += 1
            let valueStart = k
            while k < end, bytes[k] != UInt8(ascii: "\"") { k += bytes[k] == UInt8(ascii: "\\") ? 2 : 1 }
            let raw = bytes[valueStart..<k]
            k += 1
            let value = raw.contains(UInt8(ascii: "\\")) ? Self.unescape(raw, quotes: true) : Array(raw)
            guard let s = String(validating: value, as: UTF8.self) else { throw fail("label \(name): value is not valid UTF-8") }
            list.append(Label(name, s))
        }
    }

    /// Undoes `\\`, `\n` and (if `quotes`) `\"`; other backslashes stay as written, as in Prometheus.
    static func unescape(_ raw: ArraySlice<UInt8>, quotes: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var k = raw.startIndex
        while k < raw.endIndex {
            let c = raw[k]
            if c == UInt8(ascii: "\\"), k + 1 < raw.endIndex {
                let n = raw[k + 1]
                if n == UInt8(ascii: "n") { out.append(0x0A); k += 2; continue }
                if n == UInt8(ascii: "\\") { out.append(n); k += 2; continue }
                if quotes, n == UInt8(ascii: "\"") { out.append(n); k += 2; continue }
            }
            out.append(c)
            k += 1
        }
        return out
    }

    // MARK: Names and numbers

    static func isMetricName(_ s: some Collection<UInt8>) -> Bool {
        guard let f = s.first, isNameStart(f) || f == UInt8(ascii: ":") else { return false }
        return s.allSatisfy(isNameChar)
    }

    static func isLabelName(_ s: some Collection<UInt8>) -> Bool {
        guard let f = s.first, isNameStart(f) else { return false }
        return s.allSatisfy { isNameStart($0) || isDigit($0) }
    }

    @inline(__always) static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "_")
    }

    @inline(__always) static func isNameChar(_ c: UInt8) -> Bool { isNameStart(c) || isDigit(c) || c == UInt8(ascii: ":") }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// True for `[+-]digits[.digits][e[+-]digits]` (no inf/nan).
    static func isDecimal(_ s: ArraySlice<UInt8>) -> Bool {
        var k = s.startIndex
        if k < s.endIndex, s[k] == UInt8(ascii: "+") || s[k] == UInt8(ascii: "-") { k += 1 }
        return k < s.endIndex && (isDigit(s[k]) || s[k] == UInt8(ascii: "."))
    }

    /// A number as both formats write values: decimal with optional fraction and exponent, or
    /// `NaN`/`Inf`/`+Inf`/`-Inf` (any case; `Infinity` too). The text format also takes hex
    /// floats, as Go's `ParseFloat` does. Nil for anything else.
    public static func parseNumber(_ bytes: [UInt8], _ r: Range<Int>, format: ExpositionFormat) -> Double? {
        bytes.withUnsafeBufferPointer { buf in parseNumber(UnsafeBufferPointer(rebasing: buf[r]), format: format) }
    }

    static func parseNumber(_ s: UnsafeBufferPointer<UInt8>, format: ExpositionFormat) -> Double? {
        let n = s.count
        guard n > 0 else { return nil }
        var k = 0
        var negative = false
        if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") { negative = s[0] == UInt8(ascii: "-"); k = 1 }
        guard k < n else { return nil }
        // Fast path: digits[.digits] with at most 15 significant digits and no exponent is
        // exact as an integer divided by a power of ten (one correctly rounded operation).
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var j = k
        while j < n, isDigit(s[j]) {
            if digits > 0 || s[j] != 0x30 { digits += 1 }
            mantissa = mantissa &* 10 &+ UInt64(s[j] &- 0x30)
            j += 1
        }
        let integerDigits = j - k
        if j < n, s[j] == UInt8(ascii: ".") {
            j += 1
            while j < n, isDigit(s[j]) {
                if digits > 0 || s[j] != 0x30 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(s[j] &- 0x30)
                fraction += 1
                j += 1
            }
            guard integerDigits + fraction > 0 else { return nil }
        } else if integerDigits == 0 {
            return special(s, from: k, negative: negative, format: format)
        }
        if j == n, digits <= 15, fraction <= 22 {
            let v = fraction == 0 ? Double(mantissa) : Double(mantissa) / powersOfTen[fraction]
            return negative ? -v : v
        }
        if j < n {
            guard s[j] == UInt8(ascii: "e") || s[j] == UInt8(ascii: "E") else {
                return format == .prometheusText ? slowParse(s) : nil
            }
            j += 1
            if j < n, s[j] == UInt8(ascii: "+") || s[j] == UInt8(ascii: "-") { j += 1 }
            let expStart = j
            while j < n, isDigit(s[j]) { j += 1 }
            guard j > expStart, j == n else { return nil }
        }
        return slowParse(s)
    }

    static let powersOfTen: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { x, _ in x * 10 } }

    static func special(_ s: UnsafeBufferPointer<UInt8>, from k: Int, negative: Bool, format: ExpositionFormat) -> Double? {
        let word = UnsafeBufferPointer(rebasing: s[k...])
        func equalsIgnoringCase(_ expected: StaticString) -> Bool {
            guard word.count == expected.utf8CodeUnitCount else { return false }
            for i in 0..<word.count where word[i] | 0x20 != expected.utf8Start[i] { return false }
            return true
        }
        if equalsIgnoringCase("inf") || equalsIgnoringCase("infinity") { return negative ? -.infinity : .infinity }
        if equalsIgnoringCase("nan") { return .nan }
        return nil
    }

    /// Correctly rounded conversion (glibc's `strtod`) of a numeral the caller checked, from a
    /// NUL-terminated copy on the stack: no heap allocation for the exponent forms Go writes.
    static func slowParse(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !s.contains(UInt8(ascii: "_")) else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: s.count + 1) { buffer -> Double? in
            for i in 0..<s.count { buffer[i] = CChar(bitPattern: s[i]) }
            buffer[s.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            return end == buffer.baseAddress! + s.count ? value : nil
        }
    }
}
