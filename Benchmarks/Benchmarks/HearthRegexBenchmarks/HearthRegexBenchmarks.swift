import Benchmark
import HearthRegex

/// Fixed label values, generated once.
enum Values {
    static let jobs: [String] = (0..<1000).map { i in ["api", "web", "db", "cache", "worker", "frontend"][i % 6] + (i % 3 == 0 ? "-\(i % 97)" : "") }
    static let paths: [String] = (0..<1000).map { i in ["/api/v1/query", "/api/v1/series", "/metrics", "/-/healthy", "/static/x.js"][i % 5] + "/\(i)" }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 10_000
    )

    Benchmark("Compile a label-matcher regex") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? RE2("(?s:(api|web)-[0-9]{1,2}|db-.*)"))
        }
    }

    let shapes: [(String, String, [String])] = [
        ("Whole match, literal set (1000 values)", "(?s:api|web|db|cache|queue)", Values.jobs),
        ("Whole match, prefix (1000 values)", "(?s:/api/.*)", Values.paths),
        ("Whole match, DFA (1000 values)", "(?s:(api|web)-[0-9]{1,2})", Values.jobs),
    ]
    for (name, pattern, values) in shapes {
        let re = try! RE2(pattern)
        Benchmark(name) { benchmark in
            for _ in benchmark.scaledIterations {
                var n = 0
                for v in values where re.wholeMatch(v) { n += 1 }
                blackHole(n)
            }
        }
    }

    let search = try! RE2("/api/v1/(query|series)/([0-9]+)")
    Benchmark("Search with submatches, Pike VM (1000 values)") { benchmark in
        for _ in benchmark.scaledIterations {
            var n = 0
            for v in Values.paths where search.firstMatch(in: v) != nil { n += 1 }
            blackHole(n)
        }
    }
}
