import HearthConfig
import HearthFileIO
import HearthHTTPClient
import HearthModel
import HearthRelabel
import Logging
import NIOHTTP1
import Synchronization

/// Sends alerts to every configured Alertmanager, as Prometheus's notifier: alerts get the
/// external labels (theirs win) and `alert_relabel_configs`, wait in a bounded queue (the
/// oldest are dropped when it is full), and leave in batches of up to 256, each batch posted
/// to all Alertmanagers at once.
public final class Notifier: Sendable {
    public struct Options: Sendable {
        /// `--alertmanager.notification-queue-capacity`.
        public var queueCapacity = 10_000
        public var maxBatchSize = 256
        public init() {}
    }

    /// Per-Alertmanager counters for `/metrics`.
    public struct Statistics: Sendable {
        public var sent: [String: Int] = [:]
        public var errors: [String: Int] = [:]
        public var dropped = 0
        public var queueLength = 0
        public var queueCapacity = 0
    }

    private struct State {
        var queue: [NotifierAlert] = []
        var sets: [AlertmanagerSet] = []
        var externalLabels = Labels()
        var relabel: [RelabelConfig] = []
        var statistics = Statistics()
    }

    private let client: HTTPClient
    private let options: Options
    private let logger: Logger
    private let state: Mutex<State>
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    public init(client: HTTPClient, options: Options = Options(), logger: Logger = Logger(label: "hearth.notifier")) {
        self.client = client
        self.options = options
        self.logger = logger
        var s = State()
        s.statistics.queueCapacity = options.queueCapacity
        self.state = Mutex(s)
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Takes the Alertmanagers, external labels and alert relabeling of a (re)loaded configuration.
    public func apply(_ config: Config) {
        let sets = config.alerting.alertmanagers.map(AlertmanagerSet.init)
        for s in sets { s.startDiscovery() }
        let old = state.withLock { s in
            defer {
                s.sets = sets
                s.externalLabels = config.global.externalLabels
                s.relabel = config.alerting.alertRelabelConfigs
            }
            return s.sets
        }
        for s in old { s.stopDiscovery() }
    }

    /// Queues alerts for sending (external labels and relabeling applied now).
    public func send(_ alerts: [NotifierAlert]) {
        guard !alerts.isEmpty else { return }
        state.withLock { s in
            for var a in alerts {
                if !s.externalLabels.isEmpty {
                    var dict: [String: String] = [:]
                    for l in s.externalLabels { dict[l.name] = l.value }
                    for l in a.labels { dict[l.name] = l.value }
                    a.labels = Labels(dict)
                }
                guard let relabeled = Relabel.process(a.labels, s.relabel), !relabeled.isEmpty else { continue }
                a.labels = relabeled
                s.queue.append(a)
            }
            let overflow = s.queue.count - options.queueCapacity
            if overflow > 0 {
                s.queue.removeFirst(overflow)
                s.statistics.dropped += overflow
                logger.warning("alert notification queue full, dropping alerts", metadata: ["num_dropped": "\(overflow)"])
            }
            s.statistics.queueLength = s.queue.count
        }
        wake.yield()
    }

    /// The Alertmanagers alerts go to, and those relabeling dropped, for `/api/v1/alertmanagers`.
    public func alertmanagers() -> (active: [String], dropped: [String]) {
        let sets = state.withLock { $0.sets }
        var active: [String] = [], dropped: [String] = []
        for s in sets {
            let u = s.urls()
            active += u.active
            dropped += u.dropped
        }
        return (active, dropped)
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Sends queued batches until cancelled; then tries once more to empty the queue, so
    /// resolutions evaluated just before shutdown still reach Alertmanager.
    public func run() async {
        for await _ in wakes {
            if Task.isCancelled { break }
            await drain()
        }
        await drain()
    }

    /// Stops discovery and the send loop's input.
    public func stop() {
        wake.finish()
        for s in state.withLock({ $0.sets }) { s.stopDiscovery() }
    }

    private func drain() async {
        while true {
            let (batch, sets) = state.withLock { s -> ([NotifierAlert], [AlertmanagerSet]) in
                let n = min(options.maxBatchSize, s.queue.count)
                let b = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                s.statistics.queueLength = s.queue.count
                return (b, s.sets)
            }
            if batch.isEmpty { return }
            await post(batch, to: sets)
        }
    }

    private func post(_ batch: [NotifierAlert], to sets: [AlertmanagerSet]) async {
        let body = AlertsJSON.encode(batch[...])
        var targets: [(url: String, timeout: Int64, headers: [(String, String)])] = []
        for s in sets {
            var headers = [("Content-Type", "application/json")]
            if let auth = s.config.http.authorizationHeader(readFile: FileSystem.readText) { headers.append(("Authorization", auth)) }
            for u in s.urls().active { targets.append((u, s.config.timeout, headers)) }
        }
        if targets.isEmpty { return }
        await withTaskGroup(of: (String, String?).self) { group in
            for t in targets {
                group.addTask { [client] in
                    do {
                        let url = try HTTPURL(t.url)
                        let r = try await client.execute(method: .POST, url: url, headers: t.headers,
                                                         body: body, timeout: t.timeout, maxBodyBytes: 1 << 20)
                        guard (200..<300).contains(r.status) else {
                            return (t.url, "bad response status \(r.status) \(r.reason)")
                        }
                        return (t.url, nil)
                    } catch {
                        return (t.url, "\(error)")
                    }
                }
            }
            for await (url, error) in group {
                state.withLock { s in
                    if error == nil { s.statistics.sent[url, default: 0] += batch.count } else { s.statistics.errors[url, default: 0] += batch.count }
                }
                if let error {
                    logger.error("error sending alerts", metadata: ["alertmanager": "\(url)", "count": "\(batch.count)", "err": "\(error)"])
                }
            }
        }
    }
}
