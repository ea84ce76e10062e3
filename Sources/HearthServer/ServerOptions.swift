import HearthHTTPAPI
import HearthPromQL
import HearthWAL

/// Everything `hearth server` is configured with, independent of how it was parsed.
public struct ServerOptions: Sendable {
    public var storagePath = "data/"
    /// Blocks older than this are deleted; 0 keeps them.
    public var retentionMilliseconds: Int64 = 15 * 24 * 3600 * 1000
    /// Oldest blocks are deleted while storage exceeds this many bytes; 0 means no limit.
    public var retentionBytes: Int64 = 0
    /// The smallest block range (and head chunk range): `--storage.tsdb.min-block-duration`.
    public var minBlockDurationMilliseconds: Int64 = 2 * 3600 * 1000
    /// How often compaction and retention run.
    public var compactionInterval: Duration = .seconds(60)
    public var listenAddress = "0.0.0.0:9090"
    /// What one request and the listener may use (`--web.max-connections`, `--web.read-timeout`).
    public var http = HTTPLimits()
    public var configFile: String?
    /// How long remote-write queues keep sending on shutdown; the rest is sent after a restart.
    public var flushDeadline: Duration = .seconds(5)
    public var walSyncMode = WALSyncMode.none
    public var walSegmentSize = Segment.defaultMaxSize
    /// `--query.*`: the PromQL engine's limits.
    public var query = EngineOptions()
    public var enableAdminAPI = false
    public var enableLifecycle = false
    /// `--storage.tsdb.retention.time` as written, for `status/runtimeinfo`.
    public var retention = "15d"
    /// `--web.external-url`: links in alerts (`generatorURL`) and `$externalURL` in templates.
    public var externalURL = ""
    /// `--rules.alert.resend-delay` (ms).
    public var resendDelay: Int64 = 60_000
    /// `--rules.alert.for-grace-period` (ms).
    public var forGracePeriod: Int64 = 600_000
    /// `--rules.alert.for-outage-tolerance` (ms).
    public var outageTolerance: Int64 = 3_600_000
    /// `--alertmanager.notification-queue-capacity`.
    public var notificationQueueCapacity = 10_000
    /// Every flag and its value (names without dashes), for `status/flags`.
    public var flags: [(String, String)] = []

    public init() {}
}
