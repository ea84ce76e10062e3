import HearthModel
import HearthPromQLParser

extension Evaluator {
    /// An aggregation over each step's vector. Input series are assigned to their output group
    /// once; each step then streams over the series, keeping one accumulator per group.
    func evalAggregation(op: String, _ inner: Expr, param: Expr?, grouping rawGrouping: [String], without: Bool) throws(QueryError) -> Matrix {
        var grouping = rawGrouping.sorted { $0.utf8Precedes($1) }
        if op == "count_values" {
            let valueLabel = param?.stringLiteral ?? ""
            guard isValidLabelName(valueLabel) else { throw .execution("invalid label name \(quoteLikeGo(valueLabel))") }
            if !without { grouping.append(valueLabel) }
            let groupingSet = Set(grouping)
            return try rangeEval([inner]) { (v, _, _) throws(QueryError) in
                var counts: [Labels: Int] = [:]
                var order: [Labels] = []
                for s in v[0] {
                    let withValue = s.labels.setting(valueLabel, formatFloatLikeGo(s.f))
                    let key = groupLabels(withValue, groupingSet, without: without)
                    if counts[key] == nil { order.append(key) }
                    counts[key, default: 0] += 1
                }
                return order.map { VectorSample(labels: $0, f: Double(counts[$0]!)) }
            }
        }

        var params: [Double] = []
        if let param, param.type == .scalar {
            let m = try evalMatrix(param)
            params = m.first?.floats.map(\.f) ?? []
        }
        let input = try evalMatrix(inner)
        let groupingSet = Set(grouping)

        // Output groups, by grouping labels, in order of first appearance.
        var groupIndex: [Labels: Int] = [:]
        var groupLabelsList: [Labels] = []
        var seriesGroup: [Int] = []
        seriesGroup.reserveCapacity(input.count)
        for s in input {
            let key = groupLabels(s.labels, groupingSet, without: without)
            if let g = groupIndex[key] {
                seriesGroup.append(g)
            } else {
                groupIndex[key] = groupLabelsList.count
                seriesGroup.append(groupLabelsList.count)
                groupLabelsList.append(key)
            }
        }

        switch op {
        case "topk", "bottomk", "limitk", "limit_ratio":
            return try aggregateSelecting(op: op, input: input, seriesGroup: seriesGroup, groupCount: groupLabelsList.count, params: params)
        default:
            return try aggregateReducing(op: op, input: input, seriesGroup: seriesGroup, groups: groupLabelsList, params: params)
        }
    }

    private func groupLabels(_ labels: Labels, _ grouping: Set<String>, without: Bool) -> Labels {
        if without { return labels.removing(grouping.union([Labels.metricName])) }
        if grouping.isEmpty { return Labels() }
        return labels.keeping(grouping)
    }

    /// sum, avg, count, min, max, group, stddev, stdvar, quantile.
    private func aggregateReducing(op name: String, input: Matrix, seriesGroup: [Int], groups: [Labels], params: [Double]) throws(QueryError) -> Matrix {
        let op = ReducingOp(name)
        if op == .quantile {
            if params.contains(where: \.isNaN) { annotations.warn(invalidQuantile(.nan)) }
            if let m = params.max(), m > 1 { annotations.warn(invalidQuantile(m)) }
            if let m = params.min(), m < 0 { annotations.warn(invalidQuantile(m)) }
        }
        // Steps are taken in blocks; within a block each series is read once, in series order,
        // so every group still sees its values in the order Prometheus adds them, while each
        // series' samples are walked contiguously.
        var result = groups.map { Series(labels: $0) }
        let groupCount = groups.count
        let block = max(1, min(stepCount, 65_536 / max(1, groupCount), 256))
        var accumulators = Array(repeating: Accumulator(), count: block * groupCount)
        var cursors = Array(repeating: 0, count: input.count)
        var blockStart = 0
        let ctx = context
        while blockStart < stepCount {
            try ctx.checkDeadline()
            let blockSteps = min(block, stepCount - blockStart)
            let blockEndTime = start + Int64(blockStart + blockSteps) * interval  // exclusive
            for i in 0..<(blockSteps * groupCount) { accumulators[i].seen = false }
            for si in input.indices {
                let g = seriesGroup[si]
                let dropName = input[si].dropName
                input[si].floats.withUnsafeBufferPointer { points in
                    var c = cursors[si]
                    while c < points.count && points[c].t < blockEndTime {
                        let step = Int((points[c].t - start) / interval) - blockStart
                        accumulators[step * groupCount + g].add(points[c].f, op: op, dropName: dropName)
                        c += 1
                    }
                    cursors[si] = c
                }
            }
            for step in 0..<blockSteps {
                let ts = start + Int64(blockStart + step) * interval
                let q = blockStart + step < params.count ? params[blockStart + step] : .nan
                for g in 0..<groupCount where accumulators[step * groupCount + g].seen {
                    result[g].floats.append(FPoint(t: ts, f: accumulators[step * groupCount + g].result(op: op, q: q)))
                    result[g].dropName = accumulators[step * groupCount + g].dropName
                }
                try ctx.hold(groupCount)
            }
            blockStart += blockSteps
        }
        return result.filter { !$0.floats.isEmpty }
    }

