import HearthEncoding
import HearthModel
import HearthRelabel

/// A target after discovery and relabeling: its labels (including `__address__`,
/// `__scheme__`, `__metrics_path__`, `__param_*`) and what they make of it.
public struct ScrapeTarget: Sendable, Equatable, Hashable {
    /// Labels after relabeling, `__meta_*` removed, `instance` defaulted.
    public let labels: Labels
    /// The labels discovery produced, before relabeling (shown by `/api/v1/targets`).
    public let discoveredLabels: Labels

    /// The labels stored with every sample: `labels` without the `__`-prefixed ones.
    public var publicLabels: Labels { Labels(sorted: labels.filter { !$0.name.hasPrefix("__") }) }

    public var address: String { labels["__address__"] ?? "" }
    public var scheme: String { labels["__scheme__"] ?? "http" }
    public var metricsPath: String { labels["__metrics_path__"] ?? "/metrics" }

    /// The URL Prometheus would scrape: scheme, address, path and the parameters, where
    /// `__param_<name>` labels replace the first value of `params[name]`.
    public func url(params: [(String, [String])]) -> String {
        var merged: [String: [String]] = [:]
        for (k, v) in params { merged[k] = v }
        for l in labels where l.name.hasPrefix("__param_") {
            let k = String(l.name.dropFirst("__param_".count))
            if var v = merged[k], !v.isEmpty { v[0] = l.value; merged[k] = v } else { merged[k] = [l.value] }
        }
        var query = ""
        for k in merged.keys.sorted() {
            for v in merged[k]! {
                query += (query.isEmpty ? "?" : "&") + GoText.queryEscape(k) + "=" + GoText.queryEscape(v)
            }
        }
        return "\(scheme)://\(address)\(metricsPath)\(query)"
    }

    public var scrapeInterval: Int64? { labels["__scrape_interval__"].flatMap(PrometheusDuration.parseMilliseconds) }
    public var scrapeTimeout: Int64? { labels["__scrape_timeout__"].flatMap(PrometheusDuration.parseMilliseconds) }

    /// What discovery plus relabeling made of one target of a group.
    public enum Outcome: Sendable, Equatable {
        case target(ScrapeTarget)
        /// Relabeling dropped it; the labels before relabeling.
        case dropped(Labels)
        /// The labels are unusable (no address, bad interval); why.
        case invalid(Labels, String)
    }

    /// Prometheus's `PopulateLabels`: the group's labels and the job's settings as labels,
    /// target relabeling, then checks and defaults.
    public static func populate(address: String, group: TargetGroup, config: ScrapeConfig) -> Outcome {
        var base = Array(group.labels)
        func setIfAbsent(_ name: String, _ value: String) {
            if !base.contains(where: { $0.name == name }) { base.append(Label(name, value)) }
        }
        base.removeAll { $0.name == "__address__" }
        base.append(Label("__address__", address))
        setIfAbsent("job", config.jobName)
        setIfAbsent("__scrape_interval__", PrometheusDuration.format(milliseconds: config.scrapeInterval))
        setIfAbsent("__scrape_timeout__", PrometheusDuration.format(milliseconds: config.scrapeTimeout))
        setIfAbsent("__metrics_path__", config.metricsPath)
        setIfAbsent("__scheme__", config.scheme)
        for (k, v) in config.params where !v.isEmpty {
            base.removeAll { $0.name == "__param_" + k }
            base.append(Label("__param_" + k, v[0]))
        }
        let discovered = (try? Labels(validating: base)) ?? Labels(sorted: base.sorted { $0.name.utf8Precedes($1.name) })
        guard let relabeled = Relabel.process(discovered, config.relabelConfigs) else { return .dropped(discovered) }
        guard let addr = relabeled["__address__"], !addr.isEmpty else { return .invalid(discovered, "no address") }
        guard !addr.contains("/") else { return .invalid(discovered, "invalid address \"\(addr)\"") }
        guard let interval = relabeled["__scrape_interval__"].flatMap(PrometheusDuration.parseMilliseconds), interval > 0 else {
            return .invalid(discovered, "error parsing scrape interval")
        }
        guard let timeout = relabeled["__scrape_timeout__"].flatMap(PrometheusDuration.parseMilliseconds), timeout > 0 else {
            return .invalid(discovered, "error parsing scrape timeout")
        }
        guard timeout <= interval else {
            return .invalid(discovered, "scrape timeout cannot be greater than scrape interval (\"\(relabeled["__scrape_timeout__"]!)\" > \"\(relabeled["__scrape_interval__"]!)\")")
        }
        var final = relabeled.filter { !$0.name.hasPrefix("__meta_") }
        if !final.contains(where: { $0.name == "instance" }) {
            final.append(Label("instance", addr))
            final.sort { $0.name.utf8Precedes($1.name) }
        }
        return .target(ScrapeTarget(labels: Labels(sorted: final), discoveredLabels: discovered))
    }
}
