import HearthModel
import HearthRelabel
import Yams

/// One `scrape_configs` entry: a job, how to scrape its targets, and where they come from.
public struct ScrapeConfig: Sendable {
    public var jobName: String
    public var scrapeInterval: Int64
    public var scrapeTimeout: Int64
    public var metricsPath = "/metrics"
    public var scheme = "http"
    /// Query parameters, values in order (`params: {module: [http_2xx]}`).
    public var params: [(String, [String])] = []
    public var honorLabels = false
    public var honorTimestamps = true
    public var enableCompression = true
    public var sampleLimit: Int
    public var labelLimit: Int
    public var labelNameLengthLimit: Int
    public var labelValueLengthLimit: Int
    public var targetLimit: Int
    public var bodySizeLimit: Int64
    public var http: HTTPClientConfig
    public var relabelConfigs: [RelabelConfig] = []
    public var metricRelabelConfigs: [RelabelConfig] = []
    public var staticConfigs: [TargetGroup] = []
    public var fileSDConfigs: [FileSDConfig] = []
    public var httpSDConfigs: [HTTPSDConfig] = []
    /// Accept header preference (`scrape_protocols`).
    public var scrapeProtocols = ["OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText0.0.4"]

    static let fieldNames: Set<String> = HTTPClientConfig.fieldNames.union([
        "job_name", "scrape_interval", "scrape_timeout", "metrics_path", "scheme", "params", "honor_labels",
        "honor_timestamps", "track_timestamps_staleness", "enable_compression", "sample_limit", "label_limit",
        "label_name_length_limit", "label_value_length_limit", "target_limit", "body_size_limit", "relabel_configs",
        "metric_relabel_configs", "static_configs", "file_sd_configs", "http_sd_configs", "scrape_protocols",
        "keep_dropped_targets", "native_histogram_bucket_limit", "native_histogram_min_bucket_factor",
        "scrape_classic_histograms", "always_scrape_classic_histograms", "convert_classic_histograms_to_nhcb",
        "scrape_failure_log_file", "metric_name_validation_scheme", "metric_name_escaping_scheme",
        "scrape_fallback_protocol",
    ])

    init(_ value: YAMLValue, global: GlobalConfig, directory: String) throws(ConfigError) {
        let f = try value.fields("scrape_config", Self.fieldNames)
        guard let name = try f["job_name"]?.string(), !name.isEmpty else { throw value.fail("job_name is empty") }
        jobName = name
        scrapeInterval = try f["scrape_interval"]?.duration() ?? global.scrapeInterval
        if let v = f["scrape_timeout"] {
            scrapeTimeout = try v.duration()
        } else {
            scrapeTimeout = min(global.scrapeTimeout, scrapeInterval)
        }
        guard scrapeTimeout <= scrapeInterval else {
            throw value.fail("scrape timeout greater than scrape interval for scrape config with job name \"\(name)\"")
        }
        guard scrapeInterval > 0 else { throw value.fail("scrape interval must be positive for scrape config with job name \"\(name)\"") }
        if let v = f["metrics_path"] { metricsPath = try v.string() }
        if let v = f["scheme"] {
            scheme = try v.string()
            guard scheme == "http" || scheme == "https" else { throw v.fail("unknown scrape config scheme: \(scheme)") }
        }
        if let v = f["params"], case .mapping(let m) = v.node {
            for (k, vals) in m {
                params.append((try YAMLValue(node: k).string(), try YAMLValue(node: vals).strings()))
            }
        }
        honorLabels = try f["honor_labels"]?.bool() ?? false
        honorTimestamps = try f["honor_timestamps"]?.bool() ?? true
        enableCompression = try f["enable_compression"]?.bool() ?? true
        sampleLimit = try f["sample_limit"]?.int() ?? global.sampleLimit
        labelLimit = try f["label_limit"]?.int() ?? global.labelLimit
        labelNameLengthLimit = try f["label_name_length_limit"]?.int() ?? global.labelNameLengthLimit
        labelValueLengthLimit = try f["label_value_length_limit"]?.int() ?? global.labelValueLengthLimit
        targetLimit = try f["target_limit"]?.int() ?? global.targetLimit
        bodySizeLimit = try f["body_size_limit"]?.byteSize() ?? global.bodySizeLimit
        http = try HTTPClientConfig(f, directory: directory)
        relabelConfigs = try RelabelConfig.list(f["relabel_configs"])
        metricRelabelConfigs = try RelabelConfig.list(f["metric_relabel_configs"])
        for item in try f["static_configs"]?.list() ?? [] {
            staticConfigs.append(try TargetGroup(item, source: "static"))
        }
        for item in try f["file_sd_configs"]?.list() ?? [] {
            fileSDConfigs.append(try FileSDConfig(item, directory: directory))
        }
        for item in try f["http_sd_configs"]?.list() ?? [] {
            httpSDConfigs.append(try HTTPSDConfig(item))
        }
        if let v = f["scrape_protocols"] {
            scrapeProtocols = try v.strings()
            let known: Set<String> = ["OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText0.0.4", "PrometheusText1.0.0", "PrometheusProto"]
            for p in scrapeProtocols where !known.contains(p) { throw v.fail("unknown scrape protocol \(p)") }
        }
    }
}

