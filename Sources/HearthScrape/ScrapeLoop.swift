import HearthConfig
import HearthFileIO
import HearthExposition
import HearthHTTPClient
import HearthModel
import Synchronization

/// Scrapes one target every interval, from an offset derived from the target's hash (so a
/// pool's targets spread over the interval), and stores each scrape whole.
final class ScrapeLoop<Storage: ScrapeStorage>: Sendable {
    let target: ScrapeTarget
    let job: String
    let interval: Int64
    let timeout: Int64
    let url: String
    let headers: [(String, String)]
    let bodySizeLimit: Int
    let storage: Storage
    let client: HTTPClient
    let processor: Mutex<ScrapeProcessor>
    let status: Mutex<Status>
    /// Set when the loop stops for a reload (no stale markers: the new loop carries on).
    let quietStop = Atomic<Bool>(false)

    struct Status {
        var health = "unknown"
        var lastError = ""
        var lastScrape: Int64 = 0
        var lastDuration = 0.0
    }

    init(target: ScrapeTarget, config: ScrapeConfig, storage: Storage, client: HTTPClient) {
        self.target = target
        self.job = config.jobName
        self.interval = target.scrapeInterval ?? config.scrapeInterval
        self.timeout = target.scrapeTimeout ?? config.scrapeTimeout
        self.url = target.url(params: config.params)
        var headers: [(String, String)] = [
            ("Accept", ScrapeProtocols.acceptHeader(config.scrapeProtocols)),
            ("User-Agent", "Hearth/0.7"),
            ("X-Prometheus-Scrape-Timeout-Seconds", String(Double(timeout) / 1000)),
        ]
        if config.enableCompression { headers.append(("Accept-Encoding", "gzip")) }
        if let auth = config.http.authorizationHeader(readFile: readTextFile) { headers.append(("Authorization", auth)) }
        self.headers = headers
        self.bodySizeLimit = Int(config.bodySizeLimit)
        self.storage = storage
        self.client = client
        self.processor = Mutex(ScrapeProcessor(target: target, config: config))
        self.status = Mutex(Status())
    }

    /// Scrapes until the task is cancelled; a scrape in flight finishes and is stored first.
    func run(offsetSeed: UInt64) async {
        let now = unixMilliseconds()
        let base = interval - now % interval
        var next = base + Int64((target.labels.stableHash ^ offsetSeed) % UInt64(interval))
        if next > interval { next -= interval }
        let clock = ContinuousClock()
        var deadline = clock.now + .milliseconds(next)
        while true {
            do { try await Task.sleep(until: deadline, clock: clock) } catch { break }
            await scrapeOnce(at: unixMilliseconds())
            deadline += .milliseconds(interval)
            // After a long stall, skip the missed ticks rather than scraping in a burst.
            while deadline < clock.now { deadline += .milliseconds(interval) }
            if Task.isCancelled { break }
        }
        if !quietStop.load(ordering: .relaxed) {
            let t = unixMilliseconds()
            processor.withLock { p in
                let app = storage.scrapeAppender()
                p.markTargetGone(at: t, appender: app)
                p.appendStaleReport(at: t, appender: app)
                try? app.commit()
            }
        }
    }

    /// One scrape at time `t` (Unix ms): fetch, parse, append, commit, report.
    func scrapeOnce(at t: Int64) async {
        let start = ContinuousClock.now
        var failure: ScrapeError?
        var body: [UInt8] = []
        var format = ExpositionFormat.prometheusText
        do {
            let response = try await client.execute(url: try HTTPURL(url), headers: headers, timeout: timeout, maxBodyBytes: bodySizeLimit)
            if response.status == 200 {
                body = response.body
                format = ExpositionFormat(contentType: response.header("Content-Type"))
            } else {
                failure = .http("server returned HTTP status \(response.status) \(response.reason)")
            }
        } catch {
            failure = .http("\(error)")
        }
        let fetched = failure == nil
        let duration = (ContinuousClock.now - start).seconds
        processor.withLock { p in
            var result = ScrapeProcessor.Result()
            if fetched {
                let app = storage.scrapeAppender()
                do throws(ScrapeError) {
                    result = try p.process(body, format: format, timestamp: t, appender: app)
                    do { try app.commit() } catch { throw ScrapeError.storage("\(error)") }
                } catch {
                    app.rollback()
                    failure = error
                }
            }
            let app = storage.scrapeAppender()
            if failure != nil {
                p.markFailedScrape(at: t, appender: app)
                result = ScrapeProcessor.Result()
            }
            p.appendReport(up: failure == nil, duration: duration, result: result, at: t, appender: app)
            try? app.commit()
        }
        status.withLock { s in
            s.health = failure == nil ? "up" : "down"
            s.lastError = failure.map { "\($0)" } ?? ""
            s.lastScrape = t
            s.lastDuration = duration
        }
    }

    func targetStatus() -> ScrapeTargetStatus {
        let s = status.withLock { $0 }
        return ScrapeTargetStatus(
            scrapePool: job, discoveredLabels: target.discoveredLabels, labels: target.publicLabels, scrapeURL: url,
            health: s.health, lastError: s.lastError, lastScrape: s.lastScrape, lastScrapeDuration: s.lastDuration,
            scrapeInterval: PrometheusDuration.format(milliseconds: interval), scrapeTimeout: PrometheusDuration.format(milliseconds: timeout), dropped: false)
    }
}

/// A credentials file's text, read on each use as Prometheus does (nil if unreadable).
func readTextFile(_ path: String) -> String? {
    guard let bytes = (try? FileSystem.readFile(path)) ?? nil else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

enum ScrapeProtocols {
    /// The Accept header for `scrape_protocols`, in preference order (q = 1.0, 0.9, ...).
    static func acceptHeader(_ protocols: [String]) -> String {
        let media: [String: String] = [
            "OpenMetricsText1.0.0": "application/openmetrics-text;version=1.0.0",
            "OpenMetricsText0.0.1": "application/openmetrics-text;version=0.0.1",
            "PrometheusText0.0.4": "text/plain;version=0.0.4",
            "PrometheusText1.0.0": "text/plain;version=1.0.0",
        ]
        var parts: [String] = []
        for p in protocols {
            guard let m = media[p] else { continue }
            let weight = 10 - parts.count  // 1.0, 0.9, 0.8, ...
            parts.append(weight == 10 ? m : "\(m);q=0.\(weight)")
        }
        parts.append("*/*;q=0.1")
        return parts.joined(separator: ",")
    }
}
