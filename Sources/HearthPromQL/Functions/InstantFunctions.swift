import HearthModel
import HearthPromQLParser

/// Functions over instant vectors and scalars, evaluated once per step.
enum InstantFunctions {
    typealias Function = @Sendable (_ call: FunctionCall) -> Vector

    static let table: [String: Function] = {
        var t: [String: Function] = [
            "time": { c in [VectorSample(labels: Labels(), f: Double(c.ts) / 1000)] },
            "pi": { _ in [VectorSample(labels: Labels(), f: Double.pi)] },
            "start": { c in [VectorSample(labels: Labels(), f: Double(c.evaluator.context.queryStart) / 1000)] },
            "end": { c in [VectorSample(labels: Labels(), f: Double(c.evaluator.context.queryEnd) / 1000)] },
            "range": { c in
                let ctx = c.evaluator.context
                return [VectorSample(labels: Labels(), f: Double(ctx.queryEnd - ctx.queryStart) / 1000)]
            },
            "step": { c in [VectorSample(labels: Labels(), f: Double(c.evaluator.context.queryStep) / 1000)] },
            "min_of": { c in [VectorSample(labels: Labels(), f: goMin(c.scalar(0), c.scalar(1)))] },
            "max_of": { c in [VectorSample(labels: Labels(), f: goMax(c.scalar(0), c.scalar(1)))] },
            "vector": { c in [VectorSample(labels: Labels(), f: c.scalar(0))] },
            "scalar": { c in
                [VectorSample(labels: Labels(), f: c.inputs[0].count == 1 ? c.inputs[0][0].f : .nan)]
            },
            "absent": { c in
                c.inputs[0].isEmpty ? [VectorSample(labels: c.evaluator.absentLabels(c.args[0]), f: 1, dropName: true)] : []
            },
            "sort": { c in
                // Ascending, NaN last; a stable sort keeps equal values in input order.
                sortedStable(c.inputs[0]) { a, b in !a.f.isNaN && (b.f.isNaN || a.f < b.f) }
            },
            "sort_desc": { c in sortedStable(c.inputs[0]) { a, b in !a.f.isNaN && (b.f.isNaN || a.f > b.f) } },
            "sort_by_label": { c in sortByLabel(c, descending: false) },
            "sort_by_label_desc": { c in sortByLabel(c, descending: true) },
            "histogram_quantile": { c in HistogramFunctions.quantile(c) },
            "histogram_fraction": { c in HistogramFunctions.fraction(c) },
            "histogram_quantiles": { c in HistogramFunctions.quantiles(c) },
            // Native histograms are not stored yet: these have nothing to return for float series.
            "histogram_count": { _ in [] },
            "histogram_sum": { _ in [] },
            "histogram_avg": { _ in [] },
            "histogram_stddev": { _ in [] },
            "histogram_stdvar": { _ in [] },
        ]
        let dates: [String: @Sendable (CivilTime) -> Double] = [
            "year": { Double($0.year) }, "month": { Double($0.month) }, "day_of_month": { Double($0.day) },
            "day_of_year": { Double($0.dayOfYear) }, "day_of_week": { Double($0.weekday) },
            "hour": { Double($0.hour) }, "minute": { Double($0.minute) },
            "days_in_month": { Double($0.daysInMonth) },
        ]
        // Without an argument, the date functions read the evaluation time.
        for (name, f) in dates {
            t[name] = { c in [VectorSample(labels: Labels(), f: f(CivilTime(unixSeconds: c.ts / 1000)))] }
        }
        return t
    }()

    /// Functions applied to each element on its own: the value, the step's timestamp and the
    /// scalar arguments at that step give the new value (nil: no output at that step). The
    /// result loses the metric name. They run series by series, not step by step.
    typealias Elementwise = @Sendable (_ value: Double, _ t: Int64, _ scalars: [Double]) -> Double?

    static let elementwise: [String: Elementwise] = {
        var t: [String: Elementwise] = [
            "timestamp": { _, t, _ in Double(t) / 1000 },
            "clamp": { v, _, a in clamp(v, a[0], a[1]) },
            "clamp_min": { v, _, a in clamp(v, a[0], .infinity) },
            "clamp_max": { v, _, a in clamp(v, -.infinity, a[0]) },
            "round": { v, _, a in
                let inverse = 1.0 / (a.isEmpty ? 1 : a[0])
                return (v * inverse + 0.5).rounded(.down) / inverse
            },
        ]
        let math: [String: @Sendable (Double) -> Double] = [
            "abs": { abs($0) }, "ceil": { $0.rounded(.up) }, "floor": { $0.rounded(.down) },
            "exp": { Math.exp($0) }, "sqrt": { $0.squareRoot() }, "ln": { Math.log($0) },
            "log2": { Math.log2($0) }, "log10": { Math.log10($0) },
            "sin": { Math.sin($0) }, "cos": { Math.cos($0) }, "tan": { Math.tan($0) },
            "asin": { Math.asin($0) }, "acos": { Math.acos($0) }, "atan": { Math.atan($0) },
            "sinh": { Math.sinh($0) }, "cosh": { Math.cosh($0) }, "tanh": { Math.tanh($0) },
            "asinh": { Math.asinh($0) }, "acosh": { Math.acosh($0) }, "atanh": { Math.atanh($0) },
            "rad": { $0 * Double.pi / 180 }, "deg": { $0 * 180 / Double.pi },
            "sgn": { $0 < 0 ? -1 : ($0 > 0 ? 1 : $0) },
        ]
        for (name, f) in math { t[name] = { v, _, _ in f(v) } }
        let dates: [String: @Sendable (CivilTime) -> Double] = [
            "year": { Double($0.year) }, "month": { Double($0.month) }, "day_of_month": { Double($0.day) },
            "day_of_year": { Double($0.dayOfYear) }, "day_of_week": { Double($0.weekday) },
            "hour": { Double($0.hour) }, "minute": { Double($0.minute) },
            "days_in_month": { Double($0.daysInMonth) },
        ]
        for (name, f) in dates { t[name] = { v, _, _ in f(CivilTime(unixSeconds: goInt64(v))) } }
        return t
    }()

