import HearthModel
import Yams

/// A service-level objective file for `hearth slo generate`:
///
/// ```yaml
/// slos:
///   - service: checkout
///     name: availability          # default "availability"
///     objective: 99.9             # percent of good events
///     window: 30d                 # default 30d
///     labels: {team: payments}    # added to the generated alerts
///     sli:
///       # one of: good + total, errors + total, or error_ratio; `$window` is the range
///       good: sum(rate(http_requests_total{job="checkout",code!~"5.."}[$window]))
///       total: sum(rate(http_requests_total{job="checkout"}[$window]))
/// ```
public struct SLOFile: Sendable {
    public var slos: [SLOSpec] = []

    public init(yaml: String) throws(ConfigError) {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch { throw ConfigError("\(error)") }
        guard let root else { throw ConfigError("empty SLO file") }
        let top = try YAMLValue(node: root).fields("slo file", ["version", "slos"])
        for item in try top["slos"]?.list() ?? [] { slos.append(try SLOSpec(item)) }
        guard !slos.isEmpty else { throw ConfigError("no slos defined") }
        var seen: Set<String> = []
        for s in slos where !seen.insert(s.service + "/" + s.name).inserted {
            throw ConfigError("slo \"\(s.name)\" of service \"\(s.service)\" is defined twice")
        }
    }
}

/// One objective.
public struct SLOSpec: Sendable {
    /// How the SLI is written.
    public enum Indicator: Sendable {
        /// Good and total event rates over `$window`.
        case goodTotal(good: String, total: String)
        /// Bad and total event rates over `$window`.
        case errorsTotal(errors: String, total: String)
        /// The ratio of bad events over `$window`, directly.
        case errorRatio(String)
    }

    public var service = ""
    public var name = "availability"
    /// A fraction, e.g. 0.999.
    public var objective = 0.0
    /// Milliseconds.
    public var window: Int64 = 30 * 86_400_000
    public var description = ""
    public var labels = Labels()
    public var indicator: Indicator

    init(_ value: YAMLValue) throws(ConfigError) {
        let f = try value.fields("slo", ["service", "name", "objective", "window", "description", "labels", "sli"])
        guard let s = f["service"], !(try s.string()).isEmpty else { throw value.fail("slo: field service must be set") }
        service = try s.string()
        if let v = f["name"] { name = try v.string() }
        guard LabelValue.isPlain(service), LabelValue.isPlain(name) else {
            throw value.fail("slo: service and name may hold only letters, digits, '_', '-' and '.'")
        }
        guard let o = f["objective"], let percent = Double(try o.string()), percent > 0, percent < 100 else {
            throw value.fail("slo \"\(service)/\(name)\": objective must be a percentage between 0 and 100 (exclusive), e.g. 99.9")
        }
        objective = percent / 100
        if let v = f["window"] { window = try v.duration() }
        guard window >= 86_400_000 else { throw value.fail("slo \"\(service)/\(name)\": window must be at least 1d") }
        if let v = f["description"] { description = try v.string() }
        if let v = f["labels"] { labels = try v.labels() }
        guard let sliValue = f["sli"] else { throw value.fail("slo \"\(service)/\(name)\": field sli must be set") }
        let sli = try sliValue.fields("sli", ["good", "errors", "total", "error_ratio"])
        let good = try sli["good"]?.string(), errors = try sli["errors"]?.string()
        let total = try sli["total"]?.string(), ratio = try sli["error_ratio"]?.string()
        switch (good, errors, total, ratio) {
        case (let g?, nil, let t?, nil): indicator = .goodTotal(good: g, total: t)
        case (nil, let e?, let t?, nil): indicator = .errorsTotal(errors: e, total: t)
        case (nil, nil, nil, let r?): indicator = .errorRatio(r)
        default:
            throw sliValue.fail("slo \"\(service)/\(name)\": sli needs good and total, errors and total, or error_ratio")
        }
    }
}

enum LabelValue {
    static func isPlain(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
    }
}
