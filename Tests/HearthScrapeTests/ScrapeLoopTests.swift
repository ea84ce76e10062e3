@testable import HearthScrape
import HearthConfig
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthStorage
import Logging
import NIOHTTP1
import Synchronization
import Testing

/// Scrape loops run on the HTTP client's event loops (a NIO timer each): they scrape on their
/// own every interval, a reload replaces changed jobs' loops without stale markers, and a stop
/// waits for the scrape in flight and stores it, then marks the target's series stale if told to.
@Suite struct ScrapeLoopTests {
    /// Serves `m 1` after an optional delay, counting requests as they arrive.
    final class Exporter: HTTPResponder, Sendable {
        let delayMilliseconds = Atomic<Int>(0)
        let started = Atomic<Int>(0)

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            started.add(1, ordering: .relaxed)
            let delay = delayMilliseconds.load(ordering: .relaxed)
            if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
            return .text(.ok, "m 1\n")
        }
    }

    /// An exporter on a local port, a recording storage and a manager, shut down after `body`.
    static func withManager(_ body: (Exporter, Int, RecordingStorage, ScrapeManager<RecordingStorage>) async throws -> Void) async throws {
        let exporter = Exporter()
        let server = HTTPServer(host: "127.0.0.1", port: 0, responder: exporter, threads: 1, logger: Logger(label: "test"))
        let port = try await server.start()
        let storage = RecordingStorage()
        let client = HTTPClient(threads: 2)
        let manager = ScrapeManager(storage: storage, client: client)
        try await body(exporter, port, storage, manager)
        await manager.stop()
        await client.shutdown()
        await server.shutdown()
    }

    /// Timeouts as long as the interval: on a loaded CI machine a short one fails scrapes (which
    /// then, rightly, write stale markers), and these tests are about the loops' lifecycle.
    static func config(port: Int, interval: String, job: String = "node") throws -> Config {
        try Config(yaml: """
            scrape_configs:
              - job_name: \(job)
                scrape_interval: \(interval)
                scrape_timeout: \(interval)
                static_configs: [{targets: ['127.0.0.1:\(port)']}]
            """)
    }

    static func samples(_ storage: RecordingStorage, _ name: String) -> [(t: Int64, v: Double)] {
        storage.committed.withLock { all in all.filter { $0.0.metricName == name }.map { ($0.1, $0.2) } }
    }

    static func waitFor(seconds: Double = 90, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    /// Stale markers of `m` that no failed scrape explains (a failed scrape writes `up` 0 and
    /// marks the last good scrape's series stale at the same timestamp).
    static func unexplainedStaleMarkers(_ storage: RecordingStorage) -> [Int64] {
        let failed = Set(samples(storage, "up").filter { $0.v == 0 }.map(\.t))
        return samples(storage, "m").filter { StaleMarker.isStale($0.v) && !failed.contains($0.t) }.map(\.t)
    }

    @Test func loopsScrapeOnTheirOwnEveryInterval() async throws {
        try await Self.withManager { _, port, storage, manager in
            manager.apply(try Self.config(port: port, interval: "500ms"))
            #expect(try await Self.waitFor { Self.samples(storage, "up").count >= 5 })
            let times = Self.samples(storage, "up").map(\.t)
            // On the loop's schedule: the typical gap is at least the interval (late ticks on a
            // busy machine make gaps longer, skipped ticks whole intervals longer; a burst of
            // catch-up scrapes would make most of them short).
            let gaps = zip(times, times.dropFirst()).map { $1 - $0 }.sorted()
            #expect(gaps[gaps.count / 2] >= 400, "gaps between scrapes: \(gaps) ms")
        }
    }

    @Test func aReloadReplacesAChangedJobsLoopsWithoutStaleMarkersAndARemovedJobGetsThem() async throws {
        try await Self.withManager { _, port, storage, manager in
            manager.apply(try Self.config(port: port, interval: "1s"))
            #expect(try await Self.waitFor { Self.samples(storage, "up").count >= 2 })
            manager.apply(try Self.config(port: port, interval: "2s"))
            let before = Self.samples(storage, "up").count
            #expect(try await Self.waitFor { Self.samples(storage, "up").count >= before + 2 })
            #expect(Self.unexplainedStaleMarkers(storage).isEmpty, "a changed job's series stay live")
            manager.apply(try Config(yaml: "scrape_configs: []"))
            #expect(try await Self.waitFor { Self.samples(storage, "up").last.map { StaleMarker.isStale($0.v) } == true })
            // The removal marks `m` stale, unless the last scrape failed (which marked it already).
            let lastReport = Self.samples(storage, "up").last { !StaleMarker.isStale($0.v) }
            #expect(!Self.unexplainedStaleMarkers(storage).isEmpty || lastReport?.v == 0, "a removed job's series are marked stale")
        }
    }

    /// A stop for a reload that removes the targets marks them stale; a shutdown does not (the
    /// targets have not gone; Prometheus writes no markers at shutdown either). Both wait for
    /// the scrape in flight and store it.
    @Test(arguments: [true, false])
    func stoppingWaitsForTheScrapeInFlightAndStoresIt(markingTargetsStale: Bool) async throws {
        try await Self.withManager { exporter, port, storage, manager in
            exporter.delayMilliseconds.store(300, ordering: .relaxed)
            manager.apply(try Self.config(port: port, interval: "5s"))
            #expect(try await Self.waitFor { exporter.started.load(ordering: .relaxed) >= 1 })
            await manager.stop(markingTargetsStale: markingTargetsStale)
            // Every scrape the exporter saw has its report stored, the one in flight included.
            let up = Self.samples(storage, "up")
            let reports = up.filter { !StaleMarker.isStale($0.v) }
            #expect(reports.count == exporter.started.load(ordering: .relaxed), "\(up)")
            guard markingTargetsStale else {
                #expect(Self.unexplainedStaleMarkers(storage).isEmpty && up.last.map { !StaleMarker.isStale($0.v) } == true,
                        "no stale markers at shutdown: \(up)")
                return
            }
            // In the order committed: the scrape that was in flight (its report, and `m` if it
            // succeeded), then the stop's stale markers. A stop that did not wait would have
            // written the markers first. (On a loaded machine the first scrape may have failed
            // and a later one been in flight: only the last two entries are checked.)
            #expect(up.count >= 2 && up.last.map { StaleMarker.isStale($0.v) } == true, "reports, then a stale marker: \(up)")
            guard up.count >= 2 else { return }
            let report = up[up.count - 2]
            #expect(!StaleMarker.isStale(report.v))
            if report.v == 1 {
                let m = Self.samples(storage, "m")
                #expect(m.count >= 2, "\(m)")
                guard m.count >= 2 else { return }
                #expect(m[m.count - 2].t == report.t && m[m.count - 2].v == 1, "the scrape in flight's sample: \(m)")
                #expect(StaleMarker.isStale(m[m.count - 1].v), "then its stale marker: \(m)")
            }
        }
    }
}
