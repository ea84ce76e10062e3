import HearthFileIO
import HearthModel
import HearthRelabel
import Yams

/// Prometheus's configuration file, with its field names, defaults and validation.
public struct Config: Sendable {
    public var global = GlobalConfig()
    public var scrapeConfigs: [ScrapeConfig] = []
    public var remoteWrite: [RemoteWriteConfig] = []
    public var ruleFiles: [String] = []
    public var alerting = AlertingConfig()

    public init() {}

    /// Parses and validates a configuration. Relative file names (rule files, file_sd files,
    /// credential files) are resolved against `directory`, as Prometheus resolves them against
    /// the configuration file's directory.
    public init(yaml: String, directory: String = ".") throws(ConfigError) {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw ConfigError("\(error)")
        }
        guard let root else { return }  // an empty file is the default configuration
        let top = try YAMLValue(node: root).fields("config", [
            "global", "scrape_configs", "scrape_config_files", "remote_write", "remote_read", "rule_files", "alerting",
            "storage", "tracing", "otlp", "runtime",
        ])
        if let g = top["global"] { global = try GlobalConfig(g) }
        for item in try top["scrape_configs"]?.list() ?? [] {
            scrapeConfigs.append(try ScrapeConfig(item, global: global, directory: directory))
        }
        var jobs: Set<String> = []
        for (i, job) in scrapeConfigs.enumerated() {
            guard jobs.insert(job.jobName).inserted else {
                throw ConfigError(line: try top["scrape_configs"]?.list()[i].line, "found multiple scrape configs with job name \"\(job.jobName)\"")
            }
        }
        for item in try top["remote_write"]?.list() ?? [] {
            remoteWrite.append(try RemoteWriteConfig(item, directory: directory))
        }
        var names: Set<String> = []
        for rw in remoteWrite where !rw.name.isEmpty {
            guard names.insert(rw.name).inserted else { throw ConfigError("found multiple remote write configs with job name \"\(rw.name)\"") }
        }
        ruleFiles = try (top["rule_files"]?.strings() ?? []).map { FilePath.resolve($0, in: directory) }
        if let a = top["alerting"] { alerting = try AlertingConfig(a, directory: directory) }
    }
}

/// `global:`: defaults for every scrape and rule group, and the labels sent off-host.
public struct GlobalConfig: Sendable {
    public var scrapeInterval: Int64 = 60_000
    public var scrapeTimeout: Int64 = 10_000
    public var evaluationInterval: Int64 = 60_000
    public var externalLabels = Labels()
    public var sampleLimit = 0
    public var labelLimit = 0
    public var labelNameLengthLimit = 0
    public var labelValueLengthLimit = 0
    public var targetLimit = 0
    public var bodySizeLimit: Int64 = 0
    public var queryLogFile = ""
    /// `rule_query_offset` (ms): how far back rule groups evaluate by default.
    public var ruleQueryOffset: Int64 = 0

    public init() {}

    init(_ value: YAMLValue) throws(ConfigError) {
        let f = try value.fields("global", [
            "scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels", "query_log_file",
            "sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit",
            "body_size_limit", "scrape_protocols", "rule_query_offset", "keep_dropped_targets", "scrape_failure_log_file",
            "metric_name_validation_scheme", "scrape_classic_histograms", "always_scrape_classic_histograms",
            "convert_classic_histograms_to_nhcb",
        ])
        if let v = f["scrape_interval"] { scrapeInterval = try v.duration() }
        if let v = f["scrape_timeout"] { scrapeTimeout = try v.duration() } else if scrapeInterval < scrapeTimeout { scrapeTimeout = scrapeInterval }
        guard scrapeTimeout <= scrapeInterval else { throw value.fail("global scrape timeout greater than scrape interval") }
        if let v = f["evaluation_interval"] { evaluationInterval = try v.duration() }
        if let v = f["external_labels"] {
            externalLabels = try v.labels()
            if externalLabels.contains(where: { $0.name == Labels.metricName }) { throw v.fail("\(Labels.metricName) is not a valid external label") }
        }
        if let v = f["sample_limit"] { sampleLimit = try v.int() }
        if let v = f["label_limit"] { labelLimit = try v.int() }
        if let v = f["label_name_length_limit"] { labelNameLengthLimit = try v.int() }
        if let v = f["label_value_length_limit"] { labelValueLengthLimit = try v.int() }
        if let v = f["target_limit"] { targetLimit = try v.int() }
        if let v = f["body_size_limit"] { bodySizeLimit = try v.byteSize() }
        if let v = f["query_log_file"] { queryLogFile = try v.string() }
        if let v = f["rule_query_offset"] { ruleQueryOffset = try v.duration() }
    }
}

extension Config {
    /// Reads and parses a configuration file; relative names in it resolve against its directory.
    public static func load(file path: String) throws(ConfigError) -> (config: Config, text: String) {
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path) } catch { throw ConfigError("open \(path): \(error)") }
        guard let bytes else { throw ConfigError("open \(path): no such file or directory") }
        let text = String(decoding: bytes, as: UTF8.self)
        return (try Config(yaml: text, directory: FileSystem.directory(of: path)), text)
    }
}

/// Sizes with Prometheus's units (`units.Base2Bytes`: KB = 1024 B, KiB too), as flags and
/// configuration fields write them.
public enum ByteSize {
    public static func parse(_ s: String) -> Int64? {
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        guard let n = Int64(digits) else { return nil }
        let unit = s.dropFirst(digits.count)
        let powers: [String: Int64] = ["": 0, "B": 0, "KB": 1, "KiB": 1, "MB": 2, "MiB": 2, "GB": 3, "GiB": 3,
                                       "TB": 4, "TiB": 4, "PB": 5, "PiB": 5, "EB": 6, "EiB": 6]
        guard let p = powers[String(unit)] else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: Int64(1) << (10 * p))
        return overflow ? nil : v
    }
}

enum FilePath {
    static func resolve(_ path: String, in directory: String) -> String {
        if path.isEmpty || path.hasPrefix("/") || directory == "." || directory.isEmpty { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
