import HearthConfig
import HearthFileIO
import HearthExposition
import HearthHTTPClient
import HearthModel
import HearthStorage
import NIOCore
import Synchronization

/// Scrapes one target every interval, from an offset derived from the target's hash (so a
/// pool's targets spread over the interval), and stores each scrape whole.
///
/// A loop lives on one of the HTTP client's event loops: its timer, the exchange and the
/// processing of the body all run there, so a scrape wakes one thread once. (With a task per
/// loop sleeping on the concurrency runtime's timers, each scrape took four thread switches:
/// timer thread, task, event loop, task; at a thousand targets they cost more than parsing.)
final class ScrapeLoop<Storage: Appendable>: NIOScheduledCallbackHandler, Sendable {
    /// The largest scrape body read, whatever `body_size_limit` says (decompressed size).
    static var maxBodyBytes: Int { 1 << 30 }

    let target: ScrapeTarget
    let job: String
    let interval: Int64
    let timeout: Int64
    let url: String
    let storage: Storage
    let client: HTTPClient
    let eventLoop: any EventLoop
    /// The prepared request, or why the URL cannot be scraped.
    let request: Result<HTTPClient.Request, HTTPClientError>
    let processor: Mutex<ScrapeProcessor>
    let status: Mutex<Status>
    /// Timer and lifecycle; only changed on `eventLoop`.
    let schedule = Mutex(Schedule())

    struct Status {
        var health = "unknown"
        var lastError = ""
        var lastScrape: Int64 = 0
        var lastDuration = 0.0
    }

    struct Schedule {
        var timer: NIOScheduledCallback?
        var next = NIODeadline.now()
        var inFlight = false
        var phase = Phase.running
        /// Stopped for a reload (the new loop carries on) or at shutdown: no stale markers.
        var quiet = false
        /// Waiting for the scrape in flight before the stop completes.
        var stopWaiters: [EventLoopPromise<Void>] = []
    }

    /// What `stop` does once it has looked at the phase.
    enum StopStep { case done, wait, finish }

    enum Phase {
        case running
        /// Told to stop; waits for the scrape in flight.
        case stopping
        case stopped
    }

    /// - Parameter acceptHeader: `ScrapeProtocols.acceptHeader(config.scrapeProtocols)`, made
    ///   once per pool.
    init(target: ScrapeTarget, config: ScrapeConfig, acceptHeader: String, storage: Storage, client: HTTPClient) {
        self.target = target
        self.job = config.jobName
        self.interval = target.scrapeInterval ?? config.scrapeInterval
        self.timeout = target.scrapeTimeout ?? config.scrapeTimeout
        self.url = target.url(params: config.params)
        var headers: [(String, String)] = [
            ("Accept", acceptHeader),
            ("User-Agent", "Hearth/0.7"),
            ("X-Prometheus-Scrape-Timeout-Seconds", String(Double(timeout) / 1000)),
        ]
        if config.enableCompression { headers.append(("Accept-Encoding", "gzip")) }
        if let auth = config.http.authorizationHeader(readFile: FileSystem.readText) { headers.append(("Authorization", auth)) }
        self.storage = storage
        self.client = client
        self.eventLoop = client.nextEventLoop()
        // `body_size_limit: 0` means no limit in Prometheus; Hearth still stops at 1 GiB, so a
        // target serving a gzip bomb cannot exhaust memory (docs/compatibility.md).
        let configured = Int(clamping: config.bodySizeLimit)
        let timeout = self.timeout, url = self.url, bodySizeLimit = configured > 0 ? min(configured, Self.maxBodyBytes) : Self.maxBodyBytes
        self.request = Result { () throws(HTTPClientError) in
            client.request(url: try HTTPURL(url), headers: headers, timeout: timeout, maxBodyBytes: bodySizeLimit)
        }
        self.processor = Mutex(ScrapeProcessor(target: target, config: config))
        self.status = Mutex(Status())
    }

    /// Starts scraping at the target's offset in the interval.
    func start(offsetSeed: UInt64) {
        let now = unixMilliseconds()
        let base = interval - now % interval
        var offset = base + Int64((target.labels.stableHash ^ offsetSeed) % UInt64(interval))
        if offset > interval { offset -= interval }
        let first = offset
        eventLoop.execute {
            self.schedule.withLock { s in
                guard s.phase == .running else { return }
                s.next = .now() + .milliseconds(first)
                s.timer = try? self.eventLoop.scheduleCallback(at: s.next, handler: self)
            }
        }
    }

