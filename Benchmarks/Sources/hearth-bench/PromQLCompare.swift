import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthTSDB

/// `hearth-bench promql SERIES HOURS`: the same data in Debian's Prometheus (blocks from
/// `promtool tsdb create-blocks-from openmetrics`) and in Hearth's head; each query runs in both,
/// and the engine times are compared: Prometheus's own `evalTotalTime` from `stats=all` (series
/// selection, evaluation and sorting, no HTTP or JSON), Hearth's `Engine.evaluate` over the head.
enum PromQLCompare {
    static let queries: [(String, Bool)] = [
        ("sum(rate(http_requests_total[5m]))", true),
        ("sum by (job, code) (rate(http_requests_total[5m]))", true),
        ("histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))", true),
        ("topk(5, memory_bytes)", true),
        ("avg_over_time(memory_bytes[1h])", true),
        ("memory_bytes / 1024 / 1024", true),
        ("rate(http_requests_total[5m]) * on(instance) group_left(version) node_info", true),
        ("max_over_time(sum(rate(http_requests_total[5m]))[30m:1m])", true),
        ("http_requests_total", false),
        ("count by (job) (memory_bytes > 500)", false),
        ("quantile_over_time(0.9, memory_bytes[6h])", false),
    ]

    /// With `profile`, only Hearth runs that query (index into `queries`) 30 times, for perf.
    static func run(series: Int, hours: Int, profile: Int? = nil) throws {
        let dir = tempDir()
        defer { _ = system("rm -rf '\(dir)'") }
        let end = (Int64(Date().timeIntervalSince1970) / 3600) * 3600 - 3600
        let start = end - Int64(hours) * 3600
        print("generating \(series) series x \(hours)h at 15s ...")
        let db = try DB(options: {
            var o = DB.Options(path: dir + "/hearth")
            o.snapshotOnShutdown = false
            return o
        }())
        let omPath = dir + "/data.om"
        FileManager.default.createFile(atPath: omPath, contents: nil)
        let out = FileHandle(forWritingAtPath: omPath)!
        var samples = 0
        let steps = hours * 240
        var rng: UInt64 = 42
        func random() -> Double {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(rng >> 11) / Double(1 << 53)
        }
        let app = db.appender()
        var families: [String: [(Labels, [Double])]] = [:]
        let instances = max(1, series / 20)
        for i in 0..<instances {
            let instance = "host-\(i)"
            let job = "job-\(i % 5)"
            for code in ["200", "404", "500"] {
                var v = 0.0
                families["http_requests_total", default: []].append((
                    Labels(["__name__": "http_requests_total", "instance": instance, "job": job, "code": code]),
                    (0..<steps).map { _ in v += (random() * 10).rounded(); return v }))
            }
            var m = 1000.0
            families["memory_bytes", default: []].append((
                Labels(["__name__": "memory_bytes", "instance": instance, "job": job]),
                (0..<steps).map { _ in m += ((random() - 0.5) * 50).rounded(); return m }))
            families["node_info", default: []].append((
                Labels(["__name__": "node_info", "instance": instance, "version": "\(i % 3)"]),
                Array(repeating: 1, count: steps)))
            var counts = Array(repeating: 0.0, count: 15)
            var bucketValues = Array(repeating: [Double](), count: 15)
            for _ in 0..<steps {
                for _ in 0..<3 {
                    let d = random() * random() * 10
                    for b in 0..<15 where b == 14 || d <= 0.01 * pow(2, Double(b)) { counts[b] += 1 }
                }
                for b in 0..<15 { bucketValues[b].append(counts[b]) }
            }
            for b in 0..<15 {
                let le = b == 14 ? "+Inf" : formatFloatLikeGo(0.01 * pow(2, Double(b)))
                families["request_duration_seconds_bucket", default: []].append((
                    Labels(["__name__": "request_duration_seconds_bucket", "instance": instance, "job": job, "le": le]),
                    bucketValues[b]))
            }
        }
        for (name, list) in families.sorted(by: { $0.key < $1.key }) {
            out.write("# TYPE \(name) unknown\n".data(using: .utf8)!)
            for (labels, values) in list {
                let rendered = labels.filter { $0.name != "__name__" }.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
                var text = ""
                var ref: UInt64 = 0
                for (k, v) in values.enumerated() {
                    let t = start + 15 * Int64(k)
                    text += "\(name){\(rendered)} \(formatFloatLikeGo(v)) \(t)\n"
                    ref = try app.append(ref, labels, t * 1000, v)
                }
                samples += values.count
                out.write(text.data(using: .utf8)!)
            }
            try app.commit()
        }
        out.write("# EOF\n".data(using: .utf8)!)
        try out.close()
        let seriesCount = families.values.reduce(0) { $0 + $1.count }
        if let profile {
            let (query, isRange) = queries[profile]
            let engine = Engine()
            let expr = try engine.parse(query)
            let t0 = now()
            for _ in 0..<30 {
                _ = try engine.evaluate(expr, start: isRange ? (start + 3600) * 1000 : end * 1000, end: end * 1000,
                                        step: isRange ? 60_000 : 0, querier: db.querier())
            }
            print("\(query): \(String(format: "%.2f", (now() - t0) / 30 * 1000)) ms per run")
            try db.close()
            return
        }
        print("series=\(seriesCount) samples=\(samples); writing Prometheus blocks with promtool ...")
        guard system("promtool tsdb create-blocks-from openmetrics '\(omPath)' '\(dir)/prom' > /dev/null 2>&1") == 0 else {
            print("promtool failed")
            return
        }
        try "global:\n  scrape_interval: 15s\n".write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = 19_500
        let pid = Process()
        pid.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        pid.arguments = ["--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/prom",
                         "--web.listen-address=127.0.0.1:\(port)", "--storage.tsdb.retention.time=30d"]
        pid.standardError = FileHandle.nullDevice
        try pid.run()
        defer { pid.terminate() }
        let base = "http://127.0.0.1:\(port)"
        for _ in 0..<100 where (try? get(base + "/-/ready")) == nil { usleep(100_000) }

        let engine = Engine()
        let querier = db.querier()
        print("| query | kind | Prometheus 2.42 (ms) | Hearth (ms) | Prometheus / Hearth |")
        print("|---|---|---|---|---|")
        for (query, isRange) in queries {
            let enc = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let url = isRange
                ? "\(base)/api/v1/query_range?query=\(enc)&start=\(start + 3600)&end=\(end)&step=60&stats=all"
                : "\(base)/api/v1/query?query=\(enc)&time=\(end)&stats=all"
            let expr = try engine.parse(query)
            var theirs: [Double] = [], ours: [Double] = []
            for round in 0..<8 {
                let json = try JSONSerialization.jsonObject(with: try get(url)) as! [String: Any]
                let stats = ((json["data"] as! [String: Any])["stats"] as! [String: Any])["timings"] as! [String: Any]
                let t0 = now()
                if isRange {
                    _ = try engine.evaluate(expr, start: (start + 3600) * 1000, end: end * 1000, step: 60_000, querier: querier)
                } else {
                    _ = try engine.evaluate(expr, start: end * 1000, end: end * 1000, step: 0, querier: querier)
                }
                let ms = (now() - t0) * 1000
                if round > 0 {  // the first round warms caches on both sides
                    theirs.append((stats["evalTotalTime"] as! Double) * 1000)
                    ours.append(ms)
                }
            }
            let p = median(theirs), h = median(ours)
            print("| `\(query)` | \(isRange ? "range \(hours - 1)h/60s" : "instant") | \(String(format: "%.2f", p)) | \(String(format: "%.2f", h)) | \(String(format: "%.2fx", p / h)) |")
        }
        try db.close()
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func get(_ url: String) throws -> Data {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<Data, any Error> = .failure(URLError(.unknown))
        URLSession.shared.dataTask(with: URL(string: url)!) { data, response, error in
            if let data, (response as? HTTPURLResponse)?.statusCode == 200 {
                result = .success(data)
            } else {
                result = .failure(error ?? URLError(.badServerResponse))
            }
            semaphore.signal()
        }.resume()
        semaphore.wait()
        return try result.get()
    }
}