extension RelabelConfig {
    static let fieldNames: Set<String> = ["source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"]

    /// Parses a `relabel_configs`-style list.
    static func list(_ value: YAMLValue?) throws(ConfigError) -> [RelabelConfig] {
        var out: [RelabelConfig] = []
        for item in try value?.list() ?? [] {
            let f = try item.fields("relabel_config", fieldNames)
            let actionText = try f["action"]?.string() ?? "replace"
            guard let action = RelabelAction(rawValue: actionText.lowercased()) else {
                throw item.fail("unknown relabel action \"\(actionText)\"")
            }
            let sourceLabels = try f["source_labels"]?.strings() ?? []
            let separator = try f["separator"]?.string() ?? ";"
            let regex = try f["regex"]?.string() ?? RelabelConfig.defaultRegex
            let modulus = try f["modulus"]?.uint64() ?? 0
            let targetLabel = try f["target_label"]?.string() ?? ""
            let replacement = try f["replacement"]?.string() ?? "$1"
            do throws(RelabelError) {
                out.append(try RelabelConfig(
                    sourceLabels: sourceLabels, separator: separator, regex: regex, modulus: modulus,
                    targetLabel: targetLabel, replacement: replacement, action: action))
            } catch {
                throw item.fail(error.message)
            }
        }
        return out
    }
}

/// Targets sharing labels: a `static_configs` entry, one group of a file_sd file or of an
/// http_sd response.
public struct TargetGroup: Sendable, Equatable {
    public var targets: [String]
    public var labels: Labels
    /// Where the group came from (file name, URL, "static"), for `__meta_filepath` and errors.
    public var source: String

    public init(targets: [String], labels: Labels, source: String) {
        self.targets = targets
        self.labels = labels
        self.source = source
    }

    init(_ value: YAMLValue, source: String) throws(ConfigError) {
        let f = try value.fields("static_config", ["targets", "labels"])
        targets = try f["targets"]?.strings() ?? []
        labels = try f["labels"]?.labels() ?? Labels()
        self.source = source
        for t in targets where t.contains("/") {
            throw value.fail("\"\(t)\" is not a valid hostname")
        }
    }

    /// Parses a file_sd file (a YAML or JSON list of groups; JSON is YAML).
    public static func parseFile(_ text: String, source: String) throws(ConfigError) -> [TargetGroup] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw ConfigError("\(source): \(error)") }
        guard let root else { return [] }
        var out: [TargetGroup] = []
        for item in try YAMLValue(node: root).list() {
            out.append(try TargetGroup(item, source: source))
        }
        return out
    }
}

/// `file_sd_configs`: target groups read from files (globs in the last path element), re-read
/// when they change and every `refresh_interval`.
public struct FileSDConfig: Sendable {
    public var files: [String]
    public var refreshInterval: Int64 = 300_000

    /// Files named on a command line (`hearth query --endpoint.sd-files`).
    public init(files: [String], refreshInterval: Int64 = 300_000) {
        self.files = files
        self.refreshInterval = refreshInterval
    }

    init(_ value: YAMLValue, directory: String) throws(ConfigError) {
        let f = try value.fields("file_sd_config", ["files", "refresh_interval"])
        files = try (f["files"]?.strings() ?? []).map { FilePath.resolve($0, in: directory) }
        for file in files {
            let ok = file.hasSuffix(".json") || file.hasSuffix(".yml") || file.hasSuffix(".yaml")
            guard ok else { throw value.fail("path name \"\(file)\" is not valid for file discovery") }
        }
        if let v = f["refresh_interval"] { refreshInterval = try v.duration() }
    }
}

/// `http_sd_configs`: target groups fetched as JSON from a URL every `refresh_interval`.
public struct HTTPSDConfig: Sendable {
    public var url: String
    public var refreshInterval: Int64 = 60_000
    public var http: HTTPClientConfig

    init(_ value: YAMLValue) throws(ConfigError) {
        let f = try value.fields("http_sd_config", HTTPClientConfig.fieldNames.union(["url", "refresh_interval"]))
        url = try f["url"]?.string() ?? ""
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw value.fail("URL scheme must be 'http' or 'https'") }
        if let v = f["refresh_interval"] { refreshInterval = try v.duration() }
        http = try HTTPClientConfig(f, directory: ".")
    }
}
