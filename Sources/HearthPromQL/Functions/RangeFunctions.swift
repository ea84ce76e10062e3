import HearthModel
import HearthPromQLParser

/// Functions over a range vector, evaluated per series and step over the samples in
/// `(rangeStart, rangeEnd]`. They return nil where Prometheus returns no sample.
///
/// The function is chosen once per call site (`Kind`) and then applied to windows given as
/// buffers into the series' samples: the per-window cost is the arithmetic, not dispatch or
/// reference counting.
enum RangeFunctions {
    enum Kind {
        case rate, increase, delta, irate, idelta, avg, sum, count, min, max, tsOfMin, tsOfMax, last, first
        case tsOfLast, tsOfFirst, present, absent, stddev, stdvar, mad, quantile, changes, resets, deriv
        case predictLinear, doubleExponentialSmoothing

        init?(_ name: String) {
            switch name {
            case "rate": self = .rate
            case "increase": self = .increase
            case "delta": self = .delta
            case "irate": self = .irate
            case "idelta": self = .idelta
            case "avg_over_time": self = .avg
            case "sum_over_time": self = .sum
            case "count_over_time": self = .count
            case "min_over_time": self = .min
            case "max_over_time": self = .max
            case "ts_of_min_over_time": self = .tsOfMin
            case "ts_of_max_over_time": self = .tsOfMax
            case "last_over_time": self = .last
            case "first_over_time": self = .first
            case "ts_of_last_over_time": self = .tsOfLast
            case "ts_of_first_over_time": self = .tsOfFirst
            case "present_over_time": self = .present
            case "absent_over_time": self = .absent
            case "stddev_over_time": self = .stddev
            case "stdvar_over_time": self = .stdvar
            case "mad_over_time": self = .mad
            case "quantile_over_time": self = .quantile
            case "changes": self = .changes
            case "resets": self = .resets
            case "deriv": self = .deriv
            case "predict_linear": self = .predictLinear
            case "double_exponential_smoothing": self = .doubleExponentialSmoothing
            default: return nil
            }
        }
    }

    /// The window's position and the call's scalar arguments.
    struct Window {
        /// The evaluation step.
        var ts: Int64
        /// The window is `(rangeStart, rangeEnd]`.
        var rangeStart: Int64
        var rangeEnd: Int64
        /// The selector's range in milliseconds.
        var range: Int64
        /// Scalar arguments at this step, in argument order without the range vector.
        var scalar0 = Double.nan
        var scalar1 = Double.nan
        /// Set when the whole series has no counter reset: `rate` and `increase` skip the search.
        var resetFree = false
    }

    @inline(__always)
    static func evaluate(_ kind: Kind, _ w: UnsafeBufferPointer<FPoint>, _ c: Window, scratch: inout [Double]) -> Double? {
        switch kind {
        case .rate: return extrapolatedRate(w, c, isCounter: true, isRate: true)
        case .increase: return extrapolatedRate(w, c, isCounter: true, isRate: false)
        case .delta: return extrapolatedRate(w, c, isCounter: false, isRate: false)
        case .irate: return instantValue(w, isRate: true)
        case .idelta: return instantValue(w, isRate: false)
        case .avg: return average(w)
        case .sum:
            var s = KahanSum()
            for p in w { s.add(p.f) }
            return s.value
        case .count: return Double(w.count)
        case .min: return extreme(w) { $0 < $1 }
        case .max: return extreme(w) { $0 > $1 }
        case .tsOfMin: return timestampOfExtreme(w) { $0 <= $1 }
        case .tsOfMax: return timestampOfExtreme(w) { $0 >= $1 }
        case .last: return w[w.count - 1].f
        case .first: return w[0].f
        case .tsOfLast: return Double(w[w.count - 1].t) / 1000
        case .tsOfFirst: return Double(w[0].t) / 1000
        case .present, .absent: return 1
        case .stddev: return variance(w).squareRoot()
        case .stdvar: return variance(w)
        case .mad:
            scratch.removeAll(keepingCapacity: true)
            for p in w {
                if p.f.isNaN { return .nan }
                scratch.append(p.f)
            }
            let median = quantile(0.5, &scratch)
            for i in scratch.indices { scratch[i] = abs(scratch[i] - median) }
            return quantile(0.5, &scratch)
        case .quantile:
            scratch.removeAll(keepingCapacity: true)
            for p in w { scratch.append(p.f) }
            return quantile(c.scalar0, &scratch)
        case .changes:
            var changes = 0
            var prev = w[0].f
            for i in 1..<w.count {
                let f = w[i].f
                if f != prev && !(f.isNaN && prev.isNaN) { changes += 1 }
                prev = f
            }
            return Double(changes)
        case .resets:
            var resets = 0
            var prev = w[0].f
            for i in 1..<w.count {
                if w[i].f < prev { resets += 1 }
                prev = w[i].f
            }
            return Double(resets)
        case .deriv:
            guard w.count >= 2 else { return nil }
            return linearRegression(w, interceptTime: w[0].t).slope
        case .predictLinear:
            guard w.count >= 2 else { return nil }
            let (slope, intercept) = linearRegression(w, interceptTime: c.ts)
            return slope * c.scalar0 + intercept
        case .doubleExponentialSmoothing: return doubleExponentialSmoothing(w, c)
        }
    }

