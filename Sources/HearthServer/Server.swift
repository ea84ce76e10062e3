import CHearthMalloc
import HearthConfig
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthNotifier
import HearthPromQL
import HearthRemoteWrite
import HearthRules
import HearthScrape
import HearthTSDB
import HearthWAL
import Logging
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import UnixSignals

/// Builds and runs `hearth server`.
public enum Server {
    public static func run(_ options: ServerOptions, logger: Logger) async throws {
        limitMallocArenas()
        var dbOptions = DB.Options(path: options.storagePath)
        dbOptions.walSyncMode = options.walSyncMode
        dbOptions.walSegmentSize = options.walSegmentSize
        dbOptions.head.chunkRange = options.minBlockDurationMilliseconds
        dbOptions.retentionTime = options.retentionMilliseconds
        dbOptions.retentionSize = options.retentionBytes
        let db = try DB(options: dbOptions, logger: logger)
        let metrics = SelfMetrics()
        let storage = StorageService(db: db, metrics: metrics, logger: logger, compactionInterval: options.compactionInterval)
        guard let (host, port) = splitListenAddress(options.listenAddress) else {
            throw ServerError("invalid --web.listen-address \"\(options.listenAddress)\": expected host:port")
        }
        let reloader = try ConfigReloader(path: options.configFile, logger: logger)
        let client = HTTPClient(threads: usableCoreCount())
        let scrapes = ScrapeManager(storage: db, client: client, offsetSeed: hostSeed(), logger: logger)
        reloader.onReload { config in scrapes.apply(config) }
        let remote = RemoteWriteManager(source: db, client: client,
                                        positionDirectory: options.storagePath + "/remote-write-queues", logger: logger)
        reloader.onReload { config in await remote.apply(config) }
        let engine = Engine(options: options.query)
        var notifierOptions = Notifier.Options()
        notifierOptions.queueCapacity = options.notificationQueueCapacity
        let notifier = Notifier(client: client, options: notifierOptions, logger: logger)
        reloader.onReload { config in notifier.apply(config) }
        var ruleContext = RuleContext(engine: engine, storage: DBRuleStorage(db: db)) { alerts in notifier.send(alerts) }
        ruleContext.externalURL = options.externalURL.isEmpty ? defaultExternalURL(port: port) : options.externalURL
        ruleContext.resendDelay = options.resendDelay
        ruleContext.forGracePeriod = options.forGracePeriod
        ruleContext.outageTolerance = options.outageTolerance
        ruleContext.logger = logger
        let rules = RuleManager(context: ruleContext)
        do {
            notifier.apply(reloader.current.withLock { $0.config })
            try await rules.apply(reloader.current.withLock { $0.config })
        } catch {
            throw ServerError("error loading rules (--config.file=\"\(options.configFile ?? "")\"):\n\(error)")
        }
        reloader.onReloadChecked { config in
            do throws(RuleLoadError) {
                try await rules.apply(config)
                return nil
            } catch {
                return "error loading rules, previous rule set restored: \(error)"
            }
        }
        var api = APIContext(db: db, engine: engine)
        api.ruleGroups = { rules.groups }
        api.alertmanagers = { notifier.alertmanagers() }
        api.configYAML = reloader.current.withLock { $0.text }
        api.externalLabels = { reloader.current.withLock { $0.config.global.externalLabels } }
        api.reload = { await reloader.reload() }
        api.targets = { scrapes.targets() }
        api.metadata = { metric, limitPerMetric, _ in scrapes.metadata(metric: metric, limitPerMetric: limitPerMetric) }
        api.flags = options.flags
        api.startTimeMs = nowUnixMilliseconds()
        api.workingDirectory = currentDirectory()
        api.retention = options.retention
        api.enableAdminAPI = options.enableAdminAPI
        api.enableLifecycle = options.enableLifecycle
        api.logger = logger
        api.metricsText = {
            metrics.update(from: db)
            return metrics.exposition() + remoteWriteExposition(remote.queues) + notifierExposition(notifier)
        }
        api.quit = { requestShutdown() }
        let http = HTTPService(server: HTTPServer(host: host, port: port, responder: API(context: api), limits: options.http, logger: logger),
                               logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: storage),
                    .init(service: RemoteWriteService(manager: remote, reloader: reloader, client: client, flushDeadline: options.flushDeadline)),
                    .init(service: NotifierService(notifier: notifier, drainDeadline: options.flushDeadline)),
                    .init(service: RuleService(manager: rules, logger: logger)),
                    .init(service: ScrapeService(manager: scrapes, reloader: reloader, logger: logger)),
                    .init(service: http),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info("server is ready", metadata: [
            "storage": "\(options.storagePath)", "series": "\(db.head.numSeries)",
            "wal_sync": "\(options.walSyncMode.rawValue)",
        ])
        try await group.run()
    }
}

/// Returns free heap pages to the system (glibc keeps what request buffers freed).
func releaseFreeMemory() {
    hearth_malloc_trim()
}

/// Fewer malloc arenas than glibc's default of eight per core: the server's threads are few and
/// short-lived buffers spread over many arenas stay resident.
func limitMallocArenas() {
    hearth_malloc_limit_arenas(2)
}

/// The CPUs this process may run on (its affinity mask, as Go's `runtime.NumCPU` counts them):
/// the HTTP client gets an event loop for each, so an agent pinned to one CPU gets one.
func usableCoreCount() -> Int {
    max(1, Int(hearth_usable_cpus()))
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func nowUnixMilliseconds() -> Int64 { unixMilliseconds() }

/// A per-host seed for scrape offsets (Prometheus mixes in the hostname and external labels).
func hostSeed() -> UInt64 {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, 255)
    var h: UInt64 = 14_695_981_039_346_656_037
    for c in buffer where c != 0 { h = (h ^ UInt64(UInt8(bitPattern: c))) &* 1_099_511_628_211 }
    return h
}

/// Prometheus's default `--web.external-url`: `http://<hostname>:<port>`.
func defaultExternalURL(port: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, 255)
    let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return "http://\(host.isEmpty ? "localhost" : host):\(port)"
}

func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, 4096) != nil else { return "" }
    return String(cString: buffer)
}
