import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthPromQLTesting

/// The PromQL parser on raw text, and the engine on generated queries over a small store.
enum PromQLTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget("promql-parse", "lexer, parser and type checker on raw text; what parses must print to text that parses to the same tree") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            guard let expr = try? Parser.parse(text, experimentalFunctions: true) else { return }
            let printed = expr.description
            guard let again = try? Parser.parse(printed, experimentalFunctions: true) else {
                fatalError("printed form does not parse: \(text.debugDescription) -> \(printed.debugDescription)")
            }
            // NaN literals print alike but never compare equal, so compare the printed forms.
            guard again.description == printed else {
                fatalError("printed form changes meaning: \(printed.debugDescription) -> \(again.description.debugDescription)")
            }
        },
        FuzzTarget("promql-eval", "queries generated from the grammar, evaluated as instant and range queries over a fixed store") { bytes in
            var generator = QueryGenerator(FuzzInput(bytes))
            let query = generator.query()
            let (start, end, step) = generator.window()
            FuzzTargets.trace("query \(query.debugDescription) start \(start) end \(end) step \(step)")
            let engine = Engine(options: fuzzEngineOptions)
            var request = step == 0 && start == end
                ? QueryRequest(.text(query), at: start) : QueryRequest(.text(query), start: start, end: end, step: step)
            request.timeout = .seconds(2)
            _ = try? engine.execute(request, querier: fuzzStore)
        },
    ]

    static let fuzzEngineOptions: EngineOptions = {
        var options = EngineOptions()
        options.maxSamples = 1_000_000
        options.experimentalFunctions = true
        options.parallelism = 1
        return options
    }()

    /// A few series of every shape the functions care about: counters with resets, gauges with
    /// NaN, infinities and stale markers, classic histogram buckets, and samples at the edges of
    /// the timestamp range.
    static let fuzzStore: MemoryStorage = {
        let store = MemoryStorage()
        for i in 0..<240 {
            let t = Int64(i) * 15_000
            store.append(Labels(["__name__": "up", "job": "a", "instance": "x"]), t, 1)
            store.append(Labels(["__name__": "up", "job": "b", "instance": "y"]), t, i % 7 == 0 ? 0 : 1)
            store.append(Labels(["__name__": "c_total", "job": "a", "instance": "x"]), t, Double((i % 50) * 10))
            store.append(Labels(["__name__": "g", "k": "v"]), t,
                         [1.5, -2, .nan, .infinity, -.infinity, 1e308, -1e-308, Double(bitPattern: StaleMarker.bitPattern)][i % 8])
            for le in ["0.1", "1", "10", "+Inf"] {
                store.append(Labels(["__name__": "h_bucket", "le": le, "job": "a"]), t, Double(i) * (Double(le) ?? 100))
            }
        }
        for t: Int64 in [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max] {
            store.append(Labels(["__name__": "extreme"]), t, Double(t))
        }
        return store
    }()
}

extension QueryGenerator {
    /// An evaluation window: an instant, or a range with a step, often at the edges.
    mutating func window() -> (start: Int64, end: Int64, step: Int64) {
        let times: [Int64] = [0, 1000, 1_800_000, 3_600_000, -1, 1_000_000_000_000, Int64.max / 2, Int64.min / 2, Int64.max, Int64.min]
        let start = input.pick(times)
        if input.bool() { return (start, start, 0) }
        let end = input.bool() ? start &+ input.pick([0, 1, 60_000, 3_600_000, 86_400_000]) : input.pick(times)
        let step = input.pick([1, 1000, 15_000, 60_000, 3_600_000, Int64.max, 0, -1] as [Int64])
        return (start, end, step)
    }
}
