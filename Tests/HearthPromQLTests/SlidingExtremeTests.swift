import HearthModel
import HearthPromQL
import HearthPromQLTesting
import Testing

/// `max_over_time`/`min_over_time` in a range query keep a queue of the window's candidates
/// instead of scanning every window; the answers must be Prometheus's, step by step and bit for
/// bit: NaN only when the whole window is NaN, and of equal extremes (0, -0) the earliest.
@Suite struct SlidingExtremeTests {
    /// Values that make the order of comparisons show: NaNs, signed zeros, infinities, repeats.
    static let awkward: [Double] = [.nan, 0, -0.0, 1, -1, .infinity, -.infinity, 2.5, 2.5, -0.0, 0, .nan, 7]

    /// The storage and, by the `series` label, what was written to it.
    static func storage() -> (MemoryStorage, [String: [(Int64, Double)]]) {
        let s = MemoryStorage()
        var written: [String: [(Int64, Double)]] = [:]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for i in 0..<40 {
            let labels = Labels(["__name__": "gauge", "series": "s\(i)"])
            var t: Int64 = 0
            for _ in 0..<300 {
                t += Int64(5_000 + next() % 20_000)  // irregular gaps, some longer than a window
                if next() % 50 == 0 { t += 400_000 }
                let pick = Int(next() % 20)
                let v = pick < Self.awkward.count ? Self.awkward[pick] : Double(Int(next() % 9)) - 4
                let f = i % 7 == 0 ? Double.nan : v  // some series are NaN throughout
                s.append(labels, t, f)
                written["s\(i)", default: []].append((t, f))
            }
        }
        return (s, written)
    }

    /// Prometheus's rule, applied to each window on its own.
    static func reference(_ samples: [(Int64, Double)], isMax: Bool) -> Double {
        var best = samples[0].1
        for (_, f) in samples where (isMax ? f > best : f < best) || best.isNaN { best = f }
        return best
    }

    @Test(arguments: ["max_over_time", "min_over_time"]) func rangeMatchesEachWindow(_ function: String) throws {
        let (s, written) = Self.storage()
        let engine = Engine()
        let (start, end, step, range): (Int64, Int64, Int64, Int64) = (60_000, 5_000_000, 17_000, 300_000)
        for offset in ["", " offset 1m"] {
            let query = "\(function)(gauge[5m]\(offset))"
            let result = try engine.evaluate(try engine.parse(query), start: start, end: end, step: step, querier: s)
            guard case .matrix(let matrix) = result.value else {
                Issue.record("not a matrix")
                return
            }
            #expect(matrix.count == written.count)
            var checked = 0
            for series in matrix {
                let samples = try #require(written[series.labels["series"] ?? ""])
                var expected: [String] = []
                var ts = start
                while ts <= end {
                    let ref = ts - (offset.isEmpty ? 0 : 60_000)
                    let window = samples.filter { $0.0 > ref - range && $0.0 <= ref }
                    if !window.isEmpty {
                        expected.append("\(ts):\(Self.reference(window, isMax: function == "max_over_time").bitPattern)")
                    }
                    ts += step
                }
                let got = series.floats.map { "\($0.t):\($0.f.bitPattern)" }
                #expect(got == expected, "\(query) \(series.labels)")
                checked += got.count
            }
            #expect(checked > 2_000)
        }
    }
}
