import ArgumentParser
import HearthAgent
import HearthConfig
import HearthModel
import HearthServer
import Logging

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Scrape this node's targets and forward everything by remote write, buffering in a WAL.",
        discussion: """
            Flags keep the names of Prometheus's agent mode. The agent stores nothing to query: \
            samples go to a write-ahead log that each remote_write queue reads back. While a \
            receiver is down the log buffers (bounded by size and age); each queue's position \
            is saved, so a restart during an outage loses nothing either.
            """
    )

    @Option(name: .customLong("config.file"), help: "Prometheus configuration file path.")
    var configFile = "prometheus.yml"

    @Option(name: .customLong("storage.agent.path"), help: "Base path for the agent's WAL and queue positions.")
    var storagePath = "data-agent/"

    @OptionGroup var web: WebOptions

    @Option(name: .customLong("storage.agent.retention.max-time"),
            help: "Unsent data older than this is dropped from the WAL (counted and logged). 0 means no age bound.")
    var maxTime = "24h"

    @Option(name: .customLong("storage.agent.retention.max-size"),
            help: "The oldest WAL segments are dropped, sent or not, while the WAL is larger (units B, KB, MB, GB; base 2). 0 means no size bound.")
    var maxSize = "2GB"

    @Option(name: .customLong("storage.agent.wal-segment-size"), help: "Size at which a new WAL segment is started (bytes).")
    var segmentSize = 16 << 20

    @Option(name: .customLong("storage.agent.wal-truncate-frequency"),
            help: "How often delivered segments are replaced by a checkpoint and the bounds are applied.")
    var truncateFrequency = "1m"

    @Option(name: .customLong("storage.remote.flush-deadline"),
            help: "How long to keep sending on shutdown; what is left stays in the WAL for the next start.")
    var flushDeadline = "5s"

    func validate() throws {
        for (flag, value) in [("storage.agent.retention.max-time", maxTime)] {
            guard PrometheusDuration.parseMilliseconds(value) != nil else {
                throw ValidationError("invalid --\(flag) \"\(value)\": expected a duration such as 24h")
            }
        }
        for (flag, value) in [("storage.agent.wal-truncate-frequency", truncateFrequency), ("storage.remote.flush-deadline", flushDeadline)] {
            guard let ms = PrometheusDuration.parseMilliseconds(value), ms > 0 else {
                throw ValidationError("invalid --\(flag) \"\(value)\": expected a positive duration such as 1m")
            }
        }
        guard ByteSize.parse(maxSize) != nil else {
            throw ValidationError("invalid --storage.agent.retention.max-size \"\(maxSize)\": expected a size such as 2GB")
        }
        guard segmentSize >= 1 << 16 else { throw ValidationError("--storage.agent.wal-segment-size must be at least 65536 bytes") }
    }

    func run() async throws {
        let logger = web.logger(label: "hearth.agent")
        var options = AgentOptions(storagePath: storagePath)
        options.configFile = configFile
        options.listenAddress = web.listenAddress
        options.http = web.limits
        options.enableLifecycle = web.enableLifecycle
        options.storage.maxAgeMilliseconds = PrometheusDuration.parseMilliseconds(maxTime)!
        options.storage.maxBytes = ByteSize.parse(maxSize)!
        options.storage.segmentSize = segmentSize
        options.truncateInterval = .milliseconds(PrometheusDuration.parseMilliseconds(truncateFrequency)!)
        options.flushDeadline = .milliseconds(PrometheusDuration.parseMilliseconds(flushDeadline)!)
        options.flags = [
            ("config.file", configFile), ("storage.agent.path", storagePath),
            ("storage.agent.retention.max-time", maxTime), ("storage.agent.retention.max-size", maxSize),
            ("storage.agent.wal-segment-size", String(segmentSize)), ("storage.agent.wal-truncate-frequency", truncateFrequency),
            ("storage.remote.flush-deadline", flushDeadline),
        ] + web.flags
        try await Agent.run(options, logger: logger)
    }
}
