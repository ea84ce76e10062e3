import Foundation
import HearthModel
import HearthTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real restart of `hearth server` in the middle of an alert's `for`: after the restart the
/// alert keeps the time it had already been pending (restored from `ALERTS_FOR_STATE`; the
/// downtime is added, as Prometheus does), so it fires about `for` after the condition started
/// plus the downtime, not `for` after the restart.
@Suite struct AlertRestoreTests {
    static let hold: Int64 = 30_000

    @Test func pendingAlertSurvivesARestart() async throws {
        let tmp = TemporaryDirectory("hearth-alert-restore")
        let port = freeLocalPort()
        try """
            groups:
              - name: restore
                interval: 1s
                rules:
                  - alert: SlowlyTooHigh
                    expr: synthetic_value > 10
                    for: \(Self.hold / 1000)s
            """.write(toFile: tmp.path + "/rules.yml", atomically: true, encoding: .utf8)
        try "rule_files: [rules.yml]\n".write(toFile: tmp.path + "/hearth.yml", atomically: true, encoding: .utf8)
        let args = ["--config.file=\(tmp.path)/hearth.yml", "--storage.tsdb.path=\(tmp.path)/data", "--rules.alert.for-grace-period=2s"]
        var hearth = try HearthServerProcess(args, port: port)
        defer { hearth.child.kill(SIGKILL) }
        #expect(await Peers.waitForHTTP("\(hearth.url)/-/ready"))

        // High from `high` on, for a minute, written ahead.
        let now = unixMilliseconds()
        let high = (now / 1000 + 3) * 1000
        let series = Labels(["__name__": "synthetic_value", "job": "restore"])
        let samples = stride(from: now - 1000, through: high + 60_000, by: 500).map { Sample($0, $0 >= high ? 50 : 1) }
        try #require(try await Peers.remoteWrite("\(hearth.url)/api/v1/write", [(series, samples)]) == 204)

        // Pending for about half of `for`, then a restart.
        @Sendable func alert(_ base: String) -> (state: String, activeAt: Date)? {
            guard let data = try? Data(contentsOf: URL(string: base + "/api/v1/alerts")!),
                  let body = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let a = ((body["data"] as? [String: Any])?["alerts"] as? [[String: Any]])?.first,
                  let state = a["state"] as? String, let at = a["activeAt"] as? String,
                  let activeAt = ISO8601DateFormatter.withFractions.date(from: at) ?? ISO8601DateFormatter().date(from: at) else { return nil }
            return (state, activeAt)
        }
        let url = hearth.url
        // Waited for, checked and stopped from a thread of its own: this test's tasks can be held
        // up by other tests for longer than the alert's `for`.
        let first = hearth
        let (pending, stopped, exitStatus) = try await onOwnThread { () -> ((state: String, activeAt: Date)?, Int64, Int32) in
            while unixMilliseconds() < high + AlertRestoreTests.hold / 2 { usleep(100_000) }
            let pending = alert(url)
            let stopped = unixMilliseconds()
            return (pending, stopped, first.child.kill(SIGTERM))
        }
        let before = try #require(pending, "no pending alert before the restart")
        #expect(before.state == "pending")
        #expect(exitStatus == 0)
        hearth = try HearthServerProcess(args, port: port)
        #expect(await Peers.waitForHTTP("\(hearth.url)/-/ready"))
        let restarted = unixMilliseconds()

        // Watch it fire, from a thread of its own.
        let fired = try await onOwnThread { () -> (at: Int64, activeAt: Date)? in
            while unixMilliseconds() < restarted + 2 * AlertRestoreTests.hold {
                if let a = alert(url), a.state == "firing" { return (unixMilliseconds(), a.activeAt) }
                usleep(100_000)
            }
            return nil
        }
        let firing = try #require(fired, "the alert did not fire within twice its `for` after the restart")
        let downtime = Double(restarted - stopped) / 1000
        let sinceRestart = Double(firing.at - restarted) / 1000
        let activeAtShift = firing.activeAt.timeIntervalSince(before.activeAt)
        print("alert restore: pending \(Double(stopped - high) / 1000) s of \(Self.hold / 1000) s, down \(downtime) s, fired \(sinceRestart) s after the restart; activeAt moved by \(activeAtShift) s")
        #expect(sinceRestart < Double(Self.hold) / 1000 - 6, "fired \(sinceRestart) s after the restart: the for state was reset")
        #expect(activeAtShift > 0 && activeAtShift < downtime + 5, "activeAt moved by \(activeAtShift) s for a downtime of \(downtime) s")
        #expect(try await hearth.stop() == 0)
    }
}
