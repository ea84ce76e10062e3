import HearthModel

/// One entry of an exposition body, decoded.
public enum ExpositionEntry: Sendable, Equatable {
    case type(metric: String, type: String)
    case help(metric: String, text: String)
    case unit(metric: String, unit: String)
    /// A sample: its labels (with `__name__`), value, and timestamp in milliseconds if given.
    case sample(labels: Labels, value: Double, timestamp: Int64?)
}

/// Decoded entries of an OpenMetrics text body, for tools that want whole label sets
/// (`hearth tsdb import openmetrics`); the scrape path uses `ExpositionScanner` directly.
public struct OpenMetricsParser {
    var scanner: ExpositionScanner

    public init(_ bytes: [UInt8]) {
        scanner = ExpositionScanner(bytes, format: .openMetrics)
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
        guard let event = try scanner.next() else { return nil }
        switch event {
        case .type: return .type(metric: scanner.metricName, type: scanner.metricType.rawValue)
        case .help: return .help(metric: scanner.metricName, text: scanner.helpText)
        case .unit: return .unit(metric: scanner.metricName, unit: scanner.unit)
        case .sample:
            return .sample(labels: try scanner.labels(), value: scanner.value, timestamp: try scanner.timestampMilliseconds())
        }
    }
}
