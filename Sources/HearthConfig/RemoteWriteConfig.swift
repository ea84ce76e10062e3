import HearthModel
import HearthRelabel

/// A `remote_write` entry: where to send samples, how, and the queue's sizing.
public struct RemoteWriteConfig: Sendable {
    public enum Message: String, Sendable {
        case v1 = "prometheus.WriteRequest"
        case v2 = "io.prometheus.write.v2.Request"
    }

    public struct QueueConfig: Sendable, Equatable {
        public var capacity = 10_000
        public var maxShards = 50
        public var minShards = 1
        public var maxSamplesPerSend = 2_000
        public var batchSendDeadline: Int64 = 5_000
        public var minBackoff: Int64 = 30
        public var maxBackoff: Int64 = 5_000
        public var retryOnHTTP429 = true
        public var sampleAgeLimit: Int64 = 0
        public init() {}
    }

    public var url: String
    public var name = ""
    public var remoteTimeout: Int64 = 30_000
    public var headers: [(String, String)] = []
    public var writeRelabelConfigs: [RelabelConfig] = []
    public var queue = QueueConfig()
    public var message = Message.v1
    public var sendExemplars = false
    public var http: HTTPClientConfig

    init(_ value: YAMLValue, directory: String) throws(ConfigError) {
        let f = try value.fields("remote_write", HTTPClientConfig.fieldNames.union([
            "url", "name", "remote_timeout", "headers", "write_relabel_configs", "queue_config", "metadata_config",
            "protobuf_message", "send_exemplars", "send_native_histograms", "round_robin_dns", "sigv4", "azuread", "google_iam",
        ]))
        url = try f["url"]?.string() ?? ""
        guard !url.isEmpty else { throw value.fail("url for remote_write is empty") }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw value.fail("invalid remote_write url \(url)") }
        name = try f["name"]?.string() ?? ""
        if let v = f["remote_timeout"] { remoteTimeout = try v.duration() }
        for (k, v, key) in try f["headers"]?.stringMap() ?? [] {
            let reserved = ["authorization", "host", "content-encoding", "content-length", "content-type", "user-agent",
                            "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "www-authenticate",
                            "retry-after", "x-prometheus-remote-write-version"]
            guard !reserved.contains(k.lowercased()) else { throw key.fail("\(k) is a reserved header. It must not be changed") }
            headers.append((k, v))
        }
        writeRelabelConfigs = try RelabelConfig.list(f["write_relabel_configs"])
        if let v = f["queue_config"] {
            let q = try v.fields("queue_config", [
                "capacity", "max_shards", "min_shards", "max_samples_per_send", "batch_send_deadline", "min_backoff",
                "max_backoff", "retry_on_http_429", "sample_age_limit",
            ])
            if let x = q["capacity"] { queue.capacity = try x.int() }
            if let x = q["max_shards"] { queue.maxShards = try x.int() }
            if let x = q["min_shards"] { queue.minShards = try x.int() }
            if let x = q["max_samples_per_send"] { queue.maxSamplesPerSend = try x.int() }
            if let x = q["batch_send_deadline"] { queue.batchSendDeadline = try x.duration() }
            if let x = q["min_backoff"] { queue.minBackoff = try x.duration() }
            if let x = q["max_backoff"] { queue.maxBackoff = try x.duration() }
            if let x = q["retry_on_http_429"] { queue.retryOnHTTP429 = try x.bool() }
            if let x = q["sample_age_limit"] { queue.sampleAgeLimit = try x.duration() }
            guard queue.maxSamplesPerSend > 0, queue.maxShards > 0, queue.minShards > 0, queue.minShards <= queue.maxShards else {
                throw v.fail("invalid queue_config: max_samples_per_send, max_shards and min_shards must be positive, min_shards <= max_shards")
            }
        }
        if let v = f["protobuf_message"] {
            let text = try v.string()
            guard let m = Message(rawValue: text) else {
                throw v.fail("unknown remote write protobuf message \(text), supported: prometheus.WriteRequest, io.prometheus.write.v2.Request")
            }
            message = m
        }
        sendExemplars = try f["send_exemplars"]?.bool() ?? false
        http = try HTTPClientConfig(f, directory: directory)
    }
}

/// `alerting:`: alert relabeling and the Alertmanagers to notify.
public struct AlertingConfig: Sendable {
    public struct Alertmanager: Sendable {
        public var scheme = "http"
        public var pathPrefix = "/"
        public var timeout: Int64 = 10_000
        public var apiVersion = "v2"
        public var staticConfigs: [TargetGroup] = []
        public var fileSDConfigs: [FileSDConfig] = []
        public var relabelConfigs: [RelabelConfig] = []
        public var http: HTTPClientConfig
    }

    public var alertRelabelConfigs: [RelabelConfig] = []
    public var alertmanagers: [Alertmanager] = []

    public init() {}

    init(_ value: YAMLValue, directory: String) throws(ConfigError) {
        let f = try value.fields("alerting", ["alert_relabel_configs", "alertmanagers"])
        alertRelabelConfigs = try RelabelConfig.list(f["alert_relabel_configs"])
        for item in try f["alertmanagers"]?.list() ?? [] {
            let a = try item.fields("alertmanager_config", HTTPClientConfig.fieldNames.union([
                "scheme", "path_prefix", "timeout", "api_version", "static_configs", "file_sd_configs", "relabel_configs",
                "alert_relabel_configs", "sigv4",
            ]))
            var am = Alertmanager(http: try HTTPClientConfig(a, directory: directory))
            if let v = a["scheme"] { am.scheme = try v.string() }
            if let v = a["path_prefix"] { am.pathPrefix = try v.string() }
            if let v = a["timeout"] { am.timeout = try v.duration() }
            if let v = a["api_version"] {
                am.apiVersion = try v.string()
                guard am.apiVersion == "v2" else { throw v.fail("expected Alertmanager api version to be one of [v2] but got \(am.apiVersion)") }
            }
            for g in try a["static_configs"]?.list() ?? [] { am.staticConfigs.append(try TargetGroup(g, source: "static")) }
            for g in try a["file_sd_configs"]?.list() ?? [] { am.fileSDConfigs.append(try FileSDConfig(g, directory: directory)) }
            am.relabelConfigs = try RelabelConfig.list(a["relabel_configs"])
            alertmanagers.append(am)
        }
    }
}
