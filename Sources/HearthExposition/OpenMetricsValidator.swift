import HearthModel

/// The semantic rules of OpenMetrics 1.0 on top of the scanner's syntax: metric families
/// (declared before their samples, never repeated, no clashing sample names), the sample names
/// and labels each type allows, value ranges (counters and buckets non-negative, info 1,
/// stateset 0/1), histogram structure (increasing `le` ending in `+Inf`, cumulative counts,
/// `_count` equal to the `+Inf` bucket, `_sum` and `_count` together), contiguous groups and
/// non-decreasing timestamps for a repeated series, and where exemplars may appear.
///
/// A strict check: `hearth check metrics` and the conformance tests use it. Scrapes parse as
/// Prometheus does, with syntax checks only, so an exporter that Prometheus scrapes is scraped.
public struct OpenMetricsValidator {
    struct Family {
        var name: String
        var type: MetricType = .unknown
        var typed = false, helped = false, unitSet = false
        var sawSamples = false
        var finishedGroups: Set<Labels> = []
        var group: Labels?
        var groupState = GroupState()
    }

    struct GroupState {
        var buckets: [(le: Double, isInf: Bool, value: Double)] = []
        var sum: Double?
        var count: Double?
        var lastTimestamps: [Labels: Double?] = [:]
    }

    var family: Family?
    /// Every sample name a family has claimed, so a later family cannot reuse it.
    var claimed: [String: String] = [:]

    public init() {}

    /// Checks a whole body.
    public static func validate(_ bytes: [UInt8]) throws(ExpositionError) {
        var scanner = ExpositionScanner(bytes, format: .openMetrics)
        var validator = OpenMetricsValidator()
        while let event = try scanner.next() {
            try validator.check(scanner, event)
        }
        try validator.finish(line: scanner.line)
    }

    static func suffixes(_ type: MetricType) -> [String] {
        switch type {
        case .counter: ["_total", "_created"]
        case .summary: ["", "_sum", "_count", "_created"]
        case .histogram: ["_bucket", "_sum", "_count", "_created"]
        case .gaugehistogram: ["_bucket", "_gsum", "_gcount"]
        case .info: ["_info"]
        case .stateset, .gauge, .unknown: [""]
        }
    }