    /// Go's `math.Max(min, math.Min(max, v))`: NaN wins; no output when max < min.
    static func clamp(_ v: Double, _ minValue: Double, _ maxValue: Double) -> Double? {
        if maxValue < minValue { return nil }
        if v.isNaN || minValue.isNaN || maxValue.isNaN { return .nan }
        return Swift.max(minValue, Swift.min(maxValue, v))
    }

    static func sortedStable(_ v: Vector, by less: (VectorSample, VectorSample) -> Bool) -> Vector {
        // Merge-sort order is stable for equal elements, like the insertion sort Go uses on
        // small inputs.
        let indexed = v.enumerated().sorted { a, b in
            if less(a.element, b.element) { return true }
            if less(b.element, a.element) { return false }
            return a.offset < b.offset
        }
        return indexed.map(\.element)
    }

    static func sortByLabel(_ c: FunctionCall, descending: Bool) -> Vector {
        let names: [String] = c.args.dropFirst().compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        return c.inputs[0].sorted { a, b in
            for name in names {
                let x = a.labels[name] ?? "", y = b.labels[name] ?? ""
                if x == y { continue }
                return naturalLess(x, y) != descending
            }
            return descending ? b.labels < a.labels : a.labels < b.labels
        }
    }

    /// Natural order: runs of digits compare as numbers.
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0, j = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        while i < x.count && j < y.count {
            if isDigit(x[i]) && isDigit(y[j]) {
                var ie = i, je = j
                while ie < x.count && isDigit(x[ie]) { ie += 1 }
                while je < y.count && isDigit(y[je]) { je += 1 }
                var xs = x[i..<ie].drop { $0 == 48 }, ys = y[j..<je].drop { $0 == 48 }
                if xs.isEmpty { xs = x[(ie - 1)..<ie] }
                if ys.isEmpty { ys = y[(je - 1)..<je] }
                if xs.count != ys.count { return xs.count < ys.count }
                if !xs.elementsEqual(ys) { return xs.lexicographicallyPrecedes(ys) }
                i = ie
                j = je
            } else {
                if x[i] != y[j] { return x[i] < y[j] }
                i += 1
                j += 1
            }
        }
        return x.count - i < y.count - j
    }
}

/// Go's `math.Max`: NaN if either is NaN, +0 over -0.
func goMax(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return .nan }
    if a == 0 && b == 0 { return a.sign == .plus ? a : b }
    return a > b ? a : b
}

/// Go's `math.Min`: NaN if either is NaN, -0 over +0.
func goMin(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return .nan }
    if a == 0 && b == 0 { return a.sign == .minus ? a : b }
    return a < b ? a : b
}

/// Go's `int64(f)` on amd64: truncation, with NaN and out-of-range values mapped to the minimum.
func goInt64(_ f: Double) -> Int64 {
    guard f.isFinite, f > -9.223372036854775808e18, f < 9.223372036854775808e18 else { return Int64.min }
    return Int64(f)
}

/// A UTC calendar date and time of day from Unix seconds (proleptic Gregorian calendar).
struct CivilTime {
    var year: Int64
    var month: Int64
    var day: Int64
    var hour: Int64
    var minute: Int64
    var weekday: Int64
    var dayOfYear: Int64
    var daysInMonth: Int64

    init(unixSeconds s: Int64) {
        let (days, secs) = s.floorDivided(by: 86_400)
        hour = secs / 3600
        minute = (secs % 3600) / 60
        weekday = (days + 4).floorDivided(by: 7).remainder
        let date = CivilDate(daysSinceEpoch: days)
        (year, month, day) = (date.year, date.month, date.day)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let cumulative: [Int64] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        dayOfYear = cumulative[Int(month - 1)] + day + (leap && month > 2 ? 1 : 0)
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        daysInMonth = lengths[Int(month - 1)]
    }
}

extension Int64 {
    /// Floor division and the non-negative remainder.
    func floorDivided(by d: Int64) -> (quotient: Int64, remainder: Int64) {
        var q = self / d
        var r = self % d
        if r < 0 {
            q -= 1
            r += d
        }
        return (q, r)
    }
}