    /// Stops the loop: a scrape in flight finishes and is stored first; then, unless `quiet`
    /// (a reload whose new loop carries on, or a shutdown), the target's series are marked stale.
    @discardableResult
    func stop(quiet: Bool) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        eventLoop.execute {
            let next = self.schedule.withLock { s -> StopStep in
                switch s.phase {
                case .stopped:
                    return .done
                case .stopping:
                    s.stopWaiters.append(promise)
                    return .wait
                case .running:
                    s.quiet = quiet
                    if let timer = s.timer { self.eventLoop.cancelScheduledCallback(timer) }
                    s.timer = nil
                    s.stopWaiters.append(promise)
                    s.phase = .stopping
                    return s.inFlight ? .wait : .finish
                }
            }
            switch next {
            case .done: promise.succeed(())
            case .wait: break
            case .finish: self.finishStop()
            }
        }
        return promise.futureResult
    }

    /// The timer fired (on `eventLoop`).
    func handleScheduledCallback(eventLoop: some EventLoop) {
        let go = schedule.withLock { s -> Bool in
            s.timer = nil
            guard s.phase == .running else { return false }
            s.inFlight = true
            return true
        }
        guard go else { return }
        scrape(at: unixMilliseconds()).whenComplete { _ in
            let stopping = self.schedule.withLock { s -> Bool in
                s.inFlight = false
                if s.phase == .stopping { return true }
                s.next = s.next + .milliseconds(self.interval)
                // After a long stall, skip the missed ticks rather than scraping in a burst.
                let now = NIODeadline.now()
                while s.next < now { s.next = s.next + .milliseconds(self.interval) }
                s.timer = try? self.eventLoop.scheduleCallback(at: s.next, handler: self)
                return false
            }
            if stopping { self.finishStop() }
        }
    }

    /// After the last scrape of a stopping loop: stale markers unless quiet, then every
    /// `stop` completes.
    private func finishStop() {
        let (quiet, waiters) = schedule.withLock { s in
            defer {
                s.stopWaiters = []
                s.phase = .stopped
            }
            return (s.quiet, s.stopWaiters)
        }
        if !quiet {
            let t = unixMilliseconds()
            processor.withLock { p in
                let app = storage.appender()
                p.markTargetGone(at: t, appender: app)
                p.appendStaleReport(at: t, appender: app)
                try? app.commit()
            }
        }
        for w in waiters { w.succeed(()) }
    }

    /// One scrape at time `t` (Unix ms), from any thread: fetch, parse, append, commit, report.
    func scrapeOnce(at t: Int64) async {
        try? await eventLoop.flatSubmit { self.scrape(at: t) }.get()
    }

    /// One scrape on `eventLoop`; the future completes once it is stored.
    private func scrape(at t: Int64) -> EventLoopFuture<Void> {
        let start = NIODeadline.now()
        let fetched: EventLoopFuture<HTTPClientResponse>
        switch request {
        case .success(let r): fetched = client.execute(r, on: eventLoop)
        case .failure(let e): fetched = eventLoop.makeFailedFuture(e)
        }
        return fetched.map { response in
            self.store(.success(response), at: t, start: start)
        }.recover { error in
            self.store(.failure(error), at: t, start: start)
        }
    }

    private func store(_ fetched: Result<HTTPClientResponse, any Error>, at t: Int64, start: NIODeadline) {
        let duration = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        var failure: ScrapeError?
        var body: [UInt8] = []
        var format = ExpositionFormat.prometheusText
        switch fetched {
        case .success(let response) where response.status == 200:
            body = response.body
            format = ExpositionFormat(contentType: response.header("Content-Type"))
        case .success(let response):
            failure = .http("server returned HTTP status \(response.status) \(response.reason)")
        case .failure(let error):
            failure = .http("\(error)")
        }
        processor.withLock { p in
            // A good scrape and its report go in one commit (one write to the log).
            if failure == nil {
                let app = storage.appender()
                do throws(ScrapeError) {
                    let result = try p.process(body, format: format, timestamp: t, appender: app)
                    p.appendReport(up: true, duration: duration, result: result, at: t, appender: app)
                    do { try app.commit() } catch { throw ScrapeError.storage("\(error)") }
                    return
                } catch {
                    app.rollback()
                    failure = error
                }
            }
            let app = storage.appender()
            p.markFailedScrape(at: t, appender: app)
            p.appendReport(up: false, duration: duration, result: ScrapeProcessor.Result(), at: t, appender: app)
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
