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
        let stepper = RangeStepper(kind: kind, start: start, end: end, interval: interval, range: 0, offset: 0, at: nil,
                                   scalars: scalars, keepsName: kind == .last || kind == .first)
        var out: Matrix = []
        switch args[matrixIndex] {
        case .matrixSelector(let vs, let range):
            let at = resolve(vs.at)
            let first = (at ?? start) - vs.offset
            let last = (at ?? end) - vs.offset
            let mint = first - range + 1
            let selected = try selectSeries(vs, mint: mint, maxt: last)
            out = try stepSelected(selected, stepper.with(range: range, offset: vs.offset, at: at), mint: mint, maxt: last)
        case .subquery(let inner, let range, let step, let offset, let a):
            let sub = stepper.with(range: range, offset: offset, at: resolve(a))
            var scratch = RangeStepper.Scratch()
            for source in try runSubquery(inner, range: range, step: step, offset: offset, at: a) {
                try context.checkDeadline()
                scratch.points = source.floats
                let before = out.count
                if let error = sub.apply(source.labels, dropName: source.dropName,
                                         headroom: context.maxSamples - context.currentSamples, scratch: &scratch, into: &out) {
                    throw error
                }
                if out.count > before { try held(out[before], by: sub, labels: source.labels) }
            }
        default:
            throw .execution("unexpected argument to \(name)")
        }

        if kind == .absent {
            return absentOverTime(out, argument: args[matrixIndex])
        }
        return out
    }

    /// Steps a range function over selected series, decoding one series at a time into a reused
    /// buffer (memory holds one series' samples, not the matrix). Large selections are split
    /// into parts stepped on several threads when the query is far enough from its sample limit
    /// that no part could reach it.
    private func stepSelected(_ selected: [SeriesData], _ stepper: RangeStepper, mint: Int64, maxt: Int64) throws(QueryError) -> Matrix {
        let ctx = context
        let parts = partCount(selected, outputPerSeries: stepCount)
        if parts == 1 {
            var out: Matrix = []
            var scratch = RangeStepper.Scratch()
            for data in selected {
                try ctx.checkDeadline()
                Self.decode(data, mint: mint, maxt: maxt, into: &scratch.points, skippingStale: true)
                let before = out.count
                if let error = stepper.apply(data.labels, dropName: false, headroom: ctx.maxSamples - ctx.currentSamples,
                                             scratch: &scratch, into: &out) {
                    throw error
                }
                if out.count > before { try held(out[before], by: stepper, labels: data.labels) }
            }
            return out
        }
        let deadline = ctx.deadline
        let results = SeriesParts.run(count: selected.count, parts: parts) { range in
            var part = PartOutput()
            var scratch = RangeStepper.Scratch()
            for i in range {
                if i & 63 == 0, let deadline, ContinuousClock.now > deadline {
                    part.error = .timeout
                    break
                }
                let data = selected[i]
                Self.decode(data, mint: mint, maxt: maxt, into: &scratch.points, skippingStale: true)
                let before = part.series.count
                // The caller checked that the whole selection fits under the limit.
                if let error = stepper.apply(data.labels, dropName: false, headroom: .max, scratch: &scratch, into: &part.series) {
                    part.error = error
                    break
                }
                if part.series.count > before {
                    part.held += part.series[before].floats.count
                    if let metric = stepper.notesNonCounter(data.labels), part.nonCounters.last != metric {
                        part.nonCounters.append(metric)
                    }
                }
            }
            return part
        }
        return try merge(results)
    }

    /// Records a result series' samples against the query's limit and notes a non-counter.
    private func held(_ series: Series, by stepper: RangeStepper, labels: Labels) throws(QueryError) {
        try context.hold(series.floats.count)
        if let metric = stepper.notesNonCounter(labels) { annotations.info(nonCounterNote(metric)) }
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
