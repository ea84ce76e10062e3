import HearthChunks
import HearthModel
import HearthPromQLParser
import HearthStorage

/// Evaluates an expression over the steps `start, start+interval, ..., end` (one step for an
/// instant query). Every expression of a vector or scalar type evaluates to a matrix with a point
/// at each step where it has a value; Prometheus's engine is built the same way, which keeps range
/// queries to one pass over each series and makes instant and range results agree.
final class Evaluator {
    let start: Int64
    let end: Int64
    let interval: Int64
    let context: QueryContext
    var annotations = Annotations()

    init(start: Int64, end: Int64, interval: Int64, context: QueryContext) {
        self.start = start
        self.end = end
        self.interval = interval
        self.context = context
    }

    /// Steps to evaluate; ``checkStepCount()`` bounds it before anything is sized by it.
    var stepCount: Int { end < start ? 0 : Int((end - start) / interval) + 1 }

    /// Fails the query if its steps alone would exceed `--query.max-samples`: every step of a
    /// series holds a sample, and a subquery's range over its step (`x[290y:1ms]`) can ask for
    /// more steps than memory holds.
    func checkStepCount() throws(QueryError) {
        if stepCount > context.maxSamples { throw .tooManySamples }
    }
    var isInstant: Bool { start == end }

    // MARK: - Entry

    func eval(_ expr: Expr) throws(QueryError) -> EvalValue {
        try context.checkDeadline()
        if end < start { return .matrix([]) }
        switch expr {
        case .number(let v):
            try context.hold(stepCount)
            return .matrix([Series(labels: Labels(), floats: steps().map { FPoint(t: $0, f: v) })])
        case .string(let s):
            return .string(s)
        case .paren(let e):
            return try eval(e)
        case .unary(let negative, let e):
            var mat = try evalMatrix(e)
            if negative {
                for i in mat.indices {
                    mat[i].dropName = true
                    for j in mat[i].floats.indices { mat[i].floats[j].f = -mat[i].floats[j].f }
                }
            }
            return .matrix(mat)
        case .vectorSelector(let vs):
            return .matrix(try evalVectorSelector(vs, timestamps: false))
        case .matrixSelector(let vs, let range):
            guard isInstant else { throw .execution("cannot do range evaluation of matrix selector") }
            return .matrix(try evalMatrixSelector(vs, range: range))
        case .subquery(let inner, let range, let step, let offset, let at):
            return .matrix(try runSubquery(inner, range: range, step: step, offset: offset, at: at))
        case .call(let name, let args):
            return .matrix(try evalCall(name, args))
        case .aggregate(let op, let inner, let param, let grouping, let without, _):
            return .matrix(try evalAggregation(op: op, inner, param: param, grouping: grouping, without: without))
        case .binary(let op, let lhs, let rhs, let returnBool, let matching):
            return .matrix(try evalBinary(op, lhs, rhs, returnBool: returnBool, matching: matching))
        }
    }

    func evalMatrix(_ expr: Expr) throws(QueryError) -> Matrix {
        switch try eval(expr) {
        case .matrix(let m): return m
        case .string: throw .execution("unexpected string where a vector was expected")
        }
    }

    /// The timestamps of the steps.
    func steps() -> StrideThrough<Int64> { stride(from: start, through: end, by: Int64.Stride(interval)) }

    func resolve(_ at: AtModifier?) -> Int64? {
        switch at {
        case nil: return nil
        case .timestamp(let t): return t
        case .start: return context.queryStart
        case .end: return context.queryEnd
        }
    }

    // MARK: - Step-wise evaluation

    /// Evaluates `exprs` to matrices, then calls `body` once per step with the instant vectors
    /// they hold at that step, and collects its outputs into series. With `matching`, each input
    /// element also carries the ordinal of its join signature.
    func rangeEval(
        _ exprs: [Expr], matching: VectorMatching? = nil,
        _ body: (_ inputs: [Vector], _ signatures: [[Int]], _ ts: Int64) throws(QueryError) -> Vector
    ) throws(QueryError) -> Matrix {
        var matrices: [Matrix] = []
        matrices.reserveCapacity(exprs.count)
        for e in exprs {
            if e.type == .string { matrices.append([]); continue }
            matrices.append(try evalMatrix(e))
        }
        return try rangeEval(matrices: matrices, matching: matching, body)
    }

