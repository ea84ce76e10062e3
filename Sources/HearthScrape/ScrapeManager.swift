import HearthConfig
import HearthDiscovery
import HearthHTTPClient
import HearthModel
import HearthStorage
import HearthRelabel
import Logging
import NIOCore
import Synchronization

/// Runs the scrape loops of every job: targets come from discovery (static, file, HTTP),
/// go through target relabeling, and each kept target gets a loop. `apply(_:)` reloads a
/// configuration: loops of unchanged jobs and targets keep running (no gap, no lost scrape),
/// changed ones are replaced, removed targets get staleness markers.
public final class ScrapeManager<Storage: Appendable>: Sendable {
    let storage: Storage
    let client: HTTPClient
    let logger: Logger
    /// Spreads the targets of this instance differently from another instance's (as
    /// Prometheus mixes in its hostname), while keeping each target's offset stable.
    let offsetSeed: UInt64
    let state = Mutex(State())

    struct Pool {
        var config: ScrapeConfig
        var fingerprint: String
        /// One string for every loop of the pool (a thousand copies were 0.3 MB).
        var acceptHeader: String
        var groups: [String: [TargetGroup]] = [:]
        var loops: [Labels: ScrapeLoop<Storage>] = [:]
        var dropped: [ScrapeTargetStatus] = []
        var discovery: [Task<Void, Never>] = []
    }

    struct State {
        var pools: [String: Pool] = [:]
        var order: [String] = []
    }

    public init(storage: Storage, client: HTTPClient, offsetSeed: UInt64 = 0, logger: Logger = Logger(label: "hearth.scrape")) {
        self.storage = storage
        self.client = client
        self.offsetSeed = offsetSeed
        self.logger = logger
    }

    /// Applies a configuration's `scrape_configs`.
    public func apply(_ config: Config) {
        var stop: [(ScrapeLoop<Storage>, quiet: Bool)] = []
        var discoveryToStop: [Task<Void, Never>] = []
        var started: [String] = []
        state.withLock { s in
            let jobs = Set(config.scrapeConfigs.map(\.jobName))
            for (name, pool) in s.pools where !jobs.contains(name) {
                for (_, l) in pool.loops { stop.append((l, false)) }
                discoveryToStop += pool.discovery
                s.pools[name] = nil
            }
            for job in config.scrapeConfigs {
                let fp = job.fingerprint
                if let pool = s.pools[job.jobName], pool.fingerprint == fp { continue }
                if let old = s.pools[job.jobName] {
                    for (_, l) in old.loops { stop.append((l, true)) }
                    discoveryToStop += old.discovery
                }
                s.pools[job.jobName] = Pool(config: job, fingerprint: fp, acceptHeader: ScrapeProtocols.acceptHeader(job.scrapeProtocols))
                started.append(job.jobName)
            }
            s.order = config.scrapeConfigs.map(\.jobName)
        }
        for (loop, quiet) in stop { loop.stop(quiet: quiet) }
        for t in discoveryToStop { t.cancel() }
        for job in config.scrapeConfigs where started.contains(job.jobName) {
            startDiscovery(job)
        }
    }

    /// Stops every loop once its scrape in flight is stored.
    ///
    /// At shutdown (the default) no staleness markers are written, as Prometheus writes none:
    /// the targets have not gone, and after a restart within the 5-minute lookback their
    /// series carry on without a gap. (Markers here also cost one sample per series in every
    /// agent restart's remote write: 13% of the bytes in a 2-minute scale run.)
    /// - Parameter markingTargetsStale: mark every target's series stale, as a reload that
    ///   removes the targets does.
    public func stop(markingTargetsStale: Bool = false) async {
        let loops: [ScrapeLoop<Storage>] = state.withLock { s in
            var all: [ScrapeLoop<Storage>] = []
            for (_, pool) in s.pools {
                pool.discovery.forEach { $0.cancel() }
                all += pool.loops.values
            }
            s.pools = [:]
            return all
        }
        let stopped = loops.map { $0.stop(quiet: !markingTargetsStale) }
        for s in stopped { try? await s.get() }
    }

    func startDiscovery(_ job: ScrapeConfig) {
        if !job.staticConfigs.isEmpty { update(job: job.jobName, source: "static", groups: job.staticConfigs) }
        var tasks: [Task<Void, Never>] = []
        for (i, sd) in job.fileSDConfigs.enumerated() {
            let source = "file_sd/\(i)"
            tasks.append(Task { [weak self] in
                await FileDiscovery(config: sd).run { [weak self] groups in self?.update(job: job.jobName, source: source, groups: groups) }
            })
        }
        for (i, sd) in job.httpSDConfigs.enumerated() {
            let source = "http_sd/\(i)"
            let client = self.client, logger = self.logger
            tasks.append(Task { [weak self] in
                await HTTPDiscovery(config: sd, client: client, logger: logger).run { [weak self] groups in
                    self?.update(job: job.jobName, source: source, groups: groups)
                }
            })
        }
        state.withLock { s in s.pools[job.jobName]?.discovery += tasks }
    }

