import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthPromQLTesting
import HearthTestSupport
import Testing

/// The same data in Debian's real Prometheus (blocks written by `promtool tsdb
/// create-blocks-from openmetrics`) and in Hearth; a battery of queries must give the same
/// answers through Prometheus's HTTP API and Hearth's engine. Needs the `prometheus` package
/// (prometheus and promtool); skipped without it.
///
/// Debian ships Prometheus 2.42, whose range selectors include their left boundary (3.x
/// excludes it), so samples sit at :03/:18/:33/:48 and queries run at :30, where the two
/// agree; other 2.x/3.x differences are kept out of the battery.
@Suite(.serialized) struct PrometheusDifferentialTests {
    static let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")

    static let queries = [
        "http_requests_total", "memory_bytes offset 7m", "memory_bytes @ end()",
        "rate(http_requests_total[5m])", "irate(http_requests_total[5m])", "increase(http_requests_total[10m])",
        "delta(memory_bytes[10m])", "idelta(memory_bytes[5m])", "deriv(memory_bytes[15m])",
        "predict_linear(memory_bytes[15m], 600)", "changes(memory_bytes[10m])", "resets(http_requests_total[30m])",
        "avg_over_time(memory_bytes[10m])", "sum_over_time(memory_bytes[10m])", "min_over_time(memory_bytes[10m])",
        "max_over_time(memory_bytes[10m])", "count_over_time(memory_bytes[10m])", "stddev_over_time(memory_bytes[10m])",
        "stdvar_over_time(memory_bytes[10m])", "quantile_over_time(0.9, memory_bytes[20m])",
        "present_over_time(memory_bytes[1m])", "absent_over_time(nonexistent[5m])",
        "sum(rate(http_requests_total[5m]))", "sum by (code) (rate(http_requests_total[5m]))",
        "avg without (instance) (rate(http_requests_total[5m]))", "max by (job) (memory_bytes)", "min(memory_bytes)",
        "count(memory_bytes > 500)", "stddev(memory_bytes)", "stdvar by (job) (memory_bytes)",
        "quantile(0.3, memory_bytes)", "topk(2, memory_bytes)", "bottomk(2, rate(http_requests_total[5m]))",
        "count_values(\"value\", round(memory_bytes / 100))", "group by (instance) (http_requests_total)",
        "sum(http_requests_total) by (instance) / on(instance) group_left memory_bytes",
        "rate(http_requests_total[5m]) * on(instance) group_left(version) node_info",
        "memory_bytes > bool 500", "memory_bytes > 500", "500 < memory_bytes", "memory_bytes % 7", "memory_bytes ^ 0.5",
        "-memory_bytes", "memory_bytes and on(instance) (http_requests_total{code=\"500\"} > 0)",
        "memory_bytes unless on(instance) node_info{version=\"2\"}", "memory_bytes or node_info",
        "sum by (instance) (http_requests_total) - ignoring(job) memory_bytes",
        "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[10m])))",
        "histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
        "histogram_quantile(0.99, sum by (le, instance) (rate(request_duration_seconds_bucket[5m])))",
        "rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m])",
        "label_replace(memory_bytes, \"host\", \"h-$1\", \"instance\", \"i(.*)\")",
        "label_join(memory_bytes, \"both\", \"/\", \"job\", \"instance\")",
        "absent(nonexistent{job=\"x\"})", "absent(memory_bytes)", "clamp(memory_bytes, 400, 600)",
        "clamp_min(memory_bytes, 500)", "clamp_max(memory_bytes, 500)", "round(memory_bytes, 10)", "abs(-memory_bytes)",
        "ceil(memory_bytes / 3)", "floor(memory_bytes / 3)", "sqrt(memory_bytes)", "exp(memory_bytes / 1000)",
        "ln(memory_bytes)", "log2(memory_bytes)", "log10(memory_bytes)", "sgn(memory_bytes - 500)",
        "timestamp(memory_bytes)", "hour(timestamp(memory_bytes))", "day_of_week()", "minute(timestamp(memory_bytes))",
        "scalar(sum(memory_bytes))", "vector(time())", "time() - timestamp(memory_bytes)", "sort(memory_bytes)",
        "max_over_time(rate(http_requests_total[5m])[30m:1m])", "avg_over_time(sum(memory_bytes)[20m:2m] offset 5m)",
        "min_over_time(memory_bytes[10m:] )", "sum(memory_bytes) + on() group_left count(node_info)",
        "1 + 2 * 3 ^ 2", "memory_bytes / on(instance, job) memory_bytes",
    ]