    func rangeEval(
        matrices: [Matrix], matching: VectorMatching?,
        _ body: (_ inputs: [Vector], _ signatures: [[Int]], _ ts: Int64) throws(QueryError) -> Vector
    ) throws(QueryError) -> Matrix {
        var seriesSignatures: [[Int]] = Array(repeating: [], count: matrices.count)
        if let matching {
            var ordinals: [[UInt8]: Int] = [:]
            let names = Set(matching.labels)
            var buffer: [UInt8] = []
            for (i, m) in matrices.enumerated() {
                seriesSignatures[i] = m.map { s in
                    signature(s.labels, on: matching.on, names: names, into: &buffer)
                    if let o = ordinals[buffer] { return o }
                    let o = ordinals.count
                    ordinals[buffer] = o
                    return o
                }
            }
        }
        var cursors = matrices.map { Array(repeating: 0, count: $0.count) }
        var vectors: [Vector] = Array(repeating: [], count: matrices.count)
        var signatures: [[Int]] = Array(repeating: [], count: matrices.count)
        var idOffset = 0
        var idOffsets: [Int] = []
        for m in matrices {
            idOffsets.append(idOffset)
            idOffset += m.count
        }
        var output: Matrix = []
        var outputIndex: [Labels: Int] = [:]
        var outputByID: [Int: Int] = [:]
        var lastStep: [Int64] = []
        let baseSamples = context.currentSamples
        for ts in steps() {
            try context.checkDeadline()
            for i in matrices.indices {
                vectors[i].removeAll(keepingCapacity: true)
                signatures[i].removeAll(keepingCapacity: true)
                for (si, s) in matrices[i].enumerated() {
                    let c = cursors[i][si]
                    guard c < s.floats.count, s.floats[c].t == ts else { continue }
                    vectors[i].append(VectorSample(labels: s.labels, t: ts, f: s.floats[c].f, dropName: s.dropName,
                                                   id: idOffsets[i] + si))
                    if matching != nil { signatures[i].append(seriesSignatures[i][si]) }
                    cursors[i][si] = c + 1
                }
            }
            let result = try body(vectors, signatures, ts)
            if isInstant {
                return result.map { Series(labels: $0.labels, floats: [FPoint(t: ts, f: $0.f)], dropName: $0.dropName) }
            }
            try context.hold(result.count)
            for sample in result {
                var index = sample.id >= 0 ? outputByID[sample.id] : nil
                if index == nil {
                    index = outputIndex[sample.labels]
                    if index == nil {
                        index = output.count
                        outputIndex[sample.labels] = output.count
                        lastStep.append(Int64.min)
                        output.append(Series(labels: sample.labels, dropName: sample.dropName))
                    }
                    if sample.id >= 0 { outputByID[sample.id] = index }
                }
                let i = index!
                if lastStep[i] == ts { throw .execution("vector cannot contain metrics with the same labelset") }
                lastStep[i] = ts
                output[i].floats.append(FPoint(t: ts, f: sample.f))
            }
        }
        context.currentSamples = baseSamples + output.reduce(0) { $0 + $1.floats.count }
        return output
    }

    /// The bytes that identify a series for vector matching: the `on` labels, or all labels but
    /// the `ignoring` ones and the metric name.
    func signature(_ labels: Labels, on: Bool, names: Set<String>, into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        for l in labels {
            let include = on ? names.contains(l.name) : (l.name != Labels.metricName && !names.contains(l.name))
            guard include else { continue }
            buffer.append(contentsOf: l.name.utf8)
            buffer.append(0xFF)
            buffer.append(contentsOf: l.value.utf8)
            buffer.append(0xFF)
        }
    }

    // MARK: - Selectors

