import Foundation
import HearthModel
import HearthTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hearth server` evaluating an alerting rule on synthetic data (remote-written to it) and
/// notifying Debian's Alertmanager: the alert must appear in Alertmanager's `/api/v2/alerts`
/// with its labels (external labels included) and rendered annotations within two evaluation
/// intervals of the condition starting, and be resolved there within two intervals of it
/// ending. Needs `prometheus-alertmanager` (Debian); skipped without it.
@Suite struct AlertmanagerPeerTests {
    static let interval = 2.0

    final class Value: Sendable {
        let current = Mutex<Double>(0)
    }

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

        // Synthetic data: one sample a second at the current time, with the value set below.
        let value = Value()
        let series = Labels(["__name__": "synthetic_value", "instance": "db-1:9100", "job": "Billing"])
        let writer = Task {
            while !Task.isCancelled {
                let v = value.current.withLock { $0 }
                _ = try? await Peers.remoteWrite("\(hearth.url)/api/v1/write", [(series, [Sample(unixMilliseconds(), v)])])
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        defer { writer.cancel() }
        try await Task.sleep(for: .seconds(3 * Self.interval))

        func alerts() async -> [[String: Any]] {
            (await Peers.json("http://127.0.0.1:\(amPort)/api/v2/alerts") as? [[String: Any]]) ?? []
        }
        func isActive(_ a: [String: Any]) -> Bool {
            guard let ends = a["endsAt"] as? String, let end = ISO8601DateFormatter.withFractions.date(from: ends) else { return true }
            return end > Date()
        }
        #expect(await alerts().isEmpty)

        // The condition starts.
        value.current.withLock { $0 = 72 }
        let started = Date()
        var fired: [String: Any]?
        while Date().timeIntervalSince(started) < 4 * Self.interval, fired == nil {
            fired = await alerts().first { isActive($0) }
            if fired == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let fireLatency = Date().timeIntervalSince(started)
        let alert = try #require(fired, "no alert in Alertmanager \(4 * Self.interval) s after the condition started; hearth log: \(hearth.log.suffix(20))")
        #expect(fireLatency <= 2 * Self.interval, "alert reached Alertmanager after \(fireLatency) s")
        #expect(alert["labels"] as? [String: String] == [
            "alertname": "SyntheticTooHigh", "instance": "db-1:9100", "job": "Billing", "severity": "page", "cluster": "test-eu",
        ])
        #expect(alert["annotations"] as? [String: String] == ["summary": "db-1:9100 is at 72", "runbook": "http://hearth.test:9090/runbooks/billing"])
        #expect((alert["generatorURL"] as? String)?.hasPrefix("http://hearth.test:9090/graph?g0.expr=synthetic_value") == true)

        // Hearth reports the same alert.
        let hearthAlerts = (await Peers.apiData("\(hearth.url)/api/v1/alerts") as? [String: Any])?["alerts"] as? [[String: Any]]
        #expect(hearthAlerts?.first?["state"] as? String == "firing")

        // The condition ends.
        value.current.withLock { $0 = 3 }
        let ended = Date()
        var resolved = false
        while Date().timeIntervalSince(ended) < 4 * Self.interval, !resolved {
            resolved = await alerts().allSatisfy { !isActive($0) }
            if !resolved { try await Task.sleep(for: .milliseconds(100)) }
        }
        let resolveLatency = Date().timeIntervalSince(ended)
        #expect(resolved, "alert still active in Alertmanager \(4 * Self.interval) s after the condition ended")
        #expect(resolveLatency <= 2 * Self.interval, "resolution reached Alertmanager after \(resolveLatency) s")
        hearth.drain()
        print("alertmanager peer: fired after \(String(format: "%.2f", fireLatency)) s, resolved after \(String(format: "%.2f", resolveLatency)) s (evaluation interval \(Self.interval) s)")
        writer.cancel()
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
