import HearthModel

/// Functions over a range vector, evaluated per series and step over the samples in
/// `(rangeStart, rangeEnd]`. They return nil where Prometheus returns no sample.
enum RangeFunctions {
    typealias Function = @Sendable (_ window: ArraySlice<FPoint>, _ call: RangeCall, _ evaluator: Evaluator) -> Double?

    static let table: [String: Function] = [
        "rate": { w, c, _ in extrapolatedRate(w, c, isCounter: true, isRate: true) },
        "increase": { w, c, _ in extrapolatedRate(w, c, isCounter: true, isRate: false) },
        "delta": { w, c, _ in extrapolatedRate(w, c, isCounter: false, isRate: false) },
        "irate": { w, _, _ in instantValue(w, isRate: true) },
        "idelta": { w, _, _ in instantValue(w, isRate: false) },
        "avg_over_time": { w, _, _ in average(w) },
        "sum_over_time": { w, _, _ in
            var s = KahanSum()
            for p in w { s.add(p.f) }
            return s.value
        },
        "count_over_time": { w, _, _ in Double(w.count) },
        "min_over_time": { w, _, _ in extreme(w) { $0 < $1 } },
        "max_over_time": { w, _, _ in extreme(w) { $0 > $1 } },
        "ts_of_min_over_time": { w, _, _ in timestampOfExtreme(w) { $0 <= $1 } },
        "ts_of_max_over_time": { w, _, _ in timestampOfExtreme(w) { $0 >= $1 } },
        "last_over_time": { w, _, _ in w.last!.f },
        "first_over_time": { w, _, _ in w.first!.f },
        "ts_of_last_over_time": { w, _, _ in Double(w.last!.t) / 1000 },
        "ts_of_first_over_time": { w, _, _ in Double(w.first!.t) / 1000 },
        "present_over_time": { _, _, _ in 1 },
        "absent_over_time": { _, _, _ in 1 },
        "stddev_over_time": { w, _, _ in variance(w).squareRoot() },
        "stdvar_over_time": { w, _, _ in variance(w) },
        "mad_over_time": { w, _, _ in
            var values = w.map(\.f)
            if values.contains(where: \.isNaN) { return .nan }
            let median = quantile(0.5, &values)
            for i in values.indices { values[i] = abs(values[i] - median) }
            return quantile(0.5, &values)
        },
        "quantile_over_time": { w, c, e in
            let q = c.scalars[0]
            if q.isNaN || q < 0 || q > 1 { e.annotations.warn(invalidQuantile(q)) }
            var values = w.map(\.f)
            return quantile(q, &values)
        },
        "changes": { w, _, _ in
            var changes = 0
            var prev = w.first!.f
            for p in w.dropFirst() {
                if p.f != prev && !(p.f.isNaN && prev.isNaN) { changes += 1 }
                prev = p.f
            }
            return Double(changes)
        },
        "resets": { w, _, _ in
            var resets = 0
            var prev = w.first!.f
            for p in w.dropFirst() {
                if p.f < prev { resets += 1 }
                prev = p.f
            }
            return Double(resets)
        },
        "deriv": { w, _, _ in
            guard w.count >= 2 else { return nil }
            return linearRegression(w, interceptTime: w.first!.t).slope
        },
        "predict_linear": { w, c, _ in
            guard w.count >= 2 else { return nil }
            let (slope, intercept) = linearRegression(w, interceptTime: c.ts)
            return slope * c.scalars[0] + intercept
        },
        "double_exponential_smoothing": { w, c, _ in doubleExponentialSmoothing(w, c) },
    ]