    /// topk, bottomk, limitk, limit_ratio: keep some of the input series, labels unchanged.
    private func aggregateSelecting(op: String, input: Matrix, seriesGroup: [Int], groupCount: Int, params: [Double]) throws(QueryError) -> Matrix {
        if op == "limit_ratio" {
            if let mx = params.max(), let mn = params.min(), mx == 0 && mn == 0 { return [] }
            if params.contains(where: \.isNaN) { throw .execution("Ratio value is NaN") }
            if let m = params.max(), m > 1 { annotations.warn("ratio value should be between -1 and 1, got \(formatGo(m)), capping to 1") }
            if let m = params.min(), m < -1 { annotations.warn("ratio value should be between -1 and 1, got \(formatGo(m)), capping to -1") }
        } else {
            if (params.max() ?? 0) < 1 { return [] }
            if params.contains(where: \.isNaN) { throw .execution("Parameter value is NaN") }
            if let m = params.min(), m <= -9.223372036854775808e18 { throw .execution("Scalar value \(formatGo(m)) underflows int64") }
            if let m = params.max(), m >= 9.223372036854775808e18 { throw .execution("Scalar value \(formatGo(m)) overflows int64") }
        }
        var cursors = Array(repeating: 0, count: input.count)
        var output: Matrix = []
        var outputIndex = [Int](repeating: -1, count: input.count)  // input series -> output series
        var values = [Double](repeating: 0, count: input.count)
        var heaps = Array(repeating: [Int](), count: groupCount)
        var present: [Int] = []
        var selected: [(series: Int, value: Double)] = []
        // Go's heap orders: topk keeps the smallest on top, bottomk the largest; NaN sorts first.
        let topk = op == "topk"
        let less: (Int, Int) -> Bool = { a, b in
            let x = values[a], y = values[b]
            return x.isNaN || (topk ? x < y : x > y)
        }
        for (stepIndex, ts) in steps().enumerated() {
            try context.checkDeadline()
            let p = stepIndex < params.count ? params[stepIndex] : .nan
            present.removeAll(keepingCapacity: true)
            selected.removeAll(keepingCapacity: true)
            for (si, s) in input.enumerated() {
                let c = cursors[si]
                guard c < s.floats.count, s.floats[c].t == ts else { continue }
                cursors[si] = c + 1
                values[si] = s.floats[c].f
                present.append(si)
            }
            switch op {
            case "topk", "bottomk", "limitk":
                let k = min(Int(p), present.count)
                guard k >= 1 else { continue }
                for g in heaps.indices { heaps[g].removeAll(keepingCapacity: true) }
                for si in present {
                    let g = seriesGroup[si]
                    if op == "limitk" {
                        if heaps[g].count < k { heaps[g].append(si) }
                        continue
                    }
                    if heaps[g].count < k {
                        GoHeap.push(&heaps[g], si, less: less)
                    } else {
                        let top = values[heaps[g][0]], v = values[si]
                        let replace = topk ? (top < v || (top.isNaN && !v.isNaN)) : (top > v || (top.isNaN && !v.isNaN))
                        if replace {
                            heaps[g][0] = si
                            if k > 1 { GoHeap.fix(&heaps[g], 0, less: less) }
                        }
                    }
                }
                for g in heaps.indices where !heaps[g].isEmpty {
                    // Largest first for topk, smallest first for bottomk.
                    let h = op == "limitk" ? heaps[g] : GoHeap.sortReversed(heaps[g], less: less)
                    for si in h { selected.append((si, values[si])) }
                }
            default:  // limit_ratio
                let r = max(-1, min(1, p))
                guard r != 0 else { continue }
                for si in present where RatioSampler.keeps(input[si].labels, ratio: r) {
                    selected.append((si, values[si]))
                }
            }
            for (si, v) in selected {
                let s = input[si]
                if isInstant {
                    output.append(Series(labels: s.labels, floats: [FPoint(t: ts, f: v)], dropName: s.dropName))
                } else if outputIndex[si] >= 0 {
                    output[outputIndex[si]].floats.append(FPoint(t: ts, f: v))
                } else {
                    outputIndex[si] = output.count
                    output.append(Series(labels: s.labels, floats: [FPoint(t: ts, f: v)], dropName: s.dropName))
                }
            }
            try context.hold(selected.count)
        }
        return output
    }
}

