import HearthModel
import HearthPromQLParser
import HearthStorage

extension Evaluator {
    /// A function call: range-vector functions run once per series over a sliding window;
    /// everything else runs once per step over instant vectors.
    func evalCall(_ name: String, _ rawArgs: [Expr]) throws(QueryError) -> Matrix {
        let args = rawArgs.map(\.unwrappingParens)
        if name == "timestamp", case .vectorSelector(let vs) = args[0] {
            return try evalVectorSelector(vs, timestamps: true)
        }
        switch name {
        case "label_replace": return try labelReplace(args)
        case "label_join": return try labelJoin(args)
        default: break
        }
        if ["sort", "sort_desc", "sort_by_label", "sort_by_label_desc"].contains(name) && !isInstant {
            annotations.warn("sort is ineffective for range queries since results are always ordered by labels")
        }
        if let matrixIndex = args.firstIndex(where: { $0.type == .matrix }) {
            return try evalRangeCall(name, args, matrixIndex: matrixIndex)
        }
        if let function = InstantFunctions.elementwise[name], !args.isEmpty {
            return try evalElementwise(function, args)
        }
        guard let function = InstantFunctions.table[name] else {
            throw .execution("function \"\(name)\" is not supported")
        }
        let cache = FunctionCache()
        return try rangeEval(args) { (inputs, _, ts) throws(QueryError) in
            function(FunctionCall(inputs: inputs, args: args, ts: ts, evaluator: self, cache: cache))
        }
    }

    /// An element-wise function, series by series: labels do not change, so no step needs to
    /// gather a vector.
    private func evalElementwise(_ function: InstantFunctions.Elementwise, _ args: [Expr]) throws(QueryError) -> Matrix {
        let input = try evalMatrix(args[0])
        var scalars: [[FPoint]] = []
        for a in args.dropFirst() { scalars.append(try evalMatrix(a).first?.floats ?? []) }
        var arguments = Array(repeating: Double.nan, count: scalars.count)
        var out: Matrix = []
        out.reserveCapacity(input.count)
        for series in input {
            try context.checkDeadline()
            var result = Series(labels: series.labels, dropName: true)
            result.floats.reserveCapacity(series.floats.count)
            for p in series.floats {
                let step = Int((p.t - start) / interval)
                for i in scalars.indices { arguments[i] = step < scalars[i].count ? scalars[i][step].f : .nan }
                if let v = function(p.f, p.t, arguments) { result.floats.append(FPoint(t: p.t, f: v)) }
            }
            if !result.floats.isEmpty { out.append(result) }
        }
        return out
    }

    /// A function whose argument `matrixIndex` is a range vector (a selector or a subquery).
    /// A selector's series are decoded one at a time into a reused buffer and each is done with
    /// (all its steps) before the next, so memory holds one series' samples, not the matrix.
    private func evalRangeCall(_ name: String, _ args: [Expr], matrixIndex: Int) throws(QueryError) -> Matrix {
        guard let kind = RangeFunctions.Kind(name) else {
            throw .execution("function \"\(name)\" is not supported")
        }
        // The other arguments are scalars: one value per step.
        var scalars: [[FPoint]] = []
        for (i, a) in args.enumerated() where i != matrixIndex {
            scalars.append(try evalMatrix(a).first?.floats ?? [])
        }
        if kind == .quantile, let q = scalars.first {
            for p in q where p.f.isNaN || p.f < 0 || p.f > 1 { annotations.warn(invalidQuantile(p.f)) }
        }
        let keepsName = kind == .last || kind == .first
        var out: Matrix = []
        var buffer: [FPoint] = []
        var scratch: [Double] = []

        switch args[matrixIndex] {
        case .matrixSelector(let vs, let range):
            let at = resolve(vs.at)
            let first = (at ?? start) - vs.offset
            let last = (at ?? end) - vs.offset
            let mint = first - range + 1
            for data in try selectSeries(vs, mint: mint, maxt: last) {
                decode(data, mint: mint, maxt: last, into: &buffer, skippingStale: true)
                let result: QueryError? = buffer.withUnsafeBufferPointer { points in
                    applyRange(kind, data.labels, points, dropName: false, keepsName: keepsName, range: range,
                               offset: vs.offset, at: at, scalars: scalars, scratch: &scratch, into: &out)
                }
                if let result { throw result }
            }
        case .subquery(let inner, let range, let step, let offset, let a):
            let at = resolve(a)
            for source in try runSubquery(inner, range: range, step: step, offset: offset, at: a) {
                let result: QueryError? = source.floats.withUnsafeBufferPointer { points in
                    applyRange(kind, source.labels, points, dropName: source.dropName, keepsName: keepsName, range: range,
                               offset: offset, at: at, scalars: scalars, scratch: &scratch, into: &out)
                }
                if let result { throw result }
            }
        default:
            throw .execution("unexpected argument to \(name)")
        }

        if kind == .absent {
            return absentOverTime(out, argument: args[matrixIndex])
        }
        return out
    }

