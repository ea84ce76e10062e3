import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthPromQL
import HearthQuery
import HearthStorage
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Everything `hearth query` is configured with.
public struct QueryRoleOptions: Sendable {
    /// `--endpoint`: `HOST:PORT` or URLs of remote-read endpoints.
    public var endpoints: [String] = []
    /// `--endpoint.sd-files`: file discovery files listing more endpoints.
    public var sdFiles: [String] = []
    public var fanout = FanoutOptions()
    /// How often each endpoint is asked for its external labels and time range.
    public var checkInterval: Duration = .seconds(15)
    public var listenAddress = "0.0.0.0:9090"
    public var http = HTTPLimits()
    public var engine = EngineOptions()
    public var enableLifecycle = false
    /// `--query.pushdown`: hand a query whose data one endpoint alone holds to that endpoint.
    public var pushdown = false
    public var flags: [(String, String)] = []

    public init() {}
}

/// Builds and runs `hearth query`: the read side of the Prometheus HTTP API (and remote read,
/// so queriers stack) over many endpoints, with HA deduplication. It stores nothing.
public enum QueryRole {
    public static func run(_ options: QueryRoleOptions, logger: Logger) async throws {
        limitMallocArenas()
        guard let (host, port) = splitListenAddress(options.listenAddress) else {
            throw ServerError("invalid --web.listen-address \"\(options.listenAddress)\": expected host:port")
        }
        guard !options.endpoints.isEmpty || !options.sdFiles.isEmpty else {
            throw ServerError("no endpoints: give --endpoint or --endpoint.sd-files")
        }
        let client = HTTPClient(threads: usableCoreCount(), largeReads: true)
        let set = try EndpointSet(addresses: options.endpoints, client: client, timeoutMs: options.fanout.timeoutMs, logger: logger)
        let metrics = QueryMetrics()
        let engine = Engine(options: options.engine)
        let fanout = options.fanout
        let querier: @Sendable (ReadParameters) -> FanoutQuerier = { parameters in
            var o = fanout
            if let d = parameters.deduplicate { o.deduplicate = d }
            if let p = parameters.partialResponse { o.partialResponse = p }
            return FanoutQuerier(endpoints: set.all, client: client, options: o) { endpoint, _ in metrics.failed(endpoint.address) }
        }
        var api = APIContext(querier: querier, engine: engine)
        api.metadata = { metric, limitPerMetric, parameters throws(StorageError) in
            let fanout = querier(parameters)
            return try await runOnOwnThread { () throws(StorageError) in try fanout.metadata(metric: metric, limitPerMetric: limitPerMetric) }
        }
        if options.pushdown {
            api.pushdown = { query in
                let deduplicate = query.read.deduplicate ?? fanout.deduplicate
                let endpoints = set.all
                guard let plan = Pushdown.plan(query.expr, endpoints: endpoints.map { ($0.address, $0.status.info?.externalLabels) },
                                               hidden: deduplicate ? fanout.replicaLabels : []),
                      let endpoint = endpoints.first(where: { $0.address == plan.endpoint }) else {
                    metrics.pushdown(.declined)
                    return nil
                }
                let timeoutMs = min(fanout.timeoutMs, query.timeout.milliseconds)
                let answer = await Pushdown.send(plan, endpoint: endpoint, start: query.start, end: query.end, step: query.step,
                                                 timeoutMs: timeoutMs, maxResponseBytes: fanout.maxResponseBytes, client: client)
                metrics.pushdown(answer == nil ? .failed : .answered)
                return answer
            }
        }
        api.flags = options.flags
        api.startTimeMs = nowUnixMilliseconds()
        api.workingDirectory = currentDirectory()
        api.enableLifecycle = options.enableLifecycle
        api.logger = logger
        api.ready = { set.ready }
        api.quit = { requestShutdown() }
        api.endpoints = {
            set.all.map { e in
                let s = e.status
                let info = s.info ?? Endpoint.Info()
                return EndpointStatus(address: e.address, health: s.healthy.map { $0 ? "up" : "down" } ?? "unknown", lastError: s.lastError,
                                      externalLabels: info.externalLabels, minTime: info.minTime, maxTime: info.maxTime, lastCheck: s.lastCheck)
            }
        }
        api.metricsText = { metrics.exposition(set.all) }
        let http = HTTPService(server: HTTPServer(host: host, port: port, responder: API(context: api), limits: options.http, logger: logger),
                               logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: EndpointCheckService(set: set, client: client, interval: options.checkInterval, sdFiles: options.sdFiles)),
                    .init(service: http),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info("query is starting", metadata: ["endpoints": "\(options.endpoints)", "sd_files": "\(options.sdFiles)",
                                                    "replica_labels": "\(options.fanout.replicaLabels.sorted())"])
        try await group.run()
    }
}

/// Checks the endpoints until shutdown, then closes the HTTP client.
struct EndpointCheckService: Service {
    let set: EndpointSet
    let client: HTTPClient
    let interval: Duration
    let sdFiles: [String]

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            await set.run(interval: interval, sdFiles: sdFiles)
        }
        await client.shutdown()
    }
}

/// `hearth query`'s own metrics: each endpoint's health and failed reads, and what became of
/// queries offered for pushdown.
final class QueryMetrics: Sendable {
    private let failures = Mutex<[String: Int]>([:])

    enum PushdownResult: String, CaseIterable { case answered, declined, failed }
    private let pushdowns = Mutex<[PushdownResult: Int]>([:])

    func failed(_ address: String) { failures.withLock { $0[address, default: 0] += 1 } }

    func pushdown(_ result: PushdownResult) { pushdowns.withLock { $0[result, default: 0] += 1 } }

    func exposition(_ endpoints: [Endpoint]) -> String {
        let counts = failures.withLock { $0 }
        var text = "# HELP hearth_query_endpoint_up Whether the endpoint answered its last check or read.\n# TYPE hearth_query_endpoint_up gauge\n"
        for e in endpoints {
            text += "hearth_query_endpoint_up{endpoint=\"\(Labels.escapeValue(e.address))\"} \(e.status.healthy == true ? 1 : 0)\n"
        }
        text += "# HELP hearth_query_endpoint_failures_total Reads from the endpoint that failed (down, timed out, bad answer).\n# TYPE hearth_query_endpoint_failures_total counter\n"
        for e in endpoints {
            text += "hearth_query_endpoint_failures_total{endpoint=\"\(Labels.escapeValue(e.address))\"} \(counts[e.address] ?? 0)\n"
        }
        let pushed = pushdowns.withLock { $0 }
        text += "# HELP hearth_query_pushdowns_total Queries offered for pushdown: answered by an endpoint, declined (evaluated here), or failed at the endpoint (then evaluated here).\n# TYPE hearth_query_pushdowns_total counter\n"
        for r in PushdownResult.allCases {
            text += "hearth_query_pushdowns_total{result=\"\(r.rawValue)\"} \(pushed[r] ?? 0)\n"
        }
        return text
    }
}
