import HearthModel

/// One range-function call site (`rate(x[5m])`, `max_over_time(y[1h])`, ...) evaluated at
/// every step of one series. A value with no reference to the evaluator, so that parts of the
/// selected series can be stepped on several threads.
struct RangeStepper: Sendable {
    let kind: RangeFunctions.Kind
    let start: Int64
    let end: Int64
    let interval: Int64
    /// The selector's range, offset and `@` time, in milliseconds.
    let range: Int64
    let offset: Int64
    let at: Int64?
    /// The call's scalar arguments, one value per step.
    let scalars: [[FPoint]]
    /// Whether the result keeps the metric name (`last_over_time`, `first_over_time`).
    let keepsName: Bool
    /// The query's deadline, checked every 256 steps: one series' steps can take seconds
    /// (`quantile_over_time` sorts a window per step), and parts run off the query's task.
    let deadline: ContinuousClock.Instant?

    @inline(__always)
    func pastDeadline(_ step: Int) -> Bool {
        guard step & 255 == 255, let deadline else { return false }
        return ContinuousClock.now > deadline
    }

    /// Evaluates every step over one series' samples (`scratch.points`, stale markers left out)
    /// and appends the result series to `out`. `headroom` is how many samples the query may still
    /// hold; returns the error that ends the query, if any.
    func apply(
        _ labels: Labels, dropName: Bool, headroom: Int, scratch: inout StepScratch, into out: inout Matrix
    ) -> QueryError? {
        var output = scratch.output
        output.removeAll(keepingCapacity: true)
        defer { scratch.output = output }
        let error: QueryError? = scratch.points.withUnsafeBufferPointer { points in
            if (kind == .max || kind == .min) && start < end {
                return stepExtreme(points, headroom: headroom, queue: &scratch.queue, into: &output)
            }
            return step(points, headroom: headroom, values: &scratch.values, into: &output)
        }
        if let error { return error }
        guard !output.isEmpty else { return nil }
        out.append(Series(labels: labels, floats: Array(output), dropName: !keepsName || dropName))
        return nil
    }

    private func step(
        _ points: UnsafeBufferPointer<FPoint>, headroom: Int, values: inout [Double], into output: inout [FPoint]
    ) -> QueryError? {
        var window = RangeFunctions.Window(ts: 0, rangeStart: 0, rangeEnd: 0, range: range)
        if kind == .rate || kind == .increase { window.resetFree = Self.hasNoCounterReset(points) }
        let hasScalars = !scalars.isEmpty
        var lo = 0, hi = 0
        var stepIndex = 0
        var ts = start
        while ts <= end {
            defer {
                stepIndex += 1
                ts += interval
            }
            if pastDeadline(stepIndex) { return .timeout }
            let ref = (at ?? ts).clampedSubtracting(offset)
            while hi < points.count && points[hi].t <= ref { hi += 1 }
            while lo < hi && points[lo].t <= ref.clampedSubtracting(range) { lo += 1 }
            guard lo < hi else { continue }
            if hasScalars {
                window.scalar0 = stepIndex < scalars[0].count ? scalars[0][stepIndex].f : .nan
                if scalars.count > 1 { window.scalar1 = stepIndex < scalars[1].count ? scalars[1][stepIndex].f : .nan }
            }
            window.ts = ts
            window.rangeStart = ref.clampedSubtracting(range)
            window.rangeEnd = ref
            if kind == .doubleExponentialSmoothing, let error = RangeFunctions.smoothingFactorsError(window) { return error }
            // The window is held while the function runs.
            if hi - lo + output.count > headroom { return .tooManySamples }
            if let v = RangeFunctions.evaluate(kind, UnsafeBufferPointer(rebasing: points[lo..<hi]), window, scratch: &values) {
                output.append(FPoint(t: ts, f: v))
            }
        }
        return nil
    }

    /// `max_over_time`/`min_over_time` at every step, keeping the window's candidates in a queue
    /// (indices whose values only fall, for max, from front to back): each sample enters and
    /// leaves it once, so a range query costs samples + steps rather than steps x window. The
    /// same answers as `RangeFunctions.extreme`: NaN only when the whole window is NaN, and of
    /// equal extremes the earliest (0 before -0).
    private func stepExtreme(
        _ points: UnsafeBufferPointer<FPoint>, headroom: Int, queue: inout [Int], into output: inout [FPoint]
    ) -> QueryError? {
        if queue.count < points.count { queue = Array(repeating: 0, count: points.count) }
        return queue.withUnsafeMutableBufferPointer { queue in
            kind == .max
                ? stepExtreme(points, headroom: headroom, queue: queue, into: &output, isBetter: { $0 > $1 })
                : stepExtreme(points, headroom: headroom, queue: queue, into: &output, isBetter: { $0 < $1 })
        }
    }

    /// `queue[front..<back]` holds the candidates' indices; it has room for every sample.
    @inline(__always)
    private func stepExtreme(
        _ points: UnsafeBufferPointer<FPoint>, headroom: Int, queue: UnsafeMutableBufferPointer<Int>,
        into output: inout [FPoint], isBetter: (Double, Double) -> Bool
    ) -> QueryError? {
        var front = 0, back = 0
        var lo = 0, hi = 0
        var ts = start
        var stepIndex = 0
        while ts <= end {
            defer {
                ts += interval
                stepIndex += 1
            }
            if pastDeadline(stepIndex) { return .timeout }
            let ref = (at ?? ts).clampedSubtracting(offset)
            while hi < points.count && points[hi].t <= ref {
                let f = points[hi].f
                if !f.isNaN {
                    while back > front && isBetter(f, points[queue[back - 1]].f) { back -= 1 }
                    queue[back] = hi
                    back += 1
                }
                hi += 1
            }
            while lo < hi && points[lo].t <= ref.clampedSubtracting(range) { lo += 1 }
            while front < back && queue[front] < lo { front += 1 }
            guard lo < hi else { continue }
            if hi - lo + output.count > headroom { return .tooManySamples }
            output.append(FPoint(t: ts, f: front < back ? points[queue[front]].f : .nan))
        }
        return nil
    }

    /// True when no sample is below the one before it: then no window of the series has a
    /// counter reset, and `rate` need not look for one window by window.
    static func hasNoCounterReset(_ points: UnsafeBufferPointer<FPoint>) -> Bool {
        guard points.count > 1 else { return true }
        var previous = points[0].f
        for i in 1..<points.count {
            let f = points[i].f
            if f < previous { return false }
            previous = f
        }
        return true
    }

    /// Whether `rate`/`increase` over the series named `labels` gets Prometheus's "might not be a
    /// counter" note.
    func notesNonCounter(_ labels: Labels) -> String? {
        guard kind == .rate || kind == .increase, let metric = labels.metricName else { return nil }
        if metric.hasSuffix("_total") || metric.hasSuffix("_sum") || metric.hasSuffix("_count") || metric.hasSuffix("_bucket") {
            return nil
        }
        return metric
    }
}
