import HearthModel
import HearthPromQLParser

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
    private func evalRangeCall(_ name: String, _ args: [Expr], matrixIndex: Int) throws(QueryError) -> Matrix {
        guard let function = RangeFunctions.table[name] else {
            throw .execution("function \"\(name)\" is not supported")
        }
        // The other arguments are scalars: one value per step.
        var scalars: [[Double]] = []
        for (i, a) in args.enumerated() where i != matrixIndex {
            let m = try evalMatrix(a)
            scalars.append(m.first?.floats.map(\.f) ?? [])
        }
        let sources: Matrix
        let range: Int64
        let offset: Int64
        let at: Int64?
        switch args[matrixIndex] {
        case .matrixSelector(let vs, let r):
            range = r
            offset = vs.offset
            at = resolve(vs.at)
            let first = (at ?? start) - offset
            let last = (at ?? end) - offset
            sources = try select(vs, mint: first - range + 1, maxt: last).map { s in
                var points = s.points
                points.removeAll { StaleMarker.isStale($0.f) }
                return Series(labels: s.labels, floats: points)
            }
        case .subquery(let inner, let r, let step, let o, let a):
            range = r
            offset = o
            at = resolve(a)
            sources = try runSubquery(inner, range: r, step: step, offset: o, at: a)
        default:
            throw .execution("unexpected argument to \(name)")
        }

        let keepsName = name == "last_over_time" || name == "first_over_time"
        var call = RangeCall(ts: 0, rangeStart: 0, rangeEnd: 0, range: range, scalars: [], labels: Labels())
        call.scalars = Array(repeating: 0, count: scalars.count)
        var out: Matrix = []
        for source in sources {
            try context.checkDeadline()
            var series = Series(labels: source.labels, dropName: !keepsName || source.dropName)
            call.labels = source.labels
            let points = source.floats
            var lo = 0
            var hi = 0
            for (stepIndex, ts) in steps().enumerated() {
                let ref = (at ?? ts) - offset
                while hi < points.count && points[hi].t <= ref { hi += 1 }
                while lo < hi && points[lo].t <= ref - range { lo += 1 }
                guard lo < hi else { continue }
                for i in scalars.indices { call.scalars[i] = stepIndex < scalars[i].count ? scalars[i][stepIndex] : .nan }
                call.ts = ts
                call.rangeStart = ref - range
                call.rangeEnd = ref
                let window = points[lo..<hi]
                try context.hold(window.count)
                defer { context.currentSamples -= window.count }
                if name == "double_exponential_smoothing", let error = RangeFunctions.smoothingFactorsError(call) {
                    throw error
                }
                if let v = function(window, call, self) {
                    series.floats.append(FPoint(t: ts, f: v))
                }
            }
            guard !series.floats.isEmpty else { continue }
            try context.hold(series.floats.count)
            if name == "rate" || name == "increase", let metric = source.labels.metricName,
               !(metric.hasSuffix("_total") || metric.hasSuffix("_sum") || metric.hasSuffix("_count")
                 || metric.hasSuffix("_bucket")) {
                annotations.info("metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"\(metric)\"")
            }
            out.append(series)
        }

        if name == "absent_over_time" {
            return absentOverTime(out, argument: args[matrixIndex])
        }
        return out
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

/// The inputs of a range-vector function for one window.
struct RangeCall {
    /// The evaluation step.
    var ts: Int64
    /// The window is `(rangeStart, rangeEnd]`.
    var rangeStart: Int64
    var rangeEnd: Int64
    /// The selector's range in milliseconds.
    var range: Int64
    /// The scalar arguments at this step, in argument order without the range vector.
    var scalars: [Double]
    var labels: Labels
}

extension Expr {
    /// The expression without enclosing parentheses.
    var unwrappingParens: Expr {
        if case .paren(let inner) = self { return inner.unwrappingParens }
        return self
    }
}