    /// The series selected by `vs` with chunks overlapping `[mint, maxt]`; `range` and
    /// `function` describe the selector's use for the querier's hints. The querier's warnings
    /// become the query's; its failure fails the query.
    func selectSeries(_ vs: VectorSelector, mint: Int64, maxt: Int64, range: Int64 = 0, function: String? = nil) throws(QueryError) -> [SeriesData] {
        var matchers: [Matcher] = []
        if let name = vs.name, let m = try? Matcher(.equal, Labels.metricName, name) { matchers.append(m) }
        for m in vs.matchers {
            do { matchers.append(try Matcher(m.kind, m.name, m.value)) } catch {
                throw .execution("invalid regular expression in matcher \(m.name)\(m.kind.rawValue)\"\(m.value)\"")
            }
        }
        var hints = SelectHints(start: mint, end: maxt)
        hints.step = context.queryStep
        hints.range = range
        hints.function = function
        let selected: SeriesSet
        do { selected = try context.querier.select(matchers, hints: hints) } catch { throw .storage(error.description) }
        for w in selected.warnings { annotations.appendRawWarning(w) }
        return selected.series
    }

    /// Decodes a series' samples within `[mint, maxt]` into `points` (replacing its contents),
    /// optionally without staleness markers. A chunk that does not decode (it passed its
    /// checksum, so a writer's bug or a remote peer's) fails the query: its samples would be
    /// missing from the answer without a word.
    static func decode(
        _ data: SeriesData, mint: Int64, maxt: Int64, into points: inout [FPoint], skippingStale: Bool = false
    ) -> QueryError? {
        points.removeAll(keepingCapacity: true)
        for chunk in data.chunks where chunk.maxTime >= mint && chunk.minTime <= maxt {
            let complete: Bool
            switch chunk.encoding {
            case .xor: complete = decode(chunk, as: XORDecoder.self, mint: mint, maxt: maxt, into: &points, skippingStale: skippingStale)
            case .decimal: complete = decode(chunk, as: DecimalDecoder.self, mint: mint, maxt: maxt, into: &points, skippingStale: skippingStale)
            default: continue
            }
            if !complete {
                return .storage("series \(data.labels): a \(chunk.encoding) chunk from \(chunk.minTime) to \(chunk.maxTime) (\(chunk.bytes.count) bytes) does not decode")
            }
        }
        return nil
    }

    /// One chunk's samples within `[mint, maxt]`, appended to `points`; specialized per encoding.
    /// False if the chunk ended in bytes that do not decode.
    @inline(__always)
    static func decode<D: ChunkSampleDecoder>(
        _ chunk: ChunkData, as: D.Type, mint: Int64, maxt: Int64, into points: inout [FPoint], skippingStale: Bool
    ) -> Bool {
        chunk.bytes.withUnsafeBytes { raw in
            let total = XORDecoder.declaredCount(raw)
            var decoder = D()
            while true {
                let more: Bool
                do { more = try decoder.next(raw, total: total) } catch { return false }
                guard more else { return true }
                let t = decoder.t
                if t > maxt { return true }
                if t >= mint && !(skippingStale && decoder.valueBits == StaleMarker.bitPattern) {
                    points.append(FPoint(t: t, f: Double(bitPattern: decoder.valueBits)))
                }
            }
        }
    }

    /// An instant-vector selector at every step: the latest sample within the lookback window,
    /// unless it is a staleness marker. With `timestamps`, the value is the sample's timestamp
    /// in seconds (what `timestamp(selector)` returns).
    func evalVectorSelector(_ vs: VectorSelector, timestamps: Bool) throws(QueryError) -> Matrix {
        let at = resolve(vs.at)
        let ctx = context
        let offset = vs.offset
        let first = (at ?? start).clampedSubtracting(offset)
        let last = (at ?? end).clampedSubtracting(offset)
        let mint = first.clampedSubtracting(ctx.lookbackDelta).clampedAdding(1)
        let selected = try selectSeries(vs, mint: mint, maxt: last)
        let stepper = InstantStepper(start: start, end: end, interval: interval, lookback: ctx.lookbackDelta,
                                     offset: offset, at: at, timestamps: timestamps)
        let stepCount = self.stepCount
        return try stepInParts(selected, outputPerSeries: stepCount) { data, _, scratch, part in
            if let error = Self.decode(data, mint: mint, maxt: last, into: &scratch.points) { return error }
            if let series = stepper.apply(data.labels, scratch.points, stepCount: stepCount) { part.series.append(series) }
            return nil
        }
    }

