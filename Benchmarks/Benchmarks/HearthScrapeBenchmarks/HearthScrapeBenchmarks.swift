import Benchmark
import HearthConfig
import HearthExposition
import HearthModel
import HearthScrape
import HearthStorage

/// A node-exporter-like body: 1,000 series in 50 families, 3 labels each.
let body: [UInt8] = {
    var text = ""
    for f in 0..<50 {
        text += "# HELP node_metric_\(f)_total Help text for family \(f).\n# TYPE node_metric_\(f)_total counter\n"
        for s in 0..<20 {
            text += "node_metric_\(f)_total{cpu=\"\(s)\",mode=\"user\",device=\"eth\(s % 4)\"} \(Double(f * 1000 + s) * 1.5)\n"
        }
    }
    return Array(text.utf8)
}()

/// Storage that takes every sample and keeps nothing: isolates the scrape path's own cost.
struct DiscardingStorage: Appendable {
    struct Discarder: Appender {
        func append(_ ref: UInt64, _ labels: Labels, _ t: Int64, _ v: Double) -> UInt64 { ref == 0 ? 1 : ref }
        func commit() {}
        func rollback() {}
    }
    func appender() -> Discarder { Discarder() }
}

func makeProcessor() -> ScrapeProcessor {
    let config = try! Config(yaml: "scrape_configs:\n  - job_name: node\n").scrapeConfigs[0]
    guard case .target(let target) = ScrapeTarget.populate(
        address: "node:9100", group: TargetGroup(targets: ["node:9100"], labels: Labels(), source: "static"), config: config)
    else { fatalError("no target") }
    return ScrapeProcessor(target: target, config: config)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .instructions], maxDuration: .seconds(2))

    Benchmark("Scan 1,000-series text body (no label decoding)") { benchmark in
        for _ in benchmark.scaledIterations {
            var scanner = ExpositionScanner(body, format: .prometheusText)
            var n = 0
            while let e = try scanner.next() { if e == .sample { n += 1 } }
            blackHole(n)
        }
    }

    Benchmark("Scrape 1,000 series, steady state (cached refs)") { benchmark in
        var processor = makeProcessor()
        let storage = DiscardingStorage()
        _ = try processor.process(body, format: .prometheusText, timestamp: 1, appender: storage.appender())
        var t: Int64 = 2
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try processor.process(body, format: .prometheusText, timestamp: t, appender: storage.appender()))
            t += 1
        }
    }

    Benchmark("Scrape 1,000 series, first scrape (labels, target labels, cache fill)") { benchmark in
        let storage = DiscardingStorage()
        for _ in benchmark.scaledIterations {
            var processor = makeProcessor()
            blackHole(try processor.process(body, format: .prometheusText, timestamp: 1, appender: storage.appender()))
        }
    }
}