/// The operators `aggregateReducing` handles, decided once per aggregation.
enum ReducingOp {
    case sum, avg, min, max, count, group, stddev, stdvar, quantile

    init(_ name: String) {
        switch name {
        case "sum": self = .sum
        case "avg": self = .avg
        case "min": self = .min
        case "max": self = .max
        case "count": self = .count
        case "stddev": self = .stddev
        case "stdvar": self = .stdvar
        case "quantile": self = .quantile
        default: self = .group
        }
    }
}

/// The running state of one output group at one step.
struct Accumulator {
    var seen = false
    var dropName = false
    var value = 0.0
    var kahanC = 0.0
    var mean = 0.0
    var count = 0.0
    var average = KahanMean(0)
    var values: [Double] = []

    mutating func add(_ f: Double, op: ReducingOp, dropName seriesDropName: Bool) {
        if !seen {
            self = Accumulator(seen: true, dropName: seriesDropName, value: f, mean: f, count: 1, average: KahanMean(f))
            switch op {
            case .stddev, .stdvar: value = f.isNaN || f.isInfinite ? .nan : 0
            case .quantile: values = [f]
            case .group: value = 1
            default: break
            }
            return
        }
        if seriesDropName { dropName = true }
        switch op {
        case .sum:
            (value, kahanC) = KahanSum.increment(f, value, kahanC)
        case .avg:
            average.add(f)
        case .max:
            if value < f || value.isNaN { value = f }
        case .min:
            if value > f || value.isNaN { value = f }
        case .count:
            count += 1
        case .stddev, .stdvar:
            count += 1
            let delta = f - mean
            mean += delta / count
            value += delta * (f - mean)
        case .quantile:
            values.append(f)
        default:  // group
            break
        }
    }

    mutating func result(op: ReducingOp, q: Double) -> Double {
        switch op {
        case .sum: return value.isInfinite ? value : value + kahanC
        case .avg: return average.value
        case .count: return count
        case .stdvar: return value / count
        case .stddev: return (value / count).squareRoot()
        case .quantile: return quantile(q, &values)
        default: return value
        }
    }
}

/// Go's `container/heap` on indices, so that ties are broken exactly as Prometheus breaks them.
enum GoHeap {
    static func push(_ h: inout [Int], _ x: Int, less: (Int, Int) -> Bool) {
        h.append(x)
        up(&h, h.count - 1, less: less)
    }

    static func fix(_ h: inout [Int], _ i: Int, less: (Int, Int) -> Bool) {
        if !down(&h, i, h.count, less: less) { up(&h, i, less: less) }
    }

    static func up(_ h: inout [Int], _ j: Int, less: (Int, Int) -> Bool) {
        var j = j
        while true {
            let i = (j - 1) / 2
            if i == j || j <= 0 || !less(h[j], h[i]) { break }
            h.swapAt(i, j)
            j = i
        }
    }

    @discardableResult
    static func down(_ h: inout [Int], _ i0: Int, _ n: Int, less: (Int, Int) -> Bool) -> Bool {
        var i = i0
        while true {
            let j1 = 2 * i + 1
            if j1 >= n || j1 < 0 { break }
            var j = j1
            if j1 + 1 < n && less(h[j1 + 1], h[j1]) { j = j1 + 1 }
            if !less(h[j], h[i]) { break }
            h.swapAt(i, j)
            i = j
        }
        return i > i0
    }

    /// `sort.Sort(sort.Reverse(heap))` for small inputs: a stable insertion sort, greatest first.
    static func sortReversed(_ h: [Int], less: (Int, Int) -> Bool) -> [Int] {
        var a = h
        for i in 1..<max(a.count, 1) {
            var j = i
            while j > 0 && less(a[j - 1], a[j]) {
                a.swapAt(j, j - 1)
                j -= 1
            }
        }
        return a
    }
}

/// `limit_ratio`'s deterministic sampling: a series is kept when the fraction its label hash
/// maps to falls below the ratio (or, for a negative ratio, at or above 1 + ratio).
enum RatioSampler {
    static func keeps(_ labels: Labels, ratio: Double) -> Bool {
        var scratch: [UInt8] = []
        let fraction = Double(labels.stableHash(scratch: &scratch)) / Double(UInt64.max)
        return ratio >= 0 ? fraction < ratio : fraction >= 1 + ratio
    }
}