    /// New target groups from one discovery source of a job.
    func update(job: String, source: String, groups: [TargetGroup]) {
        state.withLock { s in
            guard var pool = s.pools[job] else { return }
            pool.groups[source] = groups
            var wanted: [Labels: ScrapeTarget] = [:]
            var dropped: [ScrapeTargetStatus] = []
            for (_, list) in pool.groups.sorted(by: { $0.key < $1.key }) {
                for group in list {
                    for address in group.targets {
                        switch ScrapeTarget.populate(address: address, group: group, config: pool.config) {
                        case .target(let t):
                            wanted[t.labels] = t
                        case .dropped(let discovered):
                            dropped.append(Self.droppedStatus(job: job, discovered: discovered, reason: ""))
                        case .invalid(let discovered, let why):
                            logger.warning("invalid target", metadata: ["job": "\(job)", "target": "\(address)", "err": "\(why)"])
                            dropped.append(Self.droppedStatus(job: job, discovered: discovered, reason: why))
                        }
                    }
                }
            }
            if pool.config.targetLimit > 0, wanted.count > pool.config.targetLimit {
                logger.error("target limit exceeded", metadata: ["job": "\(job)", "targets": "\(wanted.count)", "limit": "\(pool.config.targetLimit)"])
            }
            // Gone targets: their loops end after any scrape in flight, with staleness markers.
            for (labels, l) in pool.loops where wanted[labels] == nil {
                l.stop(quiet: false)
                pool.loops[labels] = nil
            }
            for (labels, target) in wanted where pool.loops[labels] == nil {
                let loop = ScrapeLoop(target: target, config: pool.config, acceptHeader: pool.acceptHeader, storage: storage, client: client)
                loop.start(offsetSeed: offsetSeed)
                pool.loops[labels] = loop
            }
            pool.dropped = dropped
            s.pools[job] = pool
        }
    }

    static func droppedStatus(job: String, discovered: Labels, reason: String) -> ScrapeTargetStatus {
        ScrapeTargetStatus(scrapePool: job, discoveredLabels: discovered, labels: Labels(), scrapeURL: "", health: "unknown",
                           lastError: reason, lastScrape: 0, lastScrapeDuration: 0, scrapeInterval: "", scrapeTimeout: "", dropped: true)
    }

    /// Every target, active first (by job, then labels), then dropped ones.
    public func targets() -> (active: [ScrapeTargetStatus], dropped: [ScrapeTargetStatus]) {
        let (loops, dropped) = state.withLock { s -> ([ScrapeLoop<Storage>], [ScrapeTargetStatus]) in
            var loops: [ScrapeLoop<Storage>] = []
            var dropped: [ScrapeTargetStatus] = []
            for job in s.order {
                guard let pool = s.pools[job] else { continue }
                loops += pool.loops.keys.sorted().map { pool.loops[$0]! }
                dropped += pool.dropped
            }
            return (loops, dropped)
        }
        return (loops.map { $0.targetStatus() }, dropped)
    }

    /// The metric metadata of every active target's last successful scrape (`/api/v1/metadata`):
    /// every family, or only `metric` when given.
    public func metadata(metric: String? = nil, limitPerMetric: Int = 0) -> MetadataSet {
        let loops = state.withLock { s in s.order.flatMap { s.pools[$0]?.loops.values.map { $0 } ?? [] } }
        var set = MetadataSet()
        for loop in loops {
            let families = loop.processor.withLock { $0.metricMetadata }
            if let metric {
                if let entry = families[metric] { set.add(metric, entry, limitPerMetric: limitPerMetric) }
            } else {
                for (name, entry) in families { set.add(name, entry, limitPerMetric: limitPerMetric) }
            }
        }
        return set
    }

    /// Scrapes every active target once now (tests and `hearth agent --scrape-once`).
    public func scrapeAllNow() async {
        let loops = state.withLock { s in s.pools.values.flatMap { $0.loops.values } }
        for loop in loops { await loop.scrapeOnce(at: unixMilliseconds()) }
    }
}

extension ScrapeConfig {
    /// Everything that changes how a job scrapes; a reload replaces a job's loops only when it changes.
    var fingerprint: String {
        var parts: [String] = [jobName, "\(scrapeInterval)", "\(scrapeTimeout)", metricsPath, scheme, "\(honorLabels)", "\(honorTimestamps)",
                               "\(enableCompression)", "\(sampleLimit)", "\(labelLimit)", "\(labelNameLengthLimit)", "\(labelValueLengthLimit)",
                               "\(targetLimit)", "\(bodySizeLimit)", "\(http)", "\(scrapeProtocols)"]
        parts += params.map { "\($0.0)=\($0.1)" }
        for r in relabelConfigs + [] { parts.append("r:\(r.sourceLabels)|\(r.separator)|\(r.regexText)|\(r.modulus)|\(r.targetLabel)|\(r.replacement)|\(r.action)") }
        for r in metricRelabelConfigs { parts.append("m:\(r.sourceLabels)|\(r.separator)|\(r.regexText)|\(r.modulus)|\(r.targetLabel)|\(r.replacement)|\(r.action)") }
        parts += staticConfigs.map { "s:\($0.targets)\($0.labels)" }
        parts += fileSDConfigs.map { "f:\($0.files)\($0.refreshInterval)" }
        parts += httpSDConfigs.map { "h:\($0.url)\($0.refreshInterval)" }
        return parts.joined(separator: "\u{1}")
    }
}
