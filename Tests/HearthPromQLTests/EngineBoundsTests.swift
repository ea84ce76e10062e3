import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthPromQLTesting
import Testing

/// Times, steps and sizes at the edges never trap the engine: each ends in Prometheus's error
/// or in an answer (these inputs crashed the server before the engine bounded them).
@Suite struct EngineBoundsTests {
    static let store: MemoryStorage = {
        let s = MemoryStorage()
        for i in 0..<100 { s.append(Labels(["__name__": "up", "job": "a"]), Int64(i) * 15_000, 1) }
        return s
    }()

    func evaluate(_ query: String, start: Int64, end: Int64, step: Int64, maxSamples: Int = 1_000_000) -> Result<QueryResult, QueryError> {
        var options = EngineOptions()
        options.maxSamples = maxSamples
        let engine = Engine(options: options)
        do throws(QueryError) {
            let expr = try engine.parse(query)
            return .success(try engine.evaluate(expr, start: start, end: end, step: step, querier: Self.store))
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: [
        (Int64.min, Int64(0), Int64(1)), (Int64(0), Int64.max, Int64(1)), (Int64(0), Int64(60_000), Int64.max),
        (Int64.min / 2, Int64.min / 2, Int64(0)), (QueryTime.maximum + 1, QueryTime.maximum + 1, Int64(0)),
    ])
    func timesBeyondTheRangeAreErrors(_ start: Int64, _ end: Int64, _ step: Int64) {
        guard case .failure = evaluate("sum(up)", start: start, end: end, step: step) else {
            Issue.record("\(start)...\(end) step \(step) evaluated")
            return
        }
    }

    @Test func stepsAreBoundedByMaxSamplesBeforeAnythingIsAllocated() {
        // 9e12 steps, which the engine used to try to allocate.
        guard case .failure(let e) = evaluate("max_over_time(vector(1)[290y:1ms])", start: 0, end: 0, step: 0) else {
            Issue.record("evaluated")
            return
        }
        #expect(e == .tooManySamples)
        guard case .failure(let r) = evaluate("vector(1)", start: 0, end: 2_000_000, step: 1, maxSamples: 1_000_000) else {
            Issue.record("evaluated")
            return
        }
        #expect(r == .tooManySamples)
    }

    @Test(arguments: ["up @ 9.2e15 offset -292y", "up @ -9.2e15 offset 292y", "rate(up[292y] @ -9.2e15 offset 292y)",
                      "up offset 292y", "max_over_time(up[1h:1m] offset -292y)",
                      "max_over_time(max_over_time(up[292y:1y] offset 292y)[292y:1y] offset 292y)"])
    func offsetsAndAtTimestampsAtTheEdgesAnswer(_ query: String) {
        guard case .success = evaluate(query, start: 1_000_000, end: 1_000_000, step: 0) else {
            Issue.record("\(query) failed")
            return
        }
    }
}