    /// `rate`, `increase` and `delta`: the change over the window, corrected for counter resets,
    /// extrapolated towards the window's edges (by at most half an average sample interval, and
    /// for counters never below zero).
    static func extrapolatedRate(_ w: UnsafeBufferPointer<FPoint>, _ c: Window, isCounter: Bool, isRate: Bool) -> Double? {
        guard w.count >= 2 else { return nil }
        let first = w[0], last = w[w.count - 1]
        var result = last.f - first.f
        if isCounter && !c.resetFree {
            var prev = first.f
            for i in 1..<w.count {
                let f = w[i].f
                if f < prev { result += prev }
                prev = f
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
    static func instantValue(_ w: UnsafeBufferPointer<FPoint>, isRate: Bool) -> Double? {
        guard w.count >= 2 else { return nil }
        let last = w[w.count - 1], prev = w[w.count - 2]
        let interval = last.t - prev.t
        guard interval != 0 else { return nil }
        var result = last.f
        if !isRate || !(last.f < prev.f) { result = last.f - prev.f }
        if isRate { result /= Double(interval) / 1000 }
        return result
    }

    static func average(_ w: UnsafeBufferPointer<FPoint>) -> Double {
        var mean = KahanMean(w[0].f)
        for i in 1..<w.count { mean.add(w[i].f) }
        return mean.value
    }

    @inline(__always)
    static func extreme(_ w: UnsafeBufferPointer<FPoint>, _ better: (Double, Double) -> Bool) -> Double {
        var best = w[0].f
        for p in w where better(p.f, best) || best.isNaN { best = p.f }
        return best
    }

    @inline(__always)
    static func timestampOfExtreme(_ w: UnsafeBufferPointer<FPoint>, _ better: (Double, Double) -> Bool) -> Double {
        var best = w[0].f
        var t = w[0].t
        for p in w where better(p.f, best) || best.isNaN {
            best = p.f
            t = p.t
        }
        return Double(t) / 1000
    }

    /// Population variance (Welford's method with Kahan-compensated accumulators).
    static func variance(_ w: UnsafeBufferPointer<FPoint>) -> Double {
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
    static func linearRegression(_ w: UnsafeBufferPointer<FPoint>, interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var sumX = KahanSum(), sumY = KahanSum(), sumXY = KahanSum(), sumX2 = KahanSum()
        let initY = w[0].f
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
    static func smoothingFactorsError(_ c: Window) -> QueryError? {
        let sf = c.scalar0, tf = c.scalar1
        if sf <= 0 || sf >= 1 || sf.isNaN {
            return .execution("invalid smoothing factor. Expected: 0 < sf < 1, got: \(goFixed(sf))")
        }
        if tf <= 0 || tf >= 1 || tf.isNaN {
            return .execution("invalid trend factor. Expected: 0 < tf < 1, got: \(goFixed(tf))")
        }
        return nil
    }

    static func doubleExponentialSmoothing(_ w: UnsafeBufferPointer<FPoint>, _ c: Window) -> Double? {
        let sf = c.scalar0, tf = c.scalar1
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
    // Whole numbers past 2^53 have no fraction to print (and would not fit the Int64 below).
    if abs(v) >= 9e15 { return formatFloatLikeGo(v.rounded(.towardZero)) + ".000000" }
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
    if v == v.rounded() && abs(v) < 9e18 { return String(Int64(v)) }
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
