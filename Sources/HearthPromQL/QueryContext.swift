import HearthStorage

/// State shared by every evaluator of one query (subqueries included): storage, limits and the
/// count of samples currently held, which `--query.max-samples` bounds.
final class QueryContext {
    let querier: any Querier
    let lookbackDelta: Int64
    let maxSamples: Int
    let noStepSubqueryInterval: Int64
    let queryStart: Int64
    let queryEnd: Int64
    /// The range query's step (0 for an instant query).
    let queryStep: Int64
    let deadline: ContinuousClock.Instant?
    let parallelism: Int
    let minimumSeriesPerPart: Int
    var currentSamples = 0
    private var checks = 0

    init(querier: any Querier, options: EngineOptions, queryStart: Int64, queryEnd: Int64, queryStep: Int64,
         deadline: ContinuousClock.Instant?) {
        self.querier = querier
        self.lookbackDelta = options.lookbackDelta
        self.maxSamples = options.maxSamples
        self.noStepSubqueryInterval = options.noStepSubqueryInterval
        self.queryStart = queryStart
        self.queryEnd = queryEnd
        self.queryStep = queryStep
        self.deadline = deadline
        self.parallelism = options.parallelism
        self.minimumSeriesPerPart = options.minimumSeriesPerPart
    }

    /// Counts `n` more samples held in memory; fails the query past the limit.
    @inline(__always)
    func hold(_ n: Int) throws(QueryError) {
        currentSamples += n
        if currentSamples > maxSamples { throw .tooManySamples }
    }

    /// Fails the query if it was cancelled or ran out of time. Cheap enough to call per series
    /// and per step: the clock is read every 64th call.
    @inline(__always)
    func checkDeadline() throws(QueryError) {
        defer { checks &+= 1 }
        guard checks & 63 == 0 else { return }
        if Task.isCancelled { throw .canceled }
        if let deadline, ContinuousClock.now > deadline { throw .timeout }
    }
}
