import Foundation
import HearthModel
import HearthTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The same rule file evaluated by Debian's Prometheus and by `hearth server` on the same data
/// (remote-written to both at the start, timestamps up to two minutes ahead, so that both have
/// every sample before any evaluation needs it): the recording-rule series and the `ALERTS`/`ALERTS_FOR_STATE` series
/// (every alert's pending → firing → resolved transition) must be identical, sample for
/// sample: the same series, the same timestamps, the same values. Both evaluate at the same
/// instants because Hearth places a group in its interval as Prometheus does (a hash of file
/// and group name). Values may differ in the last bits only where Debian's Prometheus 2.42
/// computes a function differently from the 3.x Prometheus that Hearth's PromQL follows
/// (`avg_over_time`: 2.42 keeps an incremental mean, 3.x sums with Kahan compensation and
/// divides), so values are equal when identical or within 1e-12 relative; the test reports how
/// many needed that. Needs `prometheus` (Debian); skipped without it.
@Suite struct RulesVersusPrometheusTests {
    static let intervalSeconds = 2
    static let rules = """
        groups:
          - name: compare
            interval: 2s
            rules:
              - record: code:synthetic_requests:rate10s
                expr: sum by (code) (rate(synthetic_requests_total[10s]))
              - record: job:synthetic_errors:ratio10s
                expr: sum without (code) (rate(synthetic_requests_total{code="500"}[10s])) / sum without (code) (rate(synthetic_requests_total[10s]))
                labels: {source: rules}
              - alert: HighErrorRatio
                expr: job:synthetic_errors:ratio10s > 0.2
                for: 6s
                labels: {severity: page}
                annotations: {summary: "{{ $labels.job }} errors at {{ $value | humanizePercentage }}"}
              - alert: InstanceDown
                expr: synthetic_up == 0
                for: 4s
                keep_firing_for: 4s
                labels: {severity: ticket}
          - name: compare-slow
            interval: 4s
            rules:
              - record: instance:synthetic_up:avg30s
                expr: avg_over_time(synthetic_up[30s])
        """

    static let phase: Int64 = 16_000

    /// The synthetic world, a function of time: 16-second phases after `origin`.
    struct World {
        let origin: Int64
        var counters: [String: Double] = ["200": 0, "500": 0]

        func phase(_ t: Int64) -> Int64 { t < origin ? -1 : (t - origin) / RulesVersusPrometheusTests.phase }

        /// The samples at second `t`.
        mutating func samples(at t: Int64) -> [(Labels, [Sample])] {
            let p = phase(t)
            counters["200"]! += 10
            counters["500"]! += (p == 1 || p == 2 || p == 4) ? 5 : 0.5
            let down = p == 3 || p == 5
            return [
                (Labels(["__name__": "synthetic_requests_total", "job": "api", "code": "200"]), [Sample(t, counters["200"]!)]),
                (Labels(["__name__": "synthetic_requests_total", "job": "api", "code": "500"]), [Sample(t, counters["500"]!)]),
                (Labels(["__name__": "synthetic_up", "job": "api", "instance": "a"]), [Sample(t, down ? 0 : 1)]),
                (Labels(["__name__": "synthetic_up", "job": "api", "instance": "b"]), [Sample(t, 1)]),
            ]
        }
    }

