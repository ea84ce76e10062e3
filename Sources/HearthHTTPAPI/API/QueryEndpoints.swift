import Glibc
import HearthChunks
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthStorage
import HearthTSDB
import Logging
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in milliseconds.
func nowMilliseconds() -> Int64 { unixMilliseconds() }

extension API {
    func time(_ p: Parameters, _ name: String, default value: Int64?) throws(APIError) -> Int64 {
        guard let text = p[name], !text.isEmpty else {
            if let value { return value }
            throw .badData("invalid parameter \"\(name)\": cannot parse \"\" to a valid timestamp")
        }
        guard let t = TimeParameter.parse(text) else {
            throw .badData("invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid timestamp")
        }
        return t
    }

    func parse(_ p: Parameters) throws(APIError) -> Expr {
        let text = p["query"] ?? ""
        do { return try context.engine.parse(text) } catch {
            throw .badData("invalid parameter \"query\": \(error.description)")
        }
    }

    /// `GET|POST /api/v1/query?query=…&time=…`
    func query(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        let t = try time(p, "time", default: nowMilliseconds())
        let expr = try parse(p)
        let result = try await evaluate(expr, start: t, end: t, step: 0)
        return APIResult(annotations: result.annotations) { w in Self.writeQueryResult(result.value, into: &w) }
    }

    /// `GET|POST /api/v1/query_range?query=…&start=…&end=…&step=…`
    func queryRange(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        let start = try time(p, "start", default: nil)
        let end = try time(p, "end", default: nil)
        if end < start { throw .badData("end timestamp must not be before start time") }
        let stepText = p["step"] ?? ""
        guard let step = TimeParameter.parseDuration(stepText) else {
            throw .badData("invalid parameter \"step\": cannot parse \"\(stepText)\" to a valid duration")
        }
        if step <= 0 { throw .badData("zero or negative query resolution step widths are not accepted. Try a positive integer") }
        if (end - start) / step > 11_000 {
            throw .badData("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        let expr = try parse(p)
        if expr.type != .vector && expr.type != .scalar {
            throw .badData("invalid expression type \"\(expr.type.documentedName)\" for range query, must be Scalar or instant Vector")
        }
        let result = try await evaluate(expr, start: start, end: end, step: step)
        return APIResult(annotations: result.annotations) { w in Self.writeQueryResult(result.value, into: &w) }
    }

    func evaluate(_ expr: Expr, start: Int64, end: Int64, step: Int64) async throws(APIError) -> QueryResult {
        let engine = context.engine
        let querier = context.db.querier()
        let started = ContinuousClock.now
        defer { context.instrumentation.observeQuery(seconds: (ContinuousClock.now - started).seconds) }
        do {
            return try await engine.runLimited { () throws(QueryError) in
                try engine.evaluate(expr, start: start, end: end, step: step, querier: querier,
                                    deadline: ContinuousClock.now + engine.options.timeout)
            }
        } catch {
            throw .query(error)
        }
    }

    static func writeLabels(_ labels: Labels, into w: inout JSONWriter) {
        w.beginObject()
        for l in labels {
            w.key(l.name)
            w.string(l.value)
        }
        w.endObject()
    }

    /// `{"resultType": …, "result": …}` in Prometheus's shapes.
    static func writeQueryResult(_ value: QueryValue, into w: inout JSONWriter) {
        w.beginObject()
        w.key("resultType")
        switch value {
        case .scalar(let t, let f):
            w.string("scalar")
            w.key("result")
            w.point(t: t, value: f)
        case .string(let t, let s):
            w.string("string")
            w.key("result")
            w.beginArray()
            w.timestamp(t)
            w.string(s)
            w.endArray()
        case .vector(let samples):
            w.string("vector")
            w.key("result")
            w.beginArray()
            for s in samples {
                w.beginObject()
                w.key("metric")
                writeLabels(s.labels, into: &w)
                w.key("value")
                w.point(t: s.t, value: s.f)
                w.endObject()
            }
            w.endArray()
        case .matrix(let series):
            w.string("matrix")
            w.key("result")
            w.beginArray()
            for s in series {
                w.beginObject()
                w.key("metric")
                writeLabels(s.labels, into: &w)
                w.key("values")
                w.beginArray()
                for p in s.floats { w.point(t: p.t, value: p.f) }
                w.endArray()
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }

    /// `format_query`: the canonical form.
    func formatQuery(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let expr = try parse(Parameters(request))
        let text = expr.description
        return APIResult { w in w.string(text) }
    }

    /// `parse_query`: the syntax tree as the Prometheus UI's tree view reads it.
    func parseQuery(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let expr = try parse(Parameters(request))
        return APIResult { w in ASTJSON.write(expr, into: &w) }
    }
}