    /// Evaluates every step of a range function over one series' samples (stale markers left
    /// out) and appends the result series to `out`. Returns the error that ends the query, if any
    /// (an optional rather than a typed throw, so that it can run inside `withUnsafeBufferPointer`).
    private func applyRange(
        _ kind: RangeFunctions.Kind, _ labels: Labels, _ points: UnsafeBufferPointer<FPoint>, dropName: Bool, keepsName: Bool,
        range: Int64, offset: Int64, at: Int64?, scalars: [[FPoint]], scratch: inout [Double], into out: inout Matrix
    ) -> QueryError? {
        let ctx = context
        do { try ctx.checkDeadline() } catch { return error }
        var series = Series(labels: labels, dropName: !keepsName || dropName)
        var window = RangeFunctions.Window(ts: 0, rangeStart: 0, rangeEnd: 0, range: range)
        let headroom = ctx.maxSamples - ctx.currentSamples
        let hasScalars = !scalars.isEmpty
        let (first, stepWidth, last) = (start, interval, end)
        var lo = 0, hi = 0
        var stepIndex = 0
        var ts = first
        while ts <= last {
            defer {
                stepIndex += 1
                ts += stepWidth
            }
            let ref = (at ?? ts) - offset
            while hi < points.count && points[hi].t <= ref { hi += 1 }
            while lo < hi && points[lo].t <= ref - range { lo += 1 }
            guard lo < hi else { continue }
            if hasScalars {
                window.scalar0 = stepIndex < scalars[0].count ? scalars[0][stepIndex].f : .nan
                if scalars.count > 1 { window.scalar1 = stepIndex < scalars[1].count ? scalars[1][stepIndex].f : .nan }
            }
            window.ts = ts
            window.rangeStart = ref - range
            window.rangeEnd = ref
            if kind == .doubleExponentialSmoothing, let error = RangeFunctions.smoothingFactorsError(window) { return error }
            // The window is held while the function runs.
            if hi - lo + series.floats.count > headroom { return .tooManySamples }
            if let v = RangeFunctions.evaluate(kind, UnsafeBufferPointer(rebasing: points[lo..<hi]), window, scratch: &scratch) {
                if series.floats.isEmpty { series.floats.reserveCapacity(stepCount) }
                series.floats.append(FPoint(t: ts, f: v))
            }
        }
        guard !series.floats.isEmpty else { return nil }
        do { try ctx.hold(series.floats.count) } catch { return error }
        if kind == .rate || kind == .increase, let metric = labels.metricName,
           !(metric.hasSuffix("_total") || metric.hasSuffix("_sum") || metric.hasSuffix("_count")
             || metric.hasSuffix("_bucket")) {
            annotations.info("metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"\(metric)\"")
        }
        out.append(series)
        return nil
    }

    /// `absent_over_time`: 1 at the steps where no series had a sample in range.
    private func absentOverTime(_ present: Matrix, argument: Expr) -> Matrix {
        var covered = Set<Int64>()
        for s in present {
            if s.floats.count == stepCount { return [] }
            for p in s.floats { covered.insert(p.t) }
        }
        if covered.count == stepCount { return [] }
        let missing = steps().filter { !covered.contains($0) }.map { FPoint(t: $0, f: 1) }
        return [Series(labels: absentLabels(argument), floats: missing, dropName: true)]
    }

    /// The labels `absent` reports: the equality matchers of a plain selector, except names given
    /// more than once.
    func absentLabels(_ expr: Expr) -> Labels {
        let matchers: [MatcherSpec]
        switch expr.unwrappingParens {
        case .vectorSelector(let vs), .matrixSelector(let vs, _): matchers = vs.matchers
        default: return Labels()
        }
        var result: [String: String] = [:]
        var seen = Set<String>()
        for m in matchers where m.name != Labels.metricName {
            if m.kind == .equal && !seen.contains(m.name) {
                result[m.name] = m.value
                seen.insert(m.name)
            } else {
                result[m.name] = nil
            }
        }
        return Labels(result)
    }
}

/// The inputs of an instant-vector function at one step.
struct FunctionCall {
    var inputs: [Vector]
    var args: [Expr]
    var ts: Int64
    unowned let evaluator: Evaluator
    /// State kept across the steps of one call site.
    let cache: FunctionCache

    /// The scalar argument `i` at this step.
    func scalar(_ i: Int) -> Double { inputs[i].first?.f ?? .nan }
}

/// What a function remembers between steps about input series, by their ids.
final class FunctionCache {
    /// Classic-histogram buckets: the series' group (labels without `le`) and upper bound.
    var bucket: [Int: (group: Int, bound: Double?)] = [:]
    var groupLabels: [Labels] = []
    var groupIndex: [Labels: Int] = [:]
}

extension Expr {
    /// The expression without enclosing parentheses.
    var unwrappingParens: Expr {
        if case .paren(let inner) = self { return inner.unwrappingParens }
        return self
    }
}