    /// Feeds the scanner's current line.
    public mutating func check(_ s: ExpositionScanner, _ event: ExpositionEvent) throws(ExpositionError) {
        let line = s.line
        func fail(_ reason: String) -> ExpositionError { ExpositionError(line: line, reason) }
        let name = s.metricName
        if event != .sample {
            if family?.name != name { try startFamily(name, line: line) }
            guard !family!.sawSamples else { throw fail("metadata for \(name) after its samples") }
            switch event {
            case .type:
                guard !family!.typed else { throw fail("repeated # TYPE for \(name)") }
                family!.typed = true
                family!.type = s.metricType
                for suffix in Self.suffixes(s.metricType) where !suffix.isEmpty {
                    if let owner = claimed[name + suffix], owner != name { throw fail("\(name + suffix) clashes with metric family \(owner)") }
                    claimed[name + suffix] = name
                }
                if family!.unitSet, s.metricType == .info || s.metricType == .stateset {
                    throw fail("\(s.metricType.rawValue) metrics cannot have a unit")
                }
            case .help:
                guard !family!.helped else { throw fail("repeated # HELP for \(name)") }
                family!.helped = true
            case .unit:
                guard !family!.unitSet else { throw fail("repeated # UNIT for \(name)") }
                family!.unitSet = true
                if family!.type == .info || family!.type == .stateset { throw fail("\(family!.type.rawValue) metrics cannot have a unit") }
            case .sample: break
            }
            return
        }

        // Which family the sample belongs to, and as which of its sample names.
        var suffix: String?
        if let f = family {
            suffix = Self.suffixes(f.type).first { name == f.name + $0 }
        }
        if suffix == nil {
            try startFamily(name, line: line)
            suffix = ""
        }
        family!.sawSamples = true
        let type = family!.type
        let labels = try s.labels()
        let value = s.value

        // The group: the labels without the name and the label that varies within a group.
        let varying: String? = switch (type, suffix!) {
        case (.histogram, "_bucket"), (.gaugehistogram, "_bucket"): "le"
        case (.summary, ""): "quantile"
        case (.stateset, _): family!.name
        default: nil
        }
        let group = Labels(sorted: labels.filter { $0.name != Labels.metricName && $0.name != varying })
        if family!.group != group {
            if family!.finishedGroups.contains(group) { throw fail("samples of \(group) are not together (interleaved with other label sets)") }
            try finishGroup(line: line)
            family!.group = group
        }

        // A repeated series needs timestamps on both samples, not going back.
        let ts = s.timestampValue
        if let previous = family!.groupState.lastTimestamps[labels] {
            guard let previous, let ts else { throw fail("duplicate sample for \(labels)") }
            guard ts >= previous else { throw fail("timestamps of \(labels) go back in time") }
        }
        family!.groupState.lastTimestamps[labels] = ts

        if s.exemplarLabelsRange != nil {
            let allowed = (type == .counter && suffix == "_total") || ((type == .histogram || type == .gaugehistogram) && suffix == "_bucket")
            guard allowed else { throw fail("exemplars are only allowed on counter totals and histogram buckets") }
            _ = try s.exemplarLabels()
        }

        func nonNegative(_ what: String) throws(ExpositionError) {
            guard !value.isNaN, value >= 0 else { throw fail("\(what) must be a non-negative number, got \(value)") }
        }
        switch (type, suffix!) {
        case (.counter, "_total"): try nonNegative("a counter")
        case (.histogram, "_bucket"), (.gaugehistogram, "_bucket"):
            guard let leText = labels["le"], let le = ExpositionScanner.parseNumber(Array(leText.utf8), 0..<leText.utf8.count, format: .openMetrics), !le.isNaN else {
                throw fail("a histogram bucket needs a numeric le label")
            }
            try nonNegative("a bucket count")
            var state = family!.groupState
            guard state.sum == nil, state.count == nil else { throw fail("bucket after the histogram's sum or count") }
            if let last = state.buckets.last {
                guard le > last.le else { throw fail("histogram buckets must have increasing le") }
                guard value >= last.value else { throw fail("histogram bucket counts must not decrease") }
            }
            state.buckets.append((le, leText == "+Inf", value))
            family!.groupState = state
        case (.histogram, "_sum"), (.gaugehistogram, "_gsum"):
            guard !value.isNaN else { throw fail("a histogram sum cannot be NaN") }
            family!.groupState.sum = value
        case (.histogram, "_count"), (.gaugehistogram, "_gcount"), (.summary, "_count"):
            try nonNegative("a count")
            family!.groupState.count = value
        case (.summary, "_sum"):
            try nonNegative("a summary sum")
            family!.groupState.sum = value
        case (.summary, ""):
            guard let qText = labels["quantile"], let q = ExpositionScanner.parseNumber(Array(qText.utf8), 0..<qText.utf8.count, format: .openMetrics),
                  q >= 0, q <= 1
            else { throw fail("a summary quantile needs a quantile label between 0 and 1") }
            guard !(value < 0) else { throw fail("a quantile value cannot be negative") }
        case (.info, _):
            guard value == 1 else { throw fail("an info metric's value must be 1") }
        case (.stateset, _):
            guard labels[family!.name] != nil else { throw fail("a stateset sample needs the label \(family!.name)") }
            guard value == 0 || value == 1 else { throw fail("a stateset value must be 0 or 1") }
        default: break
        }
    }

    /// Ends the body: checks the last family.
    public mutating func finish(line: Int) throws(ExpositionError) {
        try finishGroup(line: line)
    }

    mutating func startFamily(_ name: String, line: Int) throws(ExpositionError) {
        try finishGroup(line: line)
        if let owner = claimed[name] { throw ExpositionError(line: line, "metric family \(name) clashes with \(owner == name ? "an earlier family of that name" : "family \(owner)")") }
        claimed[name] = name
        family = Family(name: name)
    }

    mutating func finishGroup(line: Int) throws(ExpositionError) {
        guard var f = family, let group = f.group else { return }
        let state = f.groupState
        func fail(_ reason: String) -> ExpositionError { ExpositionError(line: line, "\(f.name)\(group): \(reason)") }
        if f.type == .histogram || f.type == .gaugehistogram {
            let (sumName, countName) = f.type == .histogram ? ("_sum", "_count") : ("_gsum", "_gcount")
            if !state.buckets.isEmpty {
                guard state.buckets.last!.isInf else { throw fail("histogram without a le=\"+Inf\" bucket") }
            }
            if state.sum != nil || state.count != nil {
                guard !state.buckets.isEmpty else { throw fail("\(sumName)/\(countName) without buckets") }
                guard state.sum != nil, state.count != nil else { throw fail("\(sumName) and \(countName) must appear together") }
                guard state.count == state.buckets.last!.value else { throw fail("\(countName) differs from the +Inf bucket") }
                let negativeBuckets = state.buckets.contains { $0.le < 0 }
                if f.type == .histogram {
                    guard !negativeBuckets else { throw fail("a histogram with negative buckets cannot have \(sumName)") }
                    guard state.sum! >= 0 else { throw fail("\(sumName) cannot be negative") }
                } else if !negativeBuckets {
                    guard state.sum! >= 0 else { throw fail("\(sumName) cannot be negative without negative buckets") }
                }
            }
        }
        f.finishedGroups.insert(group)
        f.group = nil
        f.groupState = GroupState()
        family = f
    }
}
