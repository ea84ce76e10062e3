import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HearthModel
import HearthTestSupport
import HearthWAL
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hearth agent` scraping Debian's node-exporter and forwarding to Debian's Prometheus (remote
/// write receiver on), which is stopped for two minutes and started again. Afterwards every
/// sample in the agent's WAL (everything it scraped) must be in the receiver, in order, and the
/// agent must have sent each sample exactly once. Needs `prometheus`, `promtool` and
/// `prometheus-node-exporter` (Debian); skipped without them.
@Suite struct AgentOutageTests {
    static let prometheus = "/usr/bin/prometheus"
    static let nodeExporter = "/usr/bin/prometheus-node-exporter"
    static var peersInstalled: Bool {
        peerInstalled(prometheus) && peerInstalled(nodeExporter) && Promtool.available
    }
    static let outageSeconds = 120

    @Test func receiverOutageLosesNothing() async throws {
        try await runOutage(restartAgentDuringOutage: false)
    }

    @Test func agentRestartDuringReceiverOutageLosesNothing() async throws {
        try await runOutage(restartAgentDuringOutage: true)
    }

    /// A running agent whose log is collected as it goes (so its pipe never fills).
    final class AgentProcess: @unchecked Sendable {  // used by one task at a time
        let child: ChildProcess
        var log: [String] = []

        init(_ args: [String]) throws {
            guard let hearth = BuiltProducts.executable("hearth") else { throw ChildError("hearth not built") }
            child = try ChildProcess(hearth, args, mergeStderr: true)
        }

        func drain() { log += child.readLines() }

        /// SIGTERM; returns the exit status and the `sent=` the queue reported when it stopped.
        func stop() async throws -> (status: Int32, sent: Int?) {
            nonisolated(unsafe) let child = child
            let status = try await onOwnThread { child.kill(SIGTERM) }
            drain()
            let line = log.last { $0.contains("remote write: queue stopped") }
            let sent = line.flatMap { l in
                l.split(separator: " ").first { $0.hasPrefix("sent=") }.flatMap { Int($0.dropFirst(5)) }
            }
            return (status, sent)
        }
    }

    func waitForHTTP(_ url: String, seconds: Double = 30, while drain: () -> Void = {}) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            drain()
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!),
               (response as? HTTPURLResponse)?.statusCode == 200 { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    func stopPeer(_ peer: ChildProcess) async throws {
        nonisolated(unsafe) let peer = peer
        _ = try await onOwnThread { peer.kill(SIGTERM) }
    }

    func sleep(seconds: Int, draining agent: AgentProcess?) async throws {
        for _ in 0..<(seconds * 5) {
            agent?.drain()
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func runOutage(restartAgentDuringOutage: Bool) async throws {
        guard Self.peersInstalled else {
            print("skipping agent outage test: needs Debian's prometheus, promtool and prometheus-node-exporter")
            return
        }
        let tmp = TemporaryDirectory("hearth-agent-outage")
        let nodePort = freeLocalPort(), promPort = freeLocalPort(), agentPort = freeLocalPort()
        let node = try ChildProcess(Self.nodeExporter, ["--web.listen-address=127.0.0.1:\(nodePort)"], quietStderr: true)
        defer { node.kill(SIGKILL) }
        try "".write(toFile: tmp.path + "/receiver.yml", atomically: true, encoding: .utf8)
        let receiverArgs = ["--config.file=\(tmp.path)/receiver.yml", "--storage.tsdb.path=\(tmp.path)/receiver",
                            "--web.listen-address=127.0.0.1:\(promPort)", "--web.enable-remote-write-receiver"]
        var receiver = try ChildProcess(Self.prometheus, receiverArgs, quietStderr: true)
        #expect(await waitForHTTP("http://127.0.0.1:\(promPort)/-/ready"), "receiver did not become ready")

        try """
            global:
              scrape_interval: 2s
            scrape_configs:
              - job_name: node
                static_configs: [{targets: ['127.0.0.1:\(nodePort)']}]
            remote_write:
              - url: http://127.0.0.1:\(promPort)/api/v1/write
                queue_config: {batch_send_deadline: 1s, max_backoff: 2s}
            """.write(toFile: tmp.path + "/agent.yml", atomically: true, encoding: .utf8)
        let agentArgs = ["agent", "--config.file=\(tmp.path)/agent.yml", "--storage.agent.path=\(tmp.path)/agent",
                         "--web.listen-address=127.0.0.1:\(agentPort)", "--storage.agent.wal-truncate-frequency=1h"]
        var agent = try AgentProcess(agentArgs)
        #expect(await waitForHTTP("http://127.0.0.1:\(agentPort)/-/ready", while: agent.drain))
        try await sleep(seconds: 15, draining: agent)

        // The outage.
        try await stopPeer(receiver)
        var sentBeforeRestart = 0
        if restartAgentDuringOutage {
            try await sleep(seconds: Self.outageSeconds / 2, draining: agent)
            let (status, sent) = try await agent.stop()
            #expect(status == 0, "agent exit status \(status)")
            sentBeforeRestart = sent ?? -1_000_000
            try await sleep(seconds: 3, draining: nil)
            agent = try AgentProcess(agentArgs)
            try await sleep(seconds: Self.outageSeconds / 2 - 3, draining: agent)
        } else {
            try await sleep(seconds: Self.outageSeconds, draining: agent)
        }
        receiver = try ChildProcess(Self.prometheus, receiverArgs, quietStderr: true)
        #expect(await waitForHTTP("http://127.0.0.1:\(promPort)/-/ready", seconds: 60, while: agent.drain))
        // Catch up, keep scraping a little, then stop (the queue sends the rest before it exits).
        try await sleep(seconds: 20, draining: agent)
        let (status, sent) = try await agent.stop()
        #expect(status == 0, "agent exit status \(status)")
        try await stopPeer(receiver)

        // What the agent scraped: its WAL, nothing truncated (truncation runs hourly here).
        var labels: [UInt64: Labels] = [:]
        var scraped: [UInt64: [Sample]] = [:]
        var report = WALReplayReport()
        let wal = try WAL(directory: tmp.path + "/agent/wal", report: &report) { payload in
            switch WALRecordCodec.type(of: payload) {
            case .series: for s in try WALRecordCodec.decodeSeries(payload) { labels[s.ref] = s.labels }
            case .samples: try WALRecordCodec.forEachSample(payload) { scraped[$0.ref, default: []].append(Sample($0.timestamp, $0.value)) }
            case nil: break
            }
        }
        try wal.close()
        let total = scraped.values.reduce(0) { $0 + $1.count }
        let receiverPath = tmp.path + "/receiver"
        let received = try await onOwnThread { try Promtool.dump(receiverPath) }
        var missing = 0, mismatched: [String] = []
        for (ref, samples) in scraped {
            let key = Promtool.text(labels[ref]!)
            guard let got = received[key] else { missing += 1; continue }
            if !Promtool.same(samples, got) { mismatched.append("\(key): \(samples.count) scraped, \(got.count) received") }
        }
        let span = scraped.values.flatMap { $0.map(\.timestamp) }
        let minutes = Double((span.max() ?? 0) - (span.min() ?? 0)) / 60_000
        print("agent outage test (restart during outage: \(restartAgentDuringOutage)): \(total) samples in \(scraped.count) series over \(String(format: "%.1f", minutes)) min; receiver has \(received.count) series; agent reported sent=\(sentBeforeRestart) + \(sent ?? -1)")
        #expect(report.repaired == nil)
        #expect(scraped.count > 100, "node-exporter series scraped")
        #expect(minutes > Double(Self.outageSeconds) / 60, "the WAL spans the outage")
        #expect(missing == 0, "\(missing) series never reached the receiver")
        #expect(mismatched.isEmpty, "\(mismatched.prefix(3))")
        let scrapedKeys = Set(scraped.keys.map { Promtool.text(labels[$0]!) })
        let extra = received.filter { !scrapedKeys.contains($0.key) }
        #expect(extra.isEmpty, "the receiver has series the agent did not scrape: \(extra.prefix(5).map { "\($0.key): \($0.value.count) samples" })")
        #expect(sentBeforeRestart + (sent ?? -1) == total, "every scraped sample sent exactly once")
    }
}
