import HearthModel
import HearthPromQLParser
import HearthStorage

/// Limits and defaults of the query engine; the names follow Prometheus's flags.
public struct EngineOptions: Sendable {
    /// `--query.lookback-delta`: how far back an instant selector looks for a sample (ms).
    public var lookbackDelta: Int64 = 5 * 60 * 1000
    /// `--query.max-samples`: samples a query may hold in memory at once.
    public var maxSamples = 50_000_000
    /// `--query.timeout`.
    public var timeout: Duration = .seconds(120)
    /// `--query.max-concurrency`.
    public var maxConcurrentQueries = 20
    /// The step of a subquery written without one (Prometheus uses the global evaluation interval).
    public var noStepSubqueryInterval: Int64 = 60_000
    /// Accept the functions Prometheus keeps behind `--enable-feature=promql-experimental-functions`.
    public var experimentalFunctions = false
    /// Threads one query may step a large selection on (range functions and instant selectors).
    public var parallelism = min(4, Processors.online)
    /// Fewest series worth a thread of their own.
    public var minimumSeriesPerPart = 256

    public init() {}
}

/// Parses and evaluates PromQL over a ``Querier``.
public final class Engine: Sendable {
    public let options: EngineOptions
    private let slots: QuerySlots

    public init(options: EngineOptions = EngineOptions()) {
        self.options = options
        self.slots = QuerySlots(limit: options.maxConcurrentQueries)
    }

    /// Parses `query` with this engine's feature set.
    public func parse(_ query: String) throws(QueryError) -> Expr {
        do { return try Parser.parse(query, experimentalFunctions: options.experimentalFunctions) } catch {
            throw .parse(error.describe(in: query))
        }
    }

    /// Runs a query for the HTTP API: waits for one of the `--query.max-concurrency` slots (a
    /// cancelled task fails with `.canceled` instead), then evaluates it, on a thread of its own
    /// when the querier blocks on remote reads.
    public func run(_ query: PreparedQuery, querier: any Querier) async throws(QueryError) -> QueryResult {
        try await runLimited(onOwnThread: querier.blocksOnRemoteReads) { () throws(QueryError) in
            try self.evaluate(query, querier: querier)
        }
    }

    /// Runs `body` once one of the `--query.max-concurrency` slots is free (a cancelled task
    /// fails with `.canceled` instead). With `onOwnThread` (a querier that blocks on remote
    /// reads) the body runs on a thread of its own.
    public func runLimited<T: Sendable>(
        onOwnThread: Bool = false, _ body: @escaping @Sendable () throws(QueryError) -> T
    ) async throws(QueryError) -> T {
        await slots.acquire()
        defer { Task { await slots.release() } }
        if Task.isCancelled { throw .canceled }
        guard onOwnThread else { return try body() }
        return try await runOnOwnThread(body)
    }

    /// The one place a query is checked, for every caller: the times, then the expression
    /// (parsed if sent as text, its errors naming the `query` parameter), then its type.
    public func prepare(_ request: QueryRequest) throws(QueryError) -> PreparedQuery {
        try request.validateTimes()
        let expr: Expr
        switch request.expression {
        case .parsed(let e): expr = e
        case .text(let text):
            do { expr = try parse(text) } catch { throw .invalidParameter("query", error.description) }
        }
        try request.validate(expr)
        return PreparedQuery(expr: expr, request: request)
    }

    /// Checks and evaluates a query (the rules and the test scripts; the API goes through
    /// ``run(_:querier:)`` for the concurrency slot).
    public func execute(_ request: QueryRequest, querier: any Querier) throws(QueryError) -> QueryResult {
        try evaluate(try prepare(request), querier: querier)
    }

    /// Evaluates a checked query within its timeout and `--query.max-samples`: an instant query
    /// when the request is not a range, else a matrix sorted by labels.
    func evaluate(_ query: PreparedQuery, querier: any Querier) throws(QueryError) -> QueryResult {
        let request = query.request
        var options = self.options
        options.timeout = query.timeout(within: options.timeout)
        if let lookback = request.lookbackDelta, lookback > 0 { options.lookbackDelta = lookback }
        return try evaluate(query.expr, start: request.start, end: request.isRange ? request.end : request.start,
                            step: request.isRange ? request.step : 0, querier: querier, options: options,
                            deadline: ContinuousClock.now + options.timeout)
    }

    /// Shorthand for ``execute(_:querier:)`` with a parsed expression (tests and benchmarks):
    /// a range query when `step` is not 0.
    public func evaluate(
        _ expr: Expr, start: Int64, end: Int64, step: Int64, querier: any Querier, lookbackDelta: Int64? = nil
    ) throws(QueryError) -> QueryResult {
        var request = step == 0 && start == end
            ? QueryRequest(.parsed(expr), at: start) : QueryRequest(.parsed(expr), start: start, end: end, step: step)
        request.lookbackDelta = lookbackDelta
        return try execute(request, querier: querier)
    }

    private func evaluate(
        _ expr: Expr, start: Int64, end: Int64, step: Int64, querier: any Querier, options: EngineOptions,
        deadline: ContinuousClock.Instant
    ) throws(QueryError) -> QueryResult {
        let instant = step == 0
        // A querier that waits on the network gets every selection asked of it at once.
        var querier = querier
        if querier.blocksOnRemoteReads,
           let prefetched = Prefetch.querier(for: expr, start: start, end: end, step: step, base: querier, options: options, deadline: deadline) {
            querier = prefetched
        }
        let context = QueryContext(querier: querier, options: options, queryStart: start, queryEnd: end, queryStep: step, deadline: deadline)
        let evaluator = Evaluator(start: start, end: instant ? start : end, interval: instant ? 1 : step, context: context)
        try evaluator.checkStepCount()
        let value = try evaluator.eval(expr)
        let annotations = evaluator.annotations
        switch value {
        case .string(let s):
            return QueryResult(value: .string(t: start, s), annotations: annotations)
        case .matrix(var matrix):
            matrix = try finish(matrix, evaluator: evaluator)
            if !instant {
                matrix.sort { $0.labels < $1.labels }
                return QueryResult(value: .matrix(matrix), annotations: annotations)
            }
            switch expr.type {
            case .scalar:
                return QueryResult(value: .scalar(t: start, f: matrix.first?.floats.first?.f ?? .nan), annotations: annotations)
            case .matrix:
                matrix.sort { $0.labels < $1.labels }
                return QueryResult(value: .matrix(matrix), annotations: annotations)
            default:
                let vector = matrix.map { VectorSample(labels: $0.labels, t: start, f: $0.floats[0].f) }
                return QueryResult(value: .vector(vector), annotations: annotations)
            }
        }
    }

    /// Delayed name removal: drops `__name__` from series marked for it, then merges series that
    /// became identical (two with a sample at the same step is an error).
    private func finish(_ matrix: Matrix, evaluator: Evaluator) throws(QueryError) -> Matrix {
        var m = matrix
        for i in m.indices where m[i].dropName {
            m[i].labels = m[i].labels.droppingMetricName()
            m[i].dropName = false
        }
        return try evaluator.mergeSeriesWithSameLabels(m)
    }
}

/// A counting semaphore for `--query.max-concurrency`.
actor QuerySlots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { free = max(1, limit) }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            free += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
