import HearthModel
import HearthPromQL
import HearthPromQLTesting
import Testing

/// Large selections are stepped in parts on several threads; the answer must be the one a single
/// pass gives: the same series in the same order, the same values bit for bit, the same notes.
@Suite struct ParallelPartsTests {
    /// Counters (some with resets), a gauge with a non-counter name and gaps ending in stale
    /// markers, 15 s apart for an hour.
    static func storage() -> MemoryStorage {
        let s = MemoryStorage()
        for i in 0..<300 {
            let counter = Labels(["__name__": "requests_total", "pod": "p\(i)", "code": i % 3 == 0 ? "500" : "200"])
            let gauge = Labels(["__name__": "temperature", "pod": "p\(i)"])
            var total = Double(i)
            for k in 0...240 {
                let t = Int64(k) * 15_000
                total = (i % 7 == 0 && k % 50 == 49) ? 0 : total + Double((i * 31 + k * 17) % 11)
                s.append(counter, t, total)
                if i % 5 == 0 && k > 200 { continue }  // this gauge stops early, then goes stale
                s.append(gauge, t, Double((i * 13 + k * 7) % 97) / 3)
            }
            if i % 5 == 0 { s.append(gauge, 201 * 15_000, StaleMarker.value) }
        }
        return s
    }

    static let queries = [
        "rate(requests_total[5m])", "sum by (code) (increase(requests_total[10m]))", "rate(temperature[5m])",
        "max_over_time(temperature[7m])", "last_over_time(temperature[3m])", "quantile_over_time(0.9, temperature[5m])",
        "temperature", "timestamp(temperature)", "count(temperature)", "deriv(temperature[5m] offset 2m)",
    ]

    @Test(arguments: queries) func partsMatchOnePass(_ query: String) throws {
        let s = Self.storage()
        var one = EngineOptions()
        one.parallelism = 1
        var many = EngineOptions()
        many.parallelism = 4
        many.minimumSeriesPerPart = 1
        for (start, end, step): (Int64, Int64, Int64) in [(3_600_000, 3_600_000, 0), (600_000, 3_600_000, 60_000)] {
            let a = try Engine(options: one).evaluate(try Engine().parse(query), start: start, end: end, step: step, querier: s)
            let b = try Engine(options: many).evaluate(try Engine().parse(query), start: start, end: end, step: step, querier: s)
            let (x, y) = (Self.describe(a.value), Self.describe(b.value))
            #expect(!x.isEmpty)
            #expect(x == y, "\(query) at \(start)...\(end)")
            #expect(a.annotations == b.annotations)
        }
    }

    /// A query over the limit still fails when the selection would be stepped in parts.
    @Test func partsKeepTheSampleLimit() throws {
        var o = EngineOptions()
        o.parallelism = 4
        o.minimumSeriesPerPart = 1
        o.maxSamples = 5_000
        let engine = Engine(options: o)
        #expect(throws: QueryError.tooManySamples) {
            _ = try engine.evaluate(try engine.parse("rate(requests_total[5m])"), start: 600_000, end: 3_600_000,
                                    step: 60_000, querier: Self.storage())
        }
    }

    /// Labels and value bits, series by series.
    static func describe(_ value: QueryValue) -> [String] {
        switch value {
        case .matrix(let m):
            return m.map { s in "\(s.labels) " + s.floats.map { "\($0.t):\($0.f.bitPattern)" }.joined(separator: ",") }
        case .vector(let v):
            return v.map { "\($0.labels) \($0.t):\($0.f.bitPattern)" }
        case .scalar(let t, let f):
            return ["\(t):\(f.bitPattern)"]
        case .string(let t, let s):
            return ["\(t):\(s)"]
        }
    }
}
