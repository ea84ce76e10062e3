import HearthAgent
import HearthHTTPAPI
import HearthHTTPClient
import HearthRemoteWrite
import HearthScrape
import HearthTSDB
import HearthWAL
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Everything `hearth agent` is configured with.
public struct AgentOptions: Sendable {
    public var storage: AgentStorage.Options
    public var listenAddress = "0.0.0.0:9090"
    /// What one request and the listener may use (`--web.max-connections`, `--web.read-timeout`).
    public var http = HTTPLimits()
    public var configFile: String?
    public var enableLifecycle = false
    /// How often the WAL's upkeep runs (bounds, checkpoints of delivered segments).
    public var truncateInterval: Duration = .seconds(60)
    /// How long a stopping agent keeps sending before it leaves the rest in the WAL.
    public var flushDeadline: Duration = .seconds(5)
    public var flags: [(String, String)] = []

    public init(storagePath: String) { storage = AgentStorage.Options(path: storagePath) }
}

/// Builds and runs `hearth agent`: scrape into a WAL, forward by remote write. Shutdown runs
/// in reverse: HTTP stops, scrapes stop (their last commits land in the WAL), queues send
/// what they can until the flush deadline and save their positions, the WAL closes.
public enum Agent {
    public static func run(_ options: AgentOptions, logger: Logger) async throws {
        limitMallocArenas()
        guard let (host, port) = splitListenAddress(options.listenAddress) else {
            throw ServerError("invalid --web.listen-address \"\(options.listenAddress)\": expected host:port")
        }
        let reloader = try ConfigReloader(path: options.configFile, logger: logger)
        let storage = try AgentStorage(options: options.storage, logger: logger)
        logger.info("agent WAL replayed", metadata: [
            "series": "\(storage.seriesCount)", "records": "\(storage.replayReport.records)", "segments": "\(storage.replayReport.segments)",
        ])
        let client = HTTPClient(threads: usableCoreCount())
        let scrapes = ScrapeManager(storage: storage, client: client, offsetSeed: hostSeed(), logger: logger)
        let remote = RemoteWriteManager(source: storage, client: client, positionDirectory: options.storage.path + "/queues", logger: logger)
        reloader.onReload { config in scrapes.apply(config) }
        reloader.onReload { config in await remote.apply(config) }
        let metrics = AgentMetrics(storage: storage, remote: remote)
        var api = AgentAPIContext()
        api.flags = options.flags
        api.configYAML = { reloader.current.withLock { $0.text } }
        api.enableLifecycle = options.enableLifecycle
        api.metricsText = { metrics.exposition() }
        api.reload = { await reloader.reload() }
        api.quit = { requestShutdown() }
        api.targets = { scrapes.targets() }
        let http = HTTPService(server: HTTPServer(host: host, port: port, responder: AgentAPI(context: api), limits: options.http, logger: logger), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: AgentWALService(storage: storage, remote: remote, reloader: reloader, client: client,
                                                   metrics: metrics, options: options, logger: logger)),
                    .init(service: ScrapeService(manager: scrapes, reloader: reloader, logger: logger)),
                    .init(service: http),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info("agent is ready", metadata: ["storage": "\(options.storage.path)", "series": "\(storage.seriesCount)"])
        try await group.run()
    }
}

/// Owns the agent's WAL and its queues for the life of the process: starts the queues, runs
/// the WAL's upkeep, and on shutdown (after scraping stopped) flushes the queues, shuts down
/// the HTTP client they share with scraping, and closes the WAL.
struct AgentWALService: Service {
    let storage: AgentStorage
    let remote: RemoteWriteManager<AgentStorage>
    let reloader: ConfigReloader
    let client: HTTPClient
    let metrics: AgentMetrics
    let options: AgentOptions
    let logger: Logger

    func run() async throws {
        await remote.apply(reloader.current.withLock { $0.config })
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: options.truncateInterval)
                let queues = remote.queues
                do {
                    let t = try await runBlockingStorageWork { try storage.truncate(queues: queues) }.get()
                    metrics.record(t)
                    if let through = t.checkpointedThrough {
                        logger.debug("agent WAL truncated", metadata: [
                            "through_segment": "\(through)", "forgotten_series": "\(t.forgottenSeries)",
                            "dropped_segments": "\(t.droppedSegments)",
                        ])
                    }
                } catch {
                    logger.error("agent WAL upkeep failed", metadata: ["err": "\(error)"])
                }
                releaseFreeMemory()
            }
        }
        logger.info("stopping remote write", metadata: ["flush_deadline": "\(options.flushDeadline)"])
        await remote.stop(flushFor: options.flushDeadline)
        await client.shutdown()
        try storage.close()
        logger.info("agent WAL closed")
    }
}

/// The agent's own metrics: WAL and series gauges plus the queues' totals.
final class AgentMetrics: Sendable {
    let storage: AgentStorage
    let remote: RemoteWriteManager<AgentStorage>
    let truncations = Mutex<(runs: Int, droppedSegments: Int)>((0, 0))

    init(storage: AgentStorage, remote: RemoteWriteManager<AgentStorage>) {
        self.storage = storage
        self.remote = remote
    }

    func record(_ t: AgentTruncation) {
        truncations.withLock {
            $0.runs += t.checkpointedThrough == nil ? 0 : 1
            $0.droppedSegments += t.droppedSegments
        }
    }

    func exposition() -> String {
        let (runs, dropped) = truncations.withLock { ($0.runs, $0.droppedSegments) }
        var out = """
            # HELP prometheus_agent_active_series Number of active series the agent is tracking.
            # TYPE prometheus_agent_active_series gauge
            prometheus_agent_active_series \(storage.seriesCount)
            # HELP prometheus_agent_wal_storage_size_bytes Size of the agent's WAL on disk.
            # TYPE prometheus_agent_wal_storage_size_bytes gauge
            prometheus_agent_wal_storage_size_bytes \(storage.diskSize)
            # HELP prometheus_agent_truncate_total WAL truncations (checkpoints) performed.
            # TYPE prometheus_agent_truncate_total counter
            prometheus_agent_truncate_total \(runs)
            # HELP hearth_agent_wal_dropped_segments_total Segments dropped by the WAL's size or age bound before every queue sent them.
            # TYPE hearth_agent_wal_dropped_segments_total counter
            hearth_agent_wal_dropped_segments_total \(dropped)

            """
        out += remoteWriteExposition(remote.queues)
        return out
    }
}
