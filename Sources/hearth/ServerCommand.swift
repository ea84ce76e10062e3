import ArgumentParser
import HearthConfig
import HearthModel
import HearthPromQL
import HearthServer
import HearthWAL
import Logging

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the all-in-one server on a local data directory.",
        discussion: """
            Flags keep Prometheus's names where Prometheus has the same setting. \
            SIGTERM or SIGINT shut down gracefully: the head is snapshotted so the next \
            start does not replay the write-ahead log.
            """
    )

    @Option(name: .customLong("storage.tsdb.path"), help: "Base path for metrics storage.")
    var storagePath = "data/"

    @Option(name: .customLong("storage.tsdb.retention.time"),
            help: "How long to retain samples in storage (Prometheus duration, e.g. 15d).")
    var retentionTime = "15d"

    @Option(name: .customLong("storage.tsdb.retention.size"),
            help: "Maximum number of bytes that can be stored for blocks (units B, KB, MB, GB, TB, PB, EB; base 2). 0 means no limit.")
    var retentionSize = "0"

    @Option(name: .customLong("storage.tsdb.min-block-duration"),
            help: "Duration of the head's block range: data older than 1.5 times it is written as blocks of it.")
    var minBlockDuration = "2h"

    @Option(name: .customLong("storage.tsdb.wal-sync"),
            help: ArgumentHelp(
                "When a write is acknowledged: 'none' once it is in the WAL file (survives a process crash, as Prometheus), 'group-commit' once it is also fsynced (survives a machine crash).",
                valueName: "mode"))
    var walSync = "none"

    @Option(name: .customLong("storage.tsdb.wal-segment-size"),
            help: "Size at which a new WAL segment file is started (bytes).")
    var walSegmentSize = 128 * 1024 * 1024

    @OptionGroup var web: WebOptions

    @Option(name: .customLong("config.file"), help: "Prometheus configuration file path.")
    var configFile: String?

    @Option(name: .customLong("storage.remote.flush-deadline"),
            help: "How long remote_write queues keep sending on shutdown; the rest is sent after the next start.")
    var flushDeadline = "5s"

    @OptionGroup var engine: EngineFlags

    @Option(name: .customLong("web.external-url"),
            help: "The URL under which Hearth is reachable, for links in alerts (generatorURL) and $externalURL in templates.")
    var externalURL = ""

    @Option(name: .customLong("rules.alert.for-outage-tolerance"),
            help: "Max time to tolerate Hearth outage for restoring \"for\" state of alert.")
    var outageTolerance = "1h"

    @Option(name: .customLong("rules.alert.for-grace-period"),
            help: "Minimum duration between alert and restored \"for\" state. This is maintained only for alerts with configured \"for\" time greater than grace period.")
    var forGracePeriod = "10m"

    @Option(name: .customLong("rules.alert.resend-delay"), help: "Minimum amount of time to wait before resending an alert to Alertmanager.")
    var resendDelay = "1m"

    @Option(name: .customLong("alertmanager.notification-queue-capacity"),
            help: "The capacity of the queue for pending Alertmanager notifications.")
    var notificationQueueCapacity = 10_000

    @Flag(name: .customLong("web.enable-admin-api"), help: "Enable API endpoints for admin control actions.")
    var enableAdminAPI = false

    func validate() throws {
        guard PrometheusDuration.parseMilliseconds(retentionTime) != nil else {
            throw ValidationError("invalid --storage.tsdb.retention.time \"\(retentionTime)\": expected a duration such as 15d or 12h")
        }
        guard ByteSize.parse(retentionSize) != nil else {
            throw ValidationError("invalid --storage.tsdb.retention.size \"\(retentionSize)\": expected a size such as 512MB or 10GB")
        }
        guard let block = PrometheusDuration.parseMilliseconds(minBlockDuration), block >= 1000, block <= Int64(UInt32.max) else {
            throw ValidationError("invalid --storage.tsdb.min-block-duration \"\(minBlockDuration)\": expected a duration from 1s to 49d")
        }
        guard WALSyncMode(rawValue: walSync) != nil else {
            throw ValidationError("invalid --storage.tsdb.wal-sync \"\(walSync)\": expected none or group-commit")
        }
        for (flag, value) in [("storage.remote.flush-deadline", flushDeadline), ("rules.alert.for-outage-tolerance", outageTolerance),
                              ("rules.alert.for-grace-period", forGracePeriod), ("rules.alert.resend-delay", resendDelay)] {
            guard let ms = PrometheusDuration.parseMilliseconds(value), ms > 0 else {
                throw ValidationError("invalid --\(flag) \"\(value)\": expected a positive duration such as 2m")
            }
        }
        guard notificationQueueCapacity > 0 else {
            throw ValidationError("--alertmanager.notification-queue-capacity must be positive")
        }
        if !externalURL.isEmpty && !(externalURL.hasPrefix("http://") || externalURL.hasPrefix("https://")) {
            throw ValidationError("invalid --web.external-url \"\(externalURL)\": expected an http:// or https:// URL")
        }
        guard walSegmentSize >= 1 << 16 else {
            throw ValidationError("--storage.tsdb.wal-segment-size must be at least 65536 bytes")
        }
    }

    func run() async throws {
        let logger = web.logger(label: "hearth")
        var options = ServerOptions()
        options.storagePath = storagePath
        options.retentionMilliseconds = PrometheusDuration.parseMilliseconds(retentionTime)!
        options.retentionBytes = ByteSize.parse(retentionSize)!
        options.minBlockDurationMilliseconds = PrometheusDuration.parseMilliseconds(minBlockDuration)!
        options.listenAddress = web.listenAddress
        options.http = web.limits
        options.configFile = configFile
        options.walSyncMode = WALSyncMode(rawValue: walSync)!
        options.walSegmentSize = walSegmentSize
        options.query = engine.options
        options.flushDeadline = .milliseconds(PrometheusDuration.parseMilliseconds(flushDeadline)!)
        options.externalURL = externalURL.hasSuffix("/") ? String(externalURL.dropLast()) : externalURL
        options.outageTolerance = PrometheusDuration.parseMilliseconds(outageTolerance)!
        options.forGracePeriod = PrometheusDuration.parseMilliseconds(forGracePeriod)!
        options.resendDelay = PrometheusDuration.parseMilliseconds(resendDelay)!
        options.notificationQueueCapacity = notificationQueueCapacity
        options.enableAdminAPI = enableAdminAPI
        options.enableLifecycle = web.enableLifecycle
        options.retention = retentionTime
        options.flags = [
            ("storage.tsdb.path", storagePath), ("storage.tsdb.retention.time", retentionTime),
            ("storage.tsdb.retention.size", retentionSize), ("storage.tsdb.min-block-duration", minBlockDuration),
            ("storage.tsdb.wal-sync", walSync), ("storage.tsdb.wal-segment-size", String(walSegmentSize)),
            ("config.file", configFile ?? ""), ("storage.remote.flush-deadline", flushDeadline),
            ("web.external-url", externalURL), ("rules.alert.for-outage-tolerance", outageTolerance),
            ("rules.alert.for-grace-period", forGracePeriod), ("rules.alert.resend-delay", resendDelay),
            ("alertmanager.notification-queue-capacity", String(notificationQueueCapacity)),
            ("web.enable-admin-api", String(enableAdminAPI)),
        ] + engine.flags + web.flags
        try await Server.run(options, logger: logger)
    }
}
