import Foundation
import HearthModel
import HearthTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hearth server` evaluating an alerting rule on synthetic data (remote-written to it) and
/// notifying Debian's Alertmanager: the alert must appear in Alertmanager's `/api/v2/alerts`
/// with its labels (external labels included) and rendered annotations within two evaluation
/// intervals of the condition starting (the data's timestamp), and be resolved there within two
/// intervals of it ending. Needs `prometheus-alertmanager` (Debian); skipped without it.
@Suite struct AlertmanagerPeerTests {
    static let interval = 2.0

    @Test(.enabled(if: peerInstalled(Peers.alertmanager), "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager); skipping"))
    func alertFiresAndResolvesInAlertmanager() async throws {
        let tmp = TemporaryDirectory("hearth-alertmanager")
        let amPort = freeLocalPort(), hearthPort = freeLocalPort()
        try """
            route: {receiver: devnull, group_wait: 1s}
            receivers: [{name: devnull}]
            """.write(toFile: tmp.path + "/am.yml", atomically: true, encoding: .utf8)
        let am = try ChildProcess(Peers.alertmanager, ["--config.file=\(tmp.path)/am.yml", "--storage.path=\(tmp.path)/am",
                                                       "--web.listen-address=127.0.0.1:\(amPort)", "--cluster.listen-address="],
                                  quietStderr: true)
        defer { am.kill(SIGKILL) }
        #expect(await Peers.waitForHTTP("http://127.0.0.1:\(amPort)/-/ready"), "alertmanager did not become ready")

        try """
            groups:
              - name: synthetic
                rules:
                  - alert: SyntheticTooHigh
                    expr: synthetic_value > 10
                    labels:
                      severity: '{{ if gt $value 50.0 }}page{{ else }}ticket{{ end }}'
                    annotations:
                      summary: '{{ $labels.instance }} is at {{ $value | humanize }}'
                      runbook: '{{ $externalURL }}/runbooks/{{ $labels.job | toLower }}'
            """.write(toFile: tmp.path + "/rules.yml", atomically: true, encoding: .utf8)
        try """
            global:
              evaluation_interval: \(Int(Self.interval))s
              external_labels: {cluster: test-eu}
            rule_files: [rules.yml]
            alerting:
              alertmanagers:
                - static_configs: [{targets: ['127.0.0.1:\(amPort)']}]
            """.write(toFile: tmp.path + "/hearth.yml", atomically: true, encoding: .utf8)
        let hearth = try HearthServerProcess(["--config.file=\(tmp.path)/hearth.yml", "--storage.tsdb.path=\(tmp.path)/data",
                                              "--web.external-url=http://hearth.test:9090"], port: hearthPort)
        defer { hearth.child.kill(SIGKILL) }
        #expect(await Peers.waitForHTTP("\(hearth.url)/-/ready"))

        // Synthetic data, written ahead (a sample every 500 ms, up to 40 s ahead): low, high from
        // `high` on, low again from `low` on. The switch times are data timestamps, so the
        // latencies below do not depend on when this test's tasks get to run.
        let series = Labels(["__name__": "synthetic_value", "instance": "db-1:9100", "job": "Billing"])
        let now = unixMilliseconds()
        let high = (now / 1000 + 8) * 1000, low = high + 12_000, end = low + 20_000
        var samples: [Sample] = []
        for t in stride(from: now - 1000, through: end, by: 500) {
            samples.append(Sample(t, t >= high && t < low ? 72 : 3))
        }
        let status = try await Peers.remoteWrite("\(hearth.url)/api/v1/write", [(series, samples)])
        try #require(status == 204, "remote write answered \(status)")

        // Alertmanager polled every 50 ms from a thread of its own.
        let amURL = URL(string: "http://127.0.0.1:\(amPort)/api/v2/alerts")!
        let observed = try await onOwnThread { () -> (fired: Int64?, alert: Data?, resolved: Int64?) in
            func active() -> (Data, [[String: Any]])? {
                guard let data = try? Data(contentsOf: amURL),
                      let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return nil }
                return (data, list.filter { a in
                    guard let ends = a["endsAt"] as? String, let end = ISO8601DateFormatter.withFractions.date(from: ends) else { return true }
                    return end > Date()
                })
            }
            var fired: Int64?, alert: Data?, resolved: Int64?
            while unixMilliseconds() < high + 20_000, fired == nil {
                if let (data, list) = active(), !list.isEmpty { fired = unixMilliseconds(); alert = data }
                usleep(50_000)
            }
            while fired != nil, unixMilliseconds() < low + 20_000, resolved == nil {
                if let (_, list) = active(), list.isEmpty { resolved = unixMilliseconds() }
                usleep(50_000)
            }
            return (fired, alert, resolved)
        }
        let firedAt = try #require(observed.fired, "no alert in Alertmanager 20 s after the condition started; hearth log: \(hearth.log.suffix(20))")
        #expect(firedAt >= high, "the alert arrived before the condition started")
        let fireLatency = Double(firedAt - high) / 1000
        #expect(fireLatency <= 2 * Self.interval, "alert reached Alertmanager \(fireLatency) s after the condition started")
        let alerts = try #require(try JSONSerialization.jsonObject(with: observed.alert ?? Data()) as? [[String: Any]])
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert["labels"] as? [String: String] == [
            "alertname": "SyntheticTooHigh", "instance": "db-1:9100", "job": "Billing", "severity": "page", "cluster": "test-eu",
        ])
        #expect(alert["annotations"] as? [String: String] == ["summary": "db-1:9100 is at 72", "runbook": "http://hearth.test:9090/runbooks/billing"])
        #expect((alert["generatorURL"] as? String)?.hasPrefix("http://hearth.test:9090/graph?g0.expr=synthetic_value") == true)
        let resolvedAt = try #require(observed.resolved, "alert still active in Alertmanager 20 s after the condition ended")
        let resolveLatency = Double(resolvedAt - low) / 1000
        #expect(resolveLatency <= 2 * Self.interval, "resolution reached Alertmanager \(resolveLatency) s after the condition ended")

        // Hearth shows the resolved alert as gone, and its ALERTS series as written.
        let hearthAlerts = (await Peers.apiData("\(hearth.url)/api/v1/alerts") as? [String: Any])?["alerts"] as? [[String: Any]]
        #expect(hearthAlerts?.isEmpty == true)
        hearth.drain()
        print("alertmanager peer: fired after \(String(format: "%.2f", fireLatency)) s, resolved after \(String(format: "%.2f", resolveLatency)) s (evaluation interval \(Self.interval) s)")
        #expect(try await hearth.stop() == 0)
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFractions: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
