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
        func stepper(range: Int64, offset: Int64, at: Int64?) -> RangeStepper {
            RangeStepper(kind: kind, start: start, end: end, interval: interval, range: range, offset: offset, at: at,
                         scalars: scalars, keepsName: kind == .last || kind == .first, deadline: context.deadline)
        }
        var out: Matrix = []
        switch args[matrixIndex] {
        case .matrixSelector(let vs, let range):
            let at = resolve(vs.at)
            let first = (at ?? start).clampedSubtracting(vs.offset)
            let last = (at ?? end).clampedSubtracting(vs.offset)
            let mint = first.clampedSubtracting(range).clampedAdding(1)
            let ranged = stepper(range: range, offset: vs.offset, at: at)
            out = try stepInParts(try selectSeries(vs, mint: mint, maxt: last, range: range, function: name), outputPerSeries: stepCount) { data, headroom, scratch, part in
                if let error = Self.decode(data, mint: mint, maxt: last, into: &scratch.points, skippingStale: true) { return error }
                let before = part.series.count
                if let error = ranged.apply(data.labels, dropName: false, headroom: headroom, scratch: &scratch, into: &part.series) {
                    return error
                }
                if part.series.count > before, let metric = ranged.notesNonCounter(data.labels), part.nonCounters.last != metric {
                    part.nonCounters.append(metric)
                }
                return nil
            }
        case .subquery(let inner, let range, let step, let offset, let a):
            let sub = stepper(range: range, offset: offset, at: resolve(a))
            var scratch = StepScratch()
            for source in try runSubquery(inner, range: range, step: step, offset: offset, at: a) {
                try context.checkDeadline()
                scratch.points = source.floats
                let before = out.count
                if let error = sub.apply(source.labels, dropName: source.dropName,
                                         headroom: context.maxSamples - context.currentSamples, scratch: &scratch, into: &out) {
                    throw error
                }
                if out.count > before {
                    try context.hold(out[before].floats.count)
                    if let metric = sub.notesNonCounter(source.labels) { annotations.info(nonCounterNote(metric)) }
                }
            }
        default:
            throw .execution("unexpected argument to \(name)")
        }

        if kind == .absent {
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

extension Expr {
    /// The expression without enclosing parentheses.
    var unwrappingParens: Expr {
        if case .paren(let inner) = self { return inner.unwrappingParens }
        return self
    }
}