    /// `rate`, `increase` and `delta`: the change over the window, corrected for counter resets,
    /// extrapolated towards the window's edges (by at most half an average sample interval, and
    /// for counters never below zero).
    static func extrapolatedRate(_ w: ArraySlice<FPoint>, _ c: RangeCall, isCounter: Bool, isRate: Bool) -> Double? {
        guard w.count >= 2 else { return nil }
        let first = w.first!, last = w.last!
        var result = last.f - first.f
        if isCounter {
            var prev = first.f
            for p in w.dropFirst() {
                if p.f < prev { result += prev }
                prev = p.f
            }
        }
        var durationToStart = Double(first.t - c.rangeStart) / 1000
        var durationToEnd = Double(c.rangeEnd - last.t) / 1000
        let sampledInterval = Double(last.t - first.t) / 1000
        let averageInterval = sampledInterval / Double(w.count - 1)
        let threshold = averageInterval * 1.1
        if durationToStart >= threshold { durationToStart = averageInterval / 2 }
        if isCounter {
            var durationToZero = durationToStart
            if result > 0 && first.f >= 0 { durationToZero = sampledInterval * (first.f / result) }
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        if durationToEnd >= threshold { durationToEnd = averageInterval / 2 }
        var factor = 1.0
        if sampledInterval != 0 { factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval }
        if isRate { factor /= Double(c.range) / 1000 }
        return result * factor
    }

    /// `irate` and `idelta`: from the last two samples.
    static func instantValue(_ w: ArraySlice<FPoint>, isRate: Bool) -> Double? {
        guard w.count >= 2 else { return nil }
        let last = w[w.endIndex - 1], prev = w[w.endIndex - 2]
        let interval = last.t - prev.t
        guard interval != 0 else { return nil }
        var result = last.f
        if !isRate || !(last.f < prev.f) { result = last.f - prev.f }
        if isRate { result /= Double(interval) / 1000 }
        return result
    }

    static func average(_ w: ArraySlice<FPoint>) -> Double {
        var mean = KahanMean(w.first!.f)
        for p in w.dropFirst() { mean.add(p.f) }
        return mean.value
    }

    static func extreme(_ w: ArraySlice<FPoint>, _ better: (Double, Double) -> Bool) -> Double {
        var best = w.first!.f
        for p in w where better(p.f, best) || best.isNaN { best = p.f }
        return best
    }

    static func timestampOfExtreme(_ w: ArraySlice<FPoint>, _ better: (Double, Double) -> Bool) -> Double {
        var best = w.first!.f
        var t = w.first!.t
        for p in w where better(p.f, best) || best.isNaN {
            best = p.f
            t = p.t
        }
        return Double(t) / 1000
    }

    /// Population variance (Welford's method with Kahan-compensated accumulators).
    static func variance(_ w: ArraySlice<FPoint>) -> Double {
        var count = 0.0, mean = 0.0, cMean = 0.0, aux = 0.0, cAux = 0.0
        for p in w {
            count += 1
            let delta = p.f - (mean + cMean)
            (mean, cMean) = KahanSum.increment(delta / count, mean, cMean)
            (aux, cAux) = KahanSum.increment(delta * (p.f - (mean + cMean)), aux, cAux)
        }
        return (aux + cAux) / count
    }

    /// Least-squares fit of value over time (seconds relative to `interceptTime`).
    static func linearRegression(_ w: ArraySlice<FPoint>, interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var sumX = KahanSum(), sumY = KahanSum(), sumXY = KahanSum(), sumX2 = KahanSum()
        let initY = w.first!.f
        var constY = true
        for p in w {
            if constY && p.f != initY { constY = false }
            n += 1
            let x = Double(p.t - interceptTime) / 1e3
            sumX.add(x)
            sumY.add(p.f)
            sumXY.add(x * p.f)
            sumX2.add(x * x)
        }
        if constY {
            if initY.isInfinite { return (.nan, .nan) }
            return (0, initY)
        }
        let sx = sumX.sum + sumX.c, sy = sumY.sum + sumY.c
        let sxy = sumXY.sum + sumXY.c, sx2 = sumX2.sum + sumX2.c
        let covXY = sxy - sx * sy / n
        let varX = sx2 - sx * sx / n
        let slope = covXY / varX
        return (slope, sy / n - slope * sx / n)
    }

    /// Why the factors of `double_exponential_smoothing` are refused, or nil.
    static func smoothingFactorsError(_ c: RangeCall) -> QueryError? {
        let sf = c.scalars[0], tf = c.scalars[1]
        if sf <= 0 || sf >= 1 || sf.isNaN {
            return .execution("invalid smoothing factor. Expected: 0 < sf < 1, got: \(goFixed(sf))")
        }
        if tf <= 0 || tf >= 1 || tf.isNaN {
            return .execution("invalid trend factor. Expected: 0 < tf < 1, got: \(goFixed(tf))")
        }
        return nil
    }

    static func doubleExponentialSmoothing(_ w: ArraySlice<FPoint>, _ c: RangeCall) -> Double? {
        let sf = c.scalars[0], tf = c.scalars[1]
        guard w.count >= 2 else { return nil }
        let values = w.map(\.f)
        var s0 = 0.0, s1 = values[0], b = values[1] - values[0]
        for i in 1..<values.count {
            let x = sf * values[i]
            if i - 1 != 0 { b = tf * (s1 - s0) + (1 - tf) * b }
            let y = (1 - sf) * (s1 + b)
            (s0, s1) = (s1, x + y)
        }
        return s1
    }
}

/// Go's `%f`: six decimals.
func goFixed(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    let scaled = (abs(v) * 1_000_000).rounded()
    let whole = Int64(scaled / 1_000_000)
    let frac = Int64(scaled) - whole * 1_000_000
    var f = String(frac)
    while f.count < 6 { f = "0" + f }
    return (v < 0 ? "-" : "") + "\(whole).\(f)"
}

func invalidQuantile(_ q: Double) -> String {
    "quantile value should be between 0 and 1, got \(formatGo(q))"
}

/// Go's `%g` for the values Prometheus puts in messages.
func formatGo(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == v.rounded() && abs(v) < 1e21 { return String(Int64(v)) }
    return "\(v)"
}

/// Prometheus's `quantile`: linear interpolation between the closest ranks (sorts `values`).
func quantile(_ q: Double, _ values: inout [Double]) -> Double {
    if values.isEmpty || q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    values.sort { ($0.isNaN && !$1.isNaN) || $0 < $1 }  // NaN first, as Prometheus's heap order
    let n = Double(values.count)
    let rank = q * (n - 1)
    let lower = max(0, rank.rounded(.down))
    let upper = min(n - 1, lower + 1)
    let weight = rank - rank.rounded(.down)
    return values[Int(lower)] * (1 - weight) + values[Int(upper)] * weight
}

/// Prometheus's mean: a Kahan-compensated sum divided at the end, switching to an incremental
/// mean only if the sum would overflow.
struct KahanMean {
    private var sum: Double
    private var c = 0.0
    private var mean = 0.0
    private(set) var count = 1.0
    private var incremental = false

    init(_ first: Double) { sum = first }

    mutating func add(_ f: Double) {
        count += 1
        if !incremental {
            let (s, nc) = KahanSum.increment(f, sum, c)
            if !s.isInfinite {
                sum = s
                c = nc
                return
            }
            incremental = true
            mean = sum / (count - 1)
            c /= count - 1
        }
        let q = (count - 1) / count
        (mean, c) = KahanSum.increment(f / count, q * mean, q * c)
    }

    var value: Double { incremental ? mean + c : sum / count + c / count }
}

/// Kahan–Neumaier summation, as Prometheus's `kahansum.Inc`.
struct KahanSum {
    var sum = 0.0
    var c = 0.0

    mutating func add(_ v: Double) { (sum, c) = KahanSum.increment(v, sum, c) }

    /// The compensated sum (infinities are returned as they are).
    var value: Double { sum.isInfinite ? sum : sum + c }

    @inline(never)
    static func increment(_ inc: Double, _ sum: Double, _ c: Double) -> (Double, Double) {
        let t = sum + inc
        var c = c
        if t.isInfinite {
            c = 0
        } else if abs(sum) >= abs(inc) {
            c += (sum - t) + inc
        } else {
            c += (inc - t) + sum
        }
        return (t, c)
    }
}
