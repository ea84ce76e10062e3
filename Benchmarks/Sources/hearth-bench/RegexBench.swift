import Foundation
import HearthRegex

/// Label-matcher regex shapes on realistic label values, timed for Hearth's engine, Swift's
/// `Regex` and `NSRegularExpression`, all anchored as Prometheus anchors matchers
/// (`^(?s:pattern)$`). Writes the same shapes and values as JSON for the Go counterpart.
enum RegexBench {
    struct Shape: Codable {
        let name: String
        let pattern: String
        let values: [String]
    }

    static func shapes() -> [Shape] {
        var seed: UInt64 = 42
        func next() -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(seed >> 33)
        }
        let jobs = ["api", "web", "db", "cache", "queue", "frontend", "worker", "scheduler", "billing", "auth"]
        let metrics = ["node_cpu_seconds_total", "node_memory_MemFree_bytes", "http_requests_total", "up",
                       "process_cpu_seconds_total", "go_goroutines", "node_network_receive_bytes_total",
                       "prometheus_tsdb_head_series", "http_request_duration_seconds_bucket"]
        let paths = ["/api/v1/query", "/api/v1/query_range", "/metrics", "/-/healthy", "/api/v1/series",
                     "/static/app.js", "/federate", "/api/v2/foo/bar", "/debug/pprof/heap", "/login"]
        func many(_ base: [String]) -> [String] {
            (0..<1000).map { i in
                let b = base[next() % base.count]
                return i % 3 == 0 ? b + "-" + String(next() % 100) : b
            }
        }
        let instances = (0..<1000).map { _ in "host-\(next() % 500).eu-west-\(next() % 3).example.com:9100" }
        return [
            Shape(name: "literal set", pattern: "api|web|db|cache|queue", values: many(jobs)),
            Shape(name: "prefix", pattern: "node_.*", values: many(metrics)),
            Shape(name: "suffix", pattern: ".*_total", values: many(metrics)),
            Shape(name: ".*foo.*", pattern: ".*query.*", values: many(paths)),
            Shape(name: "case-insensitive literal", pattern: "(?i)WORKER", values: many(jobs)),
            Shape(name: "general: alternation + classes", pattern: "host-[0-9]+\\.eu-west-[12]\\..*", values: instances),
            Shape(name: "general: groups", pattern: "(api|web)-[0-9]{1,2}", values: many(jobs)),
            Shape(name: "general: .*(a|b).*", pattern: ".*(query|series).*", values: many(paths)),
        ]
    }

    static func run(jsonOut: String) throws {
        let all = shapes()
        try JSONEncoder().encode(all).write(to: URL(fileURLWithPath: jsonOut))
        print("shape | Hearth RE2 matches/s | Swift Regex | NSRegularExpression | Hearth strategy")
        for shape in all {
            let anchored = "^(?s:" + shape.pattern + ")$"
            let re = try RE2("(?s:" + shape.pattern + ")")
            let swiftRegex = try Regex(anchored)
            let ns = try NSRegularExpression(pattern: anchored)
            var expected = 0
            let hearth = rate(shape.values) { re.wholeMatch($0) }
            let swift = rate(shape.values) { (try? swiftRegex.wholeMatch(in: $0)) != nil }
            let nsRate = rate(shape.values) { v in
                ns.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil
            }
            // All three engines must agree on every value.
            for v in shape.values {
                let a = re.wholeMatch(v)
                let b = (try? swiftRegex.wholeMatch(in: v)) != nil
                let c = ns.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil
                precondition(a == b && b == c, "engines disagree on \(shape.pattern) / \(v)")
                if a { expected += 1 }
            }
            print("\(shape.name) | \(Int(hearth)) | \(Int(swift)) | \(Int(nsRate)) | \(re.strategy) (\(expected)/\(shape.values.count) match)")
        }
    }

    /// Matches per second, best of three rounds of at least 0.2 s.
    static func rate(_ values: [String], _ body: (String) -> Bool) -> Double {
        var best = 0.0
        for _ in 0..<3 {
            var n = 0
            var hits = 0
            let start = now()
            var elapsed = 0.0
            repeat {
                for v in values where body(v) { hits += 1 }
                n += values.count
                elapsed = now() - start
            } while elapsed < 0.2
            if hits < 0 { print(hits) }
            best = max(best, Double(n) / elapsed)
        }
        return best
    }
}