    @Test(.enabled(if: available, "Debian's prometheus/promtool are absent; skipping the differential test against Prometheus"))
    func sameAnswersAsPrometheus() async throws {
        let dir = TemporaryDirectory("hearth-promdiff")
        let t0 = (Int64(Date().timeIntervalSince1970) / 3600 - 3) * 3600  // seconds, hour-aligned, 3h ago
        let (openMetrics, storage) = Self.data(start: t0)
        let omPath = dir.path + "/data.om"
        try openMetrics.write(toFile: omPath, atomically: true, encoding: .utf8)
        let tsdb = dir.path + "/tsdb"
        let create = try ChildProcess("/usr/bin/promtool", ["tsdb", "create-blocks-from", "openmetrics", omPath, tsdb],
                                      quietStderr: true)
        #expect(create.wait() == 0, "promtool create-blocks-from openmetrics failed: \(create.readLines())")
        try "global:\n  scrape_interval: 15s\n".write(toFile: dir.path + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = 19_090 + Int(getpid() % 500)
        let prometheus = try ChildProcess("/usr/bin/prometheus", [
            "--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(tsdb)",
            "--web.listen-address=127.0.0.1:\(port)", "--storage.tsdb.retention.time=30d",
        ], quietStderr: true)
        defer {
            _ = prometheus.kill(SIGKILL)
            _ = prometheus.wait()
        }
        let base = "http://127.0.0.1:\(port)"
        var ready = false
        for _ in 0..<100 {
            if (try? await Self.get(base + "/-/ready")) != nil { ready = true; break }
            sleepMilliseconds(100)
        }
        try #require(ready, "Prometheus did not become ready")

        let engine = Engine()
        var compared = 0, nonEmpty = 0
        let instants = [t0 + 45 * 60 + 30, t0 + 90 * 60 + 30, t0 + 119 * 60 + 30]
        for q in Self.queries {
            for t in instants {
                let theirs = try await Self.prometheusQuery(base, q, params: "time=\(t)")
                let ours = try engine.evaluate(try engine.parse(q), start: t * 1000, end: t * 1000, step: 0, querier: storage)
                Self.compare(q, "instant at \(t - t0)s", theirs, Self.normalize(ours.value))
                compared += 1
                if !theirs.isEmpty { nonEmpty += 1 }
            }
            let (start, end) = (t0 + 40 * 60 + 30, t0 + 110 * 60 + 30)
            let theirs = try await Self.prometheusQuery(base, q, params: "start=\(start)&end=\(end)&step=60", range: true)
            let ours = try engine.evaluate(try engine.parse(q), start: start * 1000, end: end * 1000, step: 60_000, querier: storage)
            Self.compare(q, "range", theirs, Self.normalize(ours.value))
            compared += 1
            if !theirs.isEmpty { nonEmpty += 1 }
        }
        print("prometheus differential: \(compared) query evaluations compared (\(Self.queries.count) queries), \(nonEmpty) with data")
        // Guards against comparing two empty answers: all but the absent() cases return data.
        #expect(nonEmpty >= compared - 8)
    }

    /// Result as labels → points (t in ms, value); a scalar is the empty label set.
    typealias Result = [String: [(Int64, Double)]]

    static func normalize(_ v: QueryValue) -> Result {
        switch v {
        case .scalar(let t, let f): return ["{}": [(t, f)]]
        case .string: return [:]
        case .vector(let samples):
            var out: Result = [:]
            for s in samples { out[s.labels.promString] = [(s.t, s.f)] }
            return out
        case .matrix(let series):
            var out: Result = [:]
            for s in series { out[s.labels.promString] = s.floats.map { ($0.t, $0.f) } }
            return out
        }
    }

    static func compare(_ query: String, _ mode: String, _ theirs: Result, _ ours: Result) {
        guard Set(theirs.keys) == Set(ours.keys) else {
            Issue.record("\(query) (\(mode)): series differ: Prometheus \(theirs.keys.sorted()), Hearth \(ours.keys.sorted())")
            return
        }
        for (labels, points) in theirs {
            let mine = ours[labels]!
            guard points.count == mine.count else {
                Issue.record("\(query) (\(mode)) \(labels): \(points.count) points in Prometheus, \(mine.count) in Hearth")
                continue
            }
            for (p, m) in zip(points, mine) where p.0 != m.0 || !close(p.1, m.1) {
                Issue.record("\(query) (\(mode)) \(labels): Prometheus \(p.1)@\(p.0), Hearth \(m.1)@\(m.0)")
                break
            }
        }
    }

    /// Equal up to float summation order (Prometheus 2.42 does not use Kahan summation).
    static func close(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    }

    static func get(_ url: String) async throws -> Data {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw ChildError("GET \(url): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    static func prometheusQuery(_ base: String, _ query: String, params: String, range: Bool = false) async throws -> Result {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let data = try await get("\(base)/api/v1/\(range ? "query_range" : "query")?query=\(encoded)&\(params)")
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let payload = json["data"] as! [String: Any]
        func point(_ p: [Any]) -> (Int64, Double) {
            let t = Int64(((p[0] as? Double) ?? Double(p[0] as! Int)) * 1000)
            let s = p[1] as! String
            let v = s == "NaN" ? Double.nan : s == "+Inf" ? .infinity : s == "-Inf" ? -.infinity : Double(s)!
            return (t, v)
        }
        func labels(_ m: [String: String]) -> String {
            Labels(m).promString
        }
        switch payload["resultType"] as! String {
        case "scalar": return ["{}": [point(payload["result"] as! [Any])]]
        case "vector":
            var out: Result = [:]
            for e in payload["result"] as! [[String: Any]] { out[labels(e["metric"] as! [String: String])] = [point(e["value"] as! [Any])] }
            return out
        case "matrix":
            var out: Result = [:]
            for e in payload["result"] as! [[String: Any]] {
                out[labels(e["metric"] as! [String: String])] = (e["values"] as! [[Any]]).map(point)
            }
            return out
        default: return [:]
        }
    }

    /// Two hours of samples every 15 s (at :03, :18, :33, :48): counters with a reset, gauges,
    /// a classic histogram and an info metric; as OpenMetrics text (seconds) and in memory (ms).
    static func data(start t0: Int64) -> (String, MemoryStorage) {
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> Double {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(rng >> 11) / Double(1 << 53)
        }
        let storage = MemoryStorage()
        var text = ""
        let steps = 480
        func emit(_ name: String, _ labels: [String: String], _ values: [Double]) {
            let l = Labels(labels.merging(["__name__": name]) { a, _ in a })
            let rendered = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
            for (k, v) in values.enumerated() {
                let t = t0 + 3 + 15 * Int64(k)
                text += "\(name){\(rendered)} \(formatFloatLikeGo(v)) \(t)\n"
                storage.append(l, t * 1000, v)
            }
        }
        let instances = ["i0", "i1", "i2", "i3"]
        text += "# TYPE http_requests unknown\n"
        for (n, instance) in instances.enumerated() {
            for code in ["200", "500"] {
                var v = 0.0
                var values: [Double] = []
                for k in 0..<steps {
                    v += (code == "200" ? 10 : 1) * random() * Double(n + 1)
                    if n == 1 && code == "200" && k == 200 { v = random() }  // a counter reset
                    values.append(v.rounded())
                }
                emit("http_requests_total", ["job": "api", "instance": instance, "code": code], values)
            }
        }
        text += "# TYPE memory_bytes unknown\n"
        for (n, instance) in instances.enumerated() {
            var v = 300.0 + 100 * Double(n)
            emit("memory_bytes", ["job": n < 2 ? "api" : "db", "instance": instance], (0..<steps).map { _ in
                v += (random() - 0.5) * 40
                return v.rounded()
            })
        }
        text += "# TYPE node_info unknown\n"
        for (n, instance) in instances.enumerated() {
            emit("node_info", ["instance": instance, "version": "\(n % 2 + 1)"], Array(repeating: 1, count: steps))
        }
        text += "# TYPE request_duration_seconds unknown\n"
        let bounds = ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"]
        for instance in instances {
            var counts = Array(repeating: 0.0, count: bounds.count)
            var sum = 0.0
            var series = Array(repeating: [Double](), count: bounds.count)
            var sums: [Double] = []
            for _ in 0..<steps {
                for _ in 0..<5 {
                    let d = random() * random() * 1.5
                    sum += d
                    for (i, b) in bounds.enumerated() where b == "+Inf" || d <= Double(b)! { counts[i] += 1 }
                }
                for i in bounds.indices { series[i].append(counts[i]) }
                sums.append((sum * 1000).rounded() / 1000)
            }
            for (i, b) in bounds.enumerated() {
                emit("request_duration_seconds_bucket", ["instance": instance, "le": b], series[i])
            }
            emit("request_duration_seconds_sum", ["instance": instance], sums)
            emit("request_duration_seconds_count", ["instance": instance], series[bounds.count - 1])
        }
        text += "# EOF\n"
        return (text, storage)
    }
}
