import HearthModel
import HearthPromQLParser

/// One query as every caller hands it to the engine (the HTTP API, the rules, the test
/// scripts): the expression, its times, and the per-request settings. The engine checks it
/// (``Engine/prepare(_:)``), in Prometheus's order and words; callers do not check it again.
public struct QueryRequest: Sendable {
    /// The query as sent (parsed by the engine, its errors naming the `query` parameter) or
    /// already parsed (a rule's expression, parsed when its file was loaded).
    public enum Expression: Sendable {
        case text(String)
        case parsed(Expr)
    }

    public var expression: Expression
    /// Evaluation time of an instant query, or the first step of a range query (ms).
    public var start: Int64
    public var end: Int64
    /// 0 for an instant query.
    public var step: Int64
    /// Whether this is a range query (whose step must then be positive).
    public let isRange: Bool
    /// Shortens `--query.timeout` (never lengthens it).
    public var timeout: Duration?
    /// Replaces `--query.lookback-delta` when positive.
    public var lookbackDelta: Int64?
    /// Most steps a range query may have (the HTTP API's 11,000; none for rules and tests).
    public var maxSteps: Int64?

    /// An instant query at `time`.
    public init(_ expression: Expression, at time: Int64) {
        self.expression = expression
        self.start = time
        self.end = time
        self.step = 0
        self.isRange = false
    }

    /// A range query over `[start, end]` every `step` ms.
    public init(_ expression: Expression, start: Int64, end: Int64, step: Int64) {
        self.expression = expression
        self.start = start
        self.end = end
        self.step = step
        self.isRange = true
    }

    /// The checks of the times and step, made before the expression is parsed (as Prometheus's
    /// API makes them).
    func validateTimes() throws(QueryError) {
        guard QueryTime.range.contains(start), QueryTime.range.contains(end) else {
            throw .timeOutOfRange
        }
        if !isRange { return }
        guard end >= start else { throw .invalidParameter("end", "end timestamp must not be before start time") }
        guard step > 0 else {
            throw .invalidParameter("step", "zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        // Within the time range, a step of at most 2^62 ms keeps `t + step` representable.
        guard step <= 1 << 62 else { throw .invalidParameter("step", "query resolution step width out of range") }
        if let maxSteps, (end - start) / step > maxSteps {
            throw .parse("exceeded maximum resolution of \(Self.grouped(maxSteps)) points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
    }

    /// The check of the parsed expression: a range query evaluates to a vector or a scalar.
    func validate(_ expr: Expr) throws(QueryError) {
        guard !isRange || expr.type == .vector || expr.type == .scalar else {
            throw .parse("invalid expression type \"\(expr.type.documentedName)\" for range query, must be Scalar or instant Vector")
        }
    }

    /// `11000` as `11,000`, as Prometheus's message writes it.
    static func grouped(_ n: Int64) -> String {
        var digits = Array(String(n))
        var i = digits.count - 3
        while i > (n < 0 ? 1 : 0) {
            digits.insert(",", at: i)
            i -= 3
        }
        return String(digits)
    }
}

/// A request that passed ``Engine/prepare(_:)``: its expression parsed and every check made.
public struct PreparedQuery: Sendable {
    public let expr: Expr
    public let request: QueryRequest

    /// How long the query may run: its own `timeout`, never beyond `limit` (`--query.timeout`).
    public func timeout(within limit: Duration) -> Duration {
        request.timeout.map { min(limit, max($0, .zero)) } ?? limit
    }
}

extension QueryError {
    /// A query time outside ``QueryTime/range``.
    static let timeOutOfRange = QueryError.parse(
        "query time out of range: times must lie within \(QueryTime.minimum / 1000) and \(QueryTime.maximum / 1000) seconds")
}
