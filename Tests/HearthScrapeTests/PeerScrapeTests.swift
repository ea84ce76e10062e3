import Foundation
import HearthConfig
import HearthExposition
import HearthHTTPClient
import HearthModel
import HearthStorage
@testable import HearthScrape
import HearthTestSupport
import Synchronization
import Testing

/// Scraping real exporters: Debian's prometheus-node-exporter and a Prometheus's own /metrics,
/// in both formats (skipped where the peers are not installed; .ci/run installs them).
@Suite(.serialized) struct PeerScrapeTests {
    static let nodeExporter = "/usr/bin/prometheus-node-exporter"
    static let prometheus = "/usr/bin/prometheus"

    /// Starts the peers and waits until both answer.
    static func withPeers(_ body: (_ node: String, _ prometheus: String) async throws -> Void) async throws {
        let nodePort = freeLocalPort(), promPort = freeLocalPort()
        let tmp = TemporaryDirectory()
        try "global: {scrape_interval: 1h}\n".write(toFile: tmp.path + "/p.yml", atomically: true, encoding: .utf8)
        let node = try ChildProcess(nodeExporter, ["--web.listen-address=127.0.0.1:\(nodePort)"], quietStderr: true)
        let prom = try ChildProcess(prometheus, ["--config.file=\(tmp.path)/p.yml", "--storage.tsdb.path=\(tmp.path)/data",
                                                 "--web.listen-address=127.0.0.1:\(promPort)"], quietStderr: true)
        defer {
            _ = node.kill(SIGTERM)
            _ = prom.kill(SIGTERM)
        }
        let client = HTTPClient()
        for port in [nodePort, promPort] {
            for attempt in 0..<100 {
                if let r = try? await client.execute(url: try HTTPURL("http://127.0.0.1:\(port)/metrics"), timeout: 1000), r.status == 200 { break }
                if attempt == 99 { throw ChildError("peer on \(port) did not start") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        await client.shutdown()
        try await body("127.0.0.1:\(nodePort)", "127.0.0.1:\(promPort)")
    }

    /// Rewrites text-format exposition as OpenMetrics with the Python client library (the
    /// OpenMetrics project's reference code), or nil where it is not installed.
    static func openMetrics(fromText text: [UInt8]) throws -> [UInt8]? {
        let tmp = TemporaryDirectory()
        let input = tmp.path + "/in.txt", output = tmp.path + "/out.txt"
        try Data(text).write(to: URL(fileURLWithPath: input))
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            from prometheus_client.openmetrics.exposition import generate_latest
            class Families:
                def __init__(self, families): self.families = families
                def collect(self): return self.families
            families = list(text_string_to_metric_families(open(sys.argv[1]).read()))
            open(sys.argv[2], "wb").write(generate_latest(Families(families)))
            """
        for python in ["/usr/bin/python3", "/usr/local/bin/python3", "/root/.pyenv/shims/python3"] where peerInstalled(python) {
            if (try? runProgram(python, ["-c", script, input, output]))?.status == 0 {
                return try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
            }
        }
        return nil
    }

    static func parse(_ body: [UInt8], _ format: ExpositionFormat) throws -> [String: Double] {
        var scanner = ExpositionScanner(body, format: format)
        var out: [String: Double] = [:]
        while let event = try scanner.next() {
            guard event == .sample else { continue }
            out[try scanner.labels().description] = scanner.value
        }
        return out
    }

    @Test func realExpositionOutputParsesInBothFormats() async throws {
        guard peerInstalled(Self.nodeExporter), peerInstalled(Self.prometheus) else {
            print("peer scrape tests: skipped, prometheus and prometheus-node-exporter are not installed")
            return
        }
        try await Self.withPeers { node, prom in
            let client = HTTPClient()
            defer { Task { await client.shutdown() } }
            for (name, address) in [("node-exporter", node), ("prometheus", prom)] {
                // Debian's builds answer the text format even to an OpenMetrics Accept header;
                // the format follows the response's Content-Type.
                let r = try await client.execute(url: try HTTPURL("http://\(address)/metrics"),
                                                 headers: [("Accept", ScrapeProtocols.acceptHeader(["OpenMetricsText1.0.0", "PrometheusText0.0.4"])), ("Accept-Encoding", "gzip")],
                                                 timeout: 5000)
                #expect(r.status == 200)
                let format = ExpositionFormat(contentType: r.header("Content-Type"))
                let text = try Self.parse(r.body, format)
                #expect(text.count > 100, "\(name): \(text.count) series")
                guard format == .prometheusText, let om = try Self.openMetrics(fromText: r.body) else {
                    print("\(name): \(text.count) series (\(format)); OpenMetrics comparison skipped: python prometheus_client not installed")
                    continue
                }
                // Strictly, Go's go_memstats_alloc_bytes gauge and go_memstats_alloc_bytes_total
                // counter clash as OpenMetrics families; scrapes (like Prometheus's) accept it.
                var verdict = "strictly valid"
                do throws(ExpositionError) { try OpenMetricsValidator.validate(om) } catch {
                    verdict = "strict check: \(error)"
                    #expect(error.reason.contains("go_memstats_alloc_bytes"), "\(name): \(error)")
                }
                let fromOM = try Self.parse(om, .openMetrics)
                // The same series and values, give or take the _created series OpenMetrics adds.
                let mismatches = text.filter { key, value in fromOM[key].map { $0 != value && !($0.isNaN && value.isNaN) } ?? true }
                #expect(mismatches.isEmpty, "\(name): \(mismatches.prefix(5))")
                print("\(name): \(text.count) series in the text format, \(fromOM.count) in OpenMetrics, same values; \(verdict)")
            }
        }
    }

    @Test func scrapeManagerScrapesNodeExporterAndReportsTargets() async throws {
        guard peerInstalled(Self.nodeExporter), peerInstalled(Self.prometheus) else {
            print("peer scrape tests: skipped, prometheus and prometheus-node-exporter are not installed")
            return
        }
        try await Self.withPeers { node, prom in
            let config = try Config(yaml: """
                scrape_configs:
                  - job_name: node
                    scrape_interval: 1h
                    static_configs: [{targets: ['\(node)']}]
                  - job_name: prometheus
                    scrape_interval: 1h
                    static_configs: [{targets: ['\(prom)']}]
                  - job_name: nothing-listens
                    scrape_interval: 1h
                    static_configs: [{targets: ['127.0.0.1:1']}]
                """)
            let storage = RecordingStorage()
            let client = HTTPClient()
            let manager = ScrapeManager(storage: storage, client: client)
            manager.apply(config)
            await manager.scrapeAllNow()
            let (active, _) = manager.targets()
            #expect(active.count == 3)
            for t in active {
                #expect(t.health == (t.scrapePool == "nothing-listens" ? "down" : "up"), "\(t.scrapePool): \(t.lastError)")
            }
            let names = storage.committed.withLock { all in Set(all.compactMap { $0.0.metricName }) }
            #expect(names.contains("node_cpu_seconds_total") && names.contains("prometheus_build_info") && names.contains("up"))
            await manager.stop(markingTargetsStale: true)
            await client.shutdown()
            // Stopping the targets (as a reload that removes them does) marks every series stale.
            let stale = storage.committed.withLock { all in all.filter { StaleMarker.isStale($0.2) }.count }
            #expect(stale > 100)
        }
    }
}
