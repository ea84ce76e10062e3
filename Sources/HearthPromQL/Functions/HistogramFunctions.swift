import HearthModel

/// `histogram_quantile` and `histogram_fraction` over classic histograms: series that differ only
/// in their `le` label are the cumulative buckets of one histogram.
enum HistogramFunctions {
    struct Bucket {
        var upperBound: Double
        var count: Double
    }

    /// Groups the input's buckets by their labels without `le`, in order of first appearance;
    /// warns about bucket labels that are not numbers. Each series' group and bound are worked
    /// out once and remembered across steps.
    static func groupBuckets(_ c: FunctionCall, _ input: Vector) -> [(labels: Labels, buckets: [Bucket], dropName: Bool)] {
        let cache = c.cache
        var groups: [(labels: Labels, buckets: [Bucket], dropName: Bool)] = []
        var slot: [Int: Int] = [:]  // cache group -> index in `groups`
        for s in input {
            let entry: (group: Int, bound: Double?)
            if s.id >= 0, let cached = cache.bucket[s.id] {
                entry = cached
            } else {
                let bound = parseGoFloat(s.labels["le"] ?? "")
                let key = s.labels.removing(["le"])
                var group = cache.groupIndex[key]
                if group == nil {
                    group = cache.groupLabels.count
                    cache.groupIndex[key] = group
                    cache.groupLabels.append(key)
                }
                entry = (group!, bound)
                if s.id >= 0 { cache.bucket[s.id] = entry }
            }
            guard let bound = entry.bound else {
                let le = s.labels["le"] ?? ""
                c.evaluator.annotations.warn(
                    "bucket label \"le\" is missing or has a malformed value of \"\(le)\" for metric name \"\(s.labels.metricName ?? "")\"")
                continue
            }
            if let i = slot[entry.group] {
                groups[i].buckets.append(Bucket(upperBound: bound, count: s.f))
            } else {
                slot[entry.group] = groups.count
                groups.append((cache.groupLabels[entry.group], [Bucket(upperBound: bound, count: s.f)], true))
            }
        }
        return groups
    }

    static func quantile(_ c: FunctionCall) -> Vector {
        guard c.inputs.count == 2, let qSample = c.inputs[0].first else { return [] }
        let q = qSample.f
        if q.isNaN || q < 0 || q > 1 { c.evaluator.annotations.warn(invalidQuantile(q)) }
        var out: Vector = []
        for g in groupBuckets(c, c.inputs[1]) where !g.buckets.isEmpty {
            let (value, forced) = bucketQuantile(q, g.buckets)
            if forced {
                c.evaluator.annotations.info(
                    "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"\(g.labels.metricName ?? "")\"")
            }
            out.append(VectorSample(labels: g.labels, f: value, dropName: true))
        }
        return out
    }

    /// `histogram_quantiles(v, "label", q1, q2, ...)`: one output series per quantile, told apart
    /// by `label`.
    static func quantiles(_ c: FunctionCall) -> Vector {
        let label = c.args[1].stringLiteral
        let qs = (2..<c.inputs.count).map { c.scalar($0) }
        for q in qs where q.isNaN || q < 0 || q > 1 { c.evaluator.annotations.warn(invalidQuantile(q)) }
        let groups = groupBuckets(c, c.inputs[0]).filter { !$0.buckets.isEmpty }
        var out: Vector = []
        for q in qs {
            for g in groups {
                let (value, forced) = bucketQuantile(q, g.buckets)
                if forced {
                    c.evaluator.annotations.info(
                        "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"\(g.labels.metricName ?? "")\"")
                }
                out.append(VectorSample(labels: g.labels.setting(label, formatOpenMetricsFloat(q)), f: value, dropName: true))
            }
        }
        return out
    }

    static func fraction(_ c: FunctionCall) -> Vector {
        guard c.inputs.count == 3, let lower = c.inputs[0].first?.f, let upper = c.inputs[1].first?.f else { return [] }
        return groupBuckets(c, c.inputs[2]).filter { !$0.buckets.isEmpty }.map { g in
            VectorSample(labels: g.labels, f: bucketFraction(lower, upper, g.buckets), dropName: true)
        }
    }

    /// Sorts by upper bound and merges buckets with equal bounds.
    static func sortAndCoalesce(_ buckets: [Bucket]) -> [Bucket] {
        let sorted = buckets.enumerated().sorted {
            $0.element.upperBound != $1.element.upperBound ? $0.element.upperBound < $1.element.upperBound : $0.offset < $1.offset
        }.map(\.element)
        var out: [Bucket] = []
        for b in sorted {
            if let last = out.last, last.upperBound == b.upperBound {
                out[out.count - 1].count += b.count
            } else {
                out.append(b)
            }
        }
        return out
    }

