/// What an exposition says of a metric family besides its samples (`# TYPE`, `# HELP`,
/// `# UNIT`), as `/api/v1/metadata` serves it. `type` uses Prometheus's words (`counter`,
/// `gauge`, ..., `unknown` for the text format's `untyped`).
public struct MetricMetadata: Sendable, Hashable {
    public var type: String
    public var help: String
    public var unit: String

    public init(type: String = "unknown", help: String = "", unit: String = "") {
        self.type = type
        self.help = help
        self.unit = unit
    }
}

/// Metadata by metric family name, each with every distinct entry seen (targets, or the
/// endpoints of a fan-out, may disagree), and the warnings of a fan-out that was partly answered.
public struct MetadataSet: Sendable, Equatable {
    public var metrics: [String: Set<MetricMetadata>] = [:]
    public var warnings: [String] = []

    public init(metrics: [String: Set<MetricMetadata>] = [:], warnings: [String] = []) {
        self.metrics = metrics
        self.warnings = warnings
    }

    /// Adds one family's entry; beyond `limitPerMetric` (when positive) distinct entries of a
    /// family, further ones are left out, as Prometheus does.
    public mutating func add(_ name: String, _ entry: MetricMetadata, limitPerMetric: Int = 0) {
        if limitPerMetric > 0, let known = metrics[name], known.count >= limitPerMetric, !known.contains(entry) { return }
        metrics[name, default: []].insert(entry)
    }
}
