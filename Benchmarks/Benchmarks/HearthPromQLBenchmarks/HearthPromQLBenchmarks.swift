import Benchmark
#if canImport(Glibc)
import Glibc
#endif
import HearthModel
import HearthPromQL
import HearthTSDB

/// A head with 500 counters and 100 gauges (100 hosts), 6 hours at 15 s: the shape of a
/// dashboard's data. Built once, in a temporary directory.
enum Fixture {
    static let end: Int64 = 6 * 3600 * 1000
    static let db: DB = {
        var template = Array("/tmp/hearth-promql-bench-XXXXXX".utf8CString)
        let path = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
        var options = DB.Options(path: path)
        options.snapshotOnShutdown = false
        let db = try! DB(options: options)
        let app = db.appender()
        for host in 0..<100 {
            var series: [Labels] = (0..<5).map {
                Labels(["__name__": "http_requests_total", "instance": "host-\(host)", "job": "job-\(host % 5)", "code": "\($0)00"])
            }
            series.append(Labels(["__name__": "memory_bytes", "instance": "host-\(host)", "job": "job-\(host % 5)"]))
            for (i, labels) in series.enumerated() {
                var ref: UInt64 = 0
                var v = 0.0
                for k in 0..<1440 {
                    v += Double((k * 7 + i * 13 + host) % 11)
                    ref = try! app.append(ref, labels, Int64(k) * 15_000, v)
                }
            }
            try! app.commit()
        }
        return db
    }()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(5), maxIterations: 200
    )
    let engine = Engine()
    let range: [(String, String)] = [
        ("Range 5h/60s: sum by (job) (rate(x[5m])) over 500 series", "sum by (job) (rate(http_requests_total[5m]))"),
        ("Range 5h/60s: x / 1024 over 100 series", "memory_bytes / 1024"),
        ("Range 5h/60s: rate(x[5m]) * on(instance) group_left y", "rate(http_requests_total[5m]) * on(instance) group_left memory_bytes"),
        ("Range 5h/60s: topk(5, x)", "topk(5, memory_bytes)"),
        ("Range 5h/60s: max_over_time(sum(rate(x[5m]))[30m:1m])", "max_over_time(sum(rate(http_requests_total[5m]))[30m:1m])"),
    ]
    for (name, query) in range {
        let expr = try! engine.parse(query)
        Benchmark(name) { benchmark in
            let querier = Fixture.db.querier()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try! engine.evaluate(expr, start: 3600 * 1000, end: Fixture.end, step: 60_000, querier: querier))
            }
        }
    }
    Benchmark("Instant: quantile_over_time(0.9, x[6h]) over 100 series") { benchmark in
        let expr = try! engine.parse("quantile_over_time(0.9, memory_bytes[6h])")
        let querier = Fixture.db.querier()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! engine.evaluate(expr, start: Fixture.end, end: Fixture.end, step: 0, querier: querier))
        }
    }
    Benchmark("Parse a dashboard query") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! engine.parse("histogram_quantile(0.99, sum by (le, job) (rate(request_duration_seconds_bucket{job=~\"api|web\", code!=\"500\"}[5m])))"))
        }
    }
}