    /// The quantile by linear interpolation within the bucket holding its rank; also whether the
    /// bucket counts had to be forced to be monotonic.
    static func bucketQuantile(_ q: Double, _ input: [Bucket]) -> (Double, Bool) {
        if q.isNaN { return (.nan, false) }
        if q < 0 { return (-.infinity, false) }
        if q > 1 { return (.infinity, false) }
        var buckets = sortAndCoalesce(input)
        guard buckets.last!.upperBound == .infinity else { return (.nan, false) }
        var forced = false
        var prev = buckets[0].count
        for i in 1..<buckets.count {
            let curr = buckets[i].count
            if curr == prev { continue }
            if almostEqual(prev, curr, 1e-12) {
                buckets[i].count = prev
                continue
            }
            if curr < prev {
                buckets[i].count = prev
                forced = true
                continue
            }
            prev = curr
        }
        guard buckets.count >= 2 else { return (.nan, forced) }
        let observations = buckets[buckets.count - 1].count
        guard observations != 0 else { return (.nan, forced) }
        var rank = q * observations
        var b = 0
        while b < buckets.count - 1 && !(buckets[b].count >= rank) { b += 1 }
        if b == buckets.count - 1 { return (buckets[buckets.count - 2].upperBound, forced) }
        if b == 0 && buckets[0].upperBound <= 0 { return (buckets[0].upperBound, forced) }
        var bucketStart = 0.0
        let bucketEnd = buckets[b].upperBound
        var count = buckets[b].count
        if b > 0 {
            bucketStart = buckets[b - 1].upperBound
            count -= buckets[b - 1].count
            rank -= buckets[b - 1].count
        }
        return (bucketStart + (bucketEnd - bucketStart) * (rank / count), forced)
    }

    /// The fraction of observations between `lower` and `upper`, interpolating linearly inside
    /// buckets.
    static func bucketFraction(_ lower: Double, _ upper: Double, _ input: [Bucket]) -> Double {
        let buckets = sortAndCoalesce(input)
        guard buckets.last!.upperBound == .infinity else { return .nan }
        let count = buckets[buckets.count - 1].count
        if count == 0 || lower.isNaN || upper.isNaN { return .nan }
        if lower >= upper { return 0 }
        var rank = 0.0, lowerRank = 0.0, upperRank = 0.0
        var lowerSet = false, upperSet = false
        var lowerBound = buckets[0].upperBound <= 0 ? -Double.infinity : 0.0
        for (i, b) in buckets.enumerated() {
            if i > 0 { lowerBound = buckets[i - 1].upperBound }
            let upperBound = b.upperBound
            func interpolate(_ v: Double) -> Double {
                if lowerBound == -.infinity { return b.count }
                return rank + (b.count - rank) * (v - lowerBound) / (upperBound - lowerBound)
            }
            if !lowerSet && lowerBound >= lower {
                lowerRank = rank
                lowerSet = true
            }
            if !upperSet && lowerBound >= upper {
                upperRank = rank
                upperSet = true
            }
            if lowerSet && upperSet { break }
            if !lowerSet && lowerBound < lower && upperBound > lower {
                lowerRank = interpolate(lower)
                lowerSet = true
            }
            if !upperSet && lowerBound < upper && upperBound > upper {
                upperRank = interpolate(upper)
                upperSet = true
            }
            if lowerSet && upperSet { break }
            rank = b.count
        }
        if !lowerSet || lowerRank > count { lowerRank = count }
        if !upperSet || upperRank > count { upperRank = count }
        return (upperRank - lowerRank) / count
    }
}

/// Prometheus's `almost.Equal`: relative comparison with a floor for tiny values.
public func almostEqual(_ a: Double, _ b: Double, _ epsilon: Double) -> Bool {
    if a.isNaN && b.isNaN { return true }
    if a == b { return true }
    let minNormal = Double(bitPattern: 0x0010_0000_0000_0000)
    let absSum = abs(a) + abs(b)
    let diff = abs(a - b)
    if a == 0 || b == 0 || absSum < minNormal { return diff < epsilon * minNormal }
    return diff / min(absSum, Double.greatestFiniteMagnitude) < epsilon
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal and hex floats, `Inf`/`+Inf`/`-Inf`/`NaN` in any
/// case, underscores not allowed.
func parseGoFloat(_ s: String) -> Double? {
    if s.isEmpty { return nil }
    let lower = s.lowercased()
    switch lower {
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    case "nan": return .nan
    default: break
    }
    if lower.contains("_") || lower.contains("n") || lower.contains("i") { return nil }
    return Double(s)
}

/// The OpenMetrics text form of a float: integers keep a `.0`.
func formatOpenMetricsFloat(_ f: Double) -> String {
    if f.isNaN { return "NaN" }
    if f.isInfinite { return f > 0 ? "+Inf" : "-Inf" }
    if f == f.rounded() && abs(f) < 9e18 { return String(Int64(f)) + ".0" }
    return "\(f)"
}