    /// A range-vector selector evaluated at the (single) step: the samples in
    /// `(t - range, t]`, staleness markers left out.
    func evalMatrixSelector(_ vs: VectorSelector, range: Int64) throws(QueryError) -> Matrix {
        let ref = (resolve(vs.at) ?? start).clampedSubtracting(vs.offset)
        let mint = ref.clampedSubtracting(range).clampedAdding(1)
        var out: Matrix = []
        for data in try selectSeries(vs, mint: mint, maxt: ref, range: range) {
            var series = Series(labels: data.labels)
            if let error = Self.decode(data, mint: mint, maxt: ref, into: &series.floats, skippingStale: true) { throw error }
            try context.hold(series.floats.count)
            if !series.floats.isEmpty { out.append(series) }
        }
        return out
    }

    // MARK: - Subqueries

    /// Evaluates a subquery's inner expression at its own steps, aligned to multiples of its step,
    /// over `(t - range, t]` for every outer step `t` (shifted by offset, or pinned by `@`).
    func runSubquery(_ inner: Expr, range: Int64, step: Int64?, offset: Int64, at: AtModifier?) throws(QueryError) -> Matrix {
        let interval = step ?? context.noStepSubqueryInterval
        var parentStart = start
        var parentEnd = isInstant ? end : start + ((end - start) / self.interval) * self.interval
        if let t = resolve(at) {
            parentStart = t
            parentEnd = t
        }
        // The window moves by user-given offsets and ranges at every level of nesting: computed
        // without overflow and kept within the engine's time range.
        let subEnd = QueryTime.clamp(parentEnd.clampedSubtracting(offset))
        let low = QueryTime.clamp(parentStart.clampedSubtracting(offset).clampedSubtracting(range))
        var subStart = interval * (low / interval)
        if subStart <= low { subStart += interval }
        let child = Evaluator(start: subStart, end: subEnd, interval: interval, context: context)
        try child.checkStepCount()
        let result = try child.evalMatrix(inner)
        annotations.merge(child.annotations)
        return result
    }
}

/// A value during evaluation: every vector and scalar is a matrix over the steps.
enum EvalValue {
    case matrix(Matrix)
    case string(String)
}

/// An instant-vector selector at every step: the latest sample within the lookback window,
/// unless it is a staleness marker. A value, so that parts of a selection can be stepped on
/// several threads.
struct InstantStepper: Sendable {
    let start: Int64
    let end: Int64
    let interval: Int64
    let lookback: Int64
    let offset: Int64
    let at: Int64?
    /// Report each sample's timestamp in seconds instead of its value (`timestamp(selector)`).
    let timestamps: Bool

    /// The series' value at every step where it has one; nil if it has none.
    func apply(_ labels: Labels, _ points: [FPoint], stepCount: Int) -> Series? {
        var series = Series(labels: labels, dropName: timestamps)
        series.floats.reserveCapacity(min(points.count, stepCount))
        points.withUnsafeBufferPointer { p in
            let n = p.count
            var next = 0
            var ts = start
            while ts <= end {
                defer { ts += interval }
                let ref = (at ?? ts).clampedSubtracting(offset)
                while next < n && p[next].t <= ref { next += 1 }
                guard next > 0 else { continue }
                let sample = p[next - 1]
                guard sample.t > ref.clampedSubtracting(lookback), sample.f.bitPattern != StaleMarker.bitPattern else { continue }
                series.floats.append(FPoint(t: ts, f: timestamps ? Double(sample.t) / 1000 : sample.f))
            }
        }
        return series.floats.isEmpty ? nil : series
    }
}