    @Test(.enabled(if: peerInstalled(Peers.prometheus), "prometheus is not installed (apt-get install prometheus); skipping"))
    func sameRecordingsAndAlertTransitions() async throws {
        let tmp = TemporaryDirectory("hearth-rules-vs-prometheus")
        let promPort = freeLocalPort(), hearthPort = freeLocalPort()
        let rulesPath = tmp.path + "/rules.yml"
        try Self.rules.write(toFile: rulesPath, atomically: true, encoding: .utf8)
        try "global: {evaluation_interval: \(Self.intervalSeconds)s}\nrule_files: ['\(rulesPath)']\n"
            .write(toFile: tmp.path + "/config.yml", atomically: true, encoding: .utf8)
        let prometheus = try ChildProcess(Peers.prometheus, [
            "--config.file=\(tmp.path)/config.yml", "--storage.tsdb.path=\(tmp.path)/prometheus",
            "--web.listen-address=127.0.0.1:\(promPort)", "--web.enable-remote-write-receiver",
        ], quietStderr: true)
        defer { prometheus.kill(SIGKILL) }
        let hearth = try HearthServerProcess(["--config.file=\(tmp.path)/config.yml", "--storage.tsdb.path=\(tmp.path)/hearth"], port: hearthPort)
        defer { hearth.child.kill(SIGKILL) }
        let promURL = "http://127.0.0.1:\(promPort)"
        #expect(await Peers.waitForHTTP("\(promURL)/-/ready"))
        #expect(await Peers.waitForHTTP("\(hearth.url)/-/ready"))

        // Benign data first, so that nothing is active before both have restored their state.
        let start = unixMilliseconds()
        var world = World(origin: (start / Self.phase + 2) * Self.phase)
        let end = world.origin + 6 * Self.phase + 10_000
        // All of it written to both at once, before any of it is evaluated.
        var batch: [(Labels, [Sample])] = []
        for t in stride(from: start / 1000 * 1000, through: end + 15_000, by: 1000) { batch += world.samples(at: t) }
        let a = try await Peers.remoteWrite("\(promURL)/api/v1/write", batch)
        let b = try await Peers.remoteWrite("\(hearth.url)/api/v1/write", batch)
        try #require(a == 204 && b == 204, "remote write: prometheus \(a), hearth \(b)")
        while unixMilliseconds() < end + 2000 {
            hearth.drain()
            try await Task.sleep(for: .seconds(1))
        }

        // Every sample the rules wrote between the origin and the end, from both.
        func samples(_ base: String, _ metric: String) async throws -> [String: [(t: Int64, v: String)]] {
            let range = (end - world.origin) / 1000 + 5
            let query = "\(metric)[\(range)s]".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let data = try #require(await Peers.apiData("\(base)/api/v1/query?query=\(query)&time=\(Double(end) / 1000)") as? [String: Any])
            var out: [String: [(t: Int64, v: String)]] = [:]
            for series in data["result"] as? [[String: Any]] ?? [] {
                let labels = (series["metric"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                let values = (series["values"] as? [[Any]] ?? []).compactMap { pair -> (t: Int64, v: String)? in
                    guard let t = pair[0] as? Double, Int64((t * 1000).rounded()) >= world.origin, let v = pair[1] as? String else { return nil }
                    return (Int64((t * 1000).rounded()), v)
                }
                if !values.isEmpty { out[labels] = values }
            }
            return out
        }
        var compared = 0, series = 0, inexact = 0
        for metric in ["code:synthetic_requests:rate10s", "job:synthetic_errors:ratio10s", "instance:synthetic_up:avg30s", "ALERTS", "ALERTS_FOR_STATE"] {
            let fromPrometheus = try await samples(promURL, metric)
            let fromHearth = try await samples(hearth.url, metric)
            #expect(!fromPrometheus.isEmpty, "Prometheus wrote no \(metric)")
            #expect(fromHearth.keys.sorted() == fromPrometheus.keys.sorted(), "\(metric): different series")
            for (key, expected) in fromPrometheus {
                let got = fromHearth[key] ?? []
                #expect(got.map(\.t) == expected.map(\.t), "\(metric) \(key): different timestamps\nprometheus: \(expected)\nhearth: \(got)")
                for (a, b) in zip(expected, got) where a.v != b.v {
                    inexact += 1
                    let x = Double(a.v) ?? .nan, y = Double(b.v) ?? .nan
                    #expect(abs(x - y) <= 1e-12 * max(abs(x), abs(y)), "\(metric) \(key) at \(a.t): prometheus \(a.v), hearth \(b.v)")
                }
                compared += expected.count
            }
            series += fromPrometheus.count
        }
        // The transitions themselves, for the record.
        let alerts = try await samples(promURL, "ALERTS")
        let transitions = alerts.keys.sorted().map { key in "\(key): \(alerts[key]!.first!.t)…\(alerts[key]!.last!.t)" }
        print("rules vs prometheus: \(series) series, \(compared) samples at the same timestamps, \(compared - inexact) values identical, \(inexact) within 1e-12; ALERTS series: \(transitions.count)")
        for t in transitions { print("  \(t)") }
        #expect(alerts.keys.contains { $0.contains("alertname=HighErrorRatio") && $0.contains("alertstate=firing") })
        #expect(alerts.keys.contains { $0.contains("alertname=InstanceDown") && $0.contains("alertstate=firing") })
        // Annotations as Prometheus renders them.
        let promAlerts = (await Peers.apiData("\(promURL)/api/v1/rules") as? [String: Any])
        let hearthRules = (await Peers.apiData("\(hearth.url)/api/v1/rules") as? [String: Any])
        #expect(names(promAlerts) == names(hearthRules))
        #expect(try await hearth.stop() == 0)
    }

    func names(_ rules: [String: Any]?) -> [String] {
        ((rules?["groups"] as? [[String: Any]]) ?? []).flatMap { g in
            ((g["rules"] as? [[String: Any]]) ?? []).map { "\(g["name"] ?? "")/\($0["name"] ?? "")/\($0["type"] ?? "")/\($0["health"] ?? "")" }
        }
    }
}
