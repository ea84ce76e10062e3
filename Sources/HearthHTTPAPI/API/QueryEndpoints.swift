import Glibc
import HearthChunks
import HearthEncoding
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
    /// A time parameter; absent or empty gives `value` (an error when there is none).
    /// `context` is Prometheus's wording: the instant query's `time` says "invalid time value
    /// for 'time'", the range query's `start` and `end` do not.
    func time(_ p: Parameters, _ name: String, default value: Int64?, context: String? = nil) throws(APIError) -> Int64 {
        let text = p[name] ?? ""
        if text.isEmpty, let value { return value }
        guard let t = TimeParameter.parse(text) else {
            let prefix = context.map { "\($0): " } ?? ""
            throw .badData("invalid parameter \"\(name)\": \(prefix)cannot parse \(GoText.quote(text)) to a valid timestamp")
        }
        return t
    }

    /// A duration parameter in milliseconds, or nil when absent.
    func duration(_ p: Parameters, _ name: String) throws(APIError) -> Int64? {
        guard let text = p[name], !text.isEmpty else { return nil }
        switch TimeParameter.parseDuration(text) {
        case .success(let ms): return ms
        case .failure(let error): throw .badData("invalid parameter \"\(name)\": \(error)")
        }
    }

    func parse(_ p: Parameters) throws(APIError) -> Expr {
        let text = p["query"] ?? ""
        do { return try context.engine.parse(text) } catch {
            throw .badData("invalid parameter \"query\": \(error.description)")
        }
    }

    /// What every query request may set besides its times and `limit`: `timeout` (shortens
    /// `--query.timeout`), `lookback_delta`, and how a fan-out reads (`dedup`, `partial_response`).
    struct QueryOptions {
        var timeout: Int64?
        var lookbackDelta: Int64?
        var read = ReadParameters()
    }

    func queryOptions(_ p: Parameters) throws(APIError) -> QueryOptions {
        var options = QueryOptions()
        options.read = try readParameters(p)
        options.timeout = try duration(p, "timeout")
        do throws(APIError) {
            options.lookbackDelta = try duration(p, "lookback_delta")
        } catch {
            throw .badData(error.message.replacingPrefix("invalid parameter \"lookback_delta\": ", with: "error parsing lookback delta duration: "))
        }
        return options
    }

    /// `GET|POST /api/v1/query?query=…&time=…`
    func query(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        let limit = try limit(p)
        let t = try time(p, "time", default: nowMilliseconds(), context: "invalid time value for 'time'")
        let options = try queryOptions(p)
        return try await run(QueryRequest(.text(p["query"] ?? ""), at: t), options: options, limit: limit, stats: p["stats"] != nil)
    }

    /// `GET|POST /api/v1/query_range?query=…&start=…&end=…&step=…`: the parameters are parsed
    /// here and checked by the engine.
    func queryRange(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        let limit = try limit(p)
        let start = try time(p, "start", default: nil)
        let end = try time(p, "end", default: nil)
        let step: Int64
        switch TimeParameter.parseDuration(p["step"] ?? "") {
        case .success(let ms): step = ms
        case .failure(let error): throw .badData("invalid parameter \"step\": \(error)")
        }
        var query = QueryRequest(.text(p["query"] ?? ""), start: start, end: end, step: step)
        query.maxSteps = 11_000
        let options = try queryOptions(p)
        return try await run(query, options: options, limit: limit, stats: p["stats"] != nil)
    }

    /// Runs a query through the engine's one entry point with the request's `timeout` and
    /// `lookback_delta`, and cuts the answer to `limit` series. `hearth query` with
    /// `--query.pushdown` may first hand the checked query whole to the one endpoint that holds
    /// its data (not with `limit`, `lookback_delta` or `stats`, which that endpoint may not know).
    func run(_ request: QueryRequest, options: QueryOptions, limit: Int?, stats: Bool) async throws(APIError) -> APIResult {
        var request = request
        request.timeout = options.timeout.map { .milliseconds($0) }
        request.lookbackDelta = options.lookbackDelta
        let started = ContinuousClock.now
        defer { context.instrumentation.observeQuery(seconds: (ContinuousClock.now - started).seconds) }
        let engine = context.engine
        do {
            let prepared = try engine.prepare(request)
            if let pushdown = context.pushdown, limit == nil, options.lookbackDelta == nil, !stats {
                if let answer = await pushdown(PushdownQuery(prepared, timeout: prepared.timeout(within: engine.options.timeout), read: options.read)) {
                    return APIResult(answer: answer)
                }
            }
            let result = try await engine.run(prepared, querier: context.querier(options.read))
            return Self.truncated(result, limit: limit)
        } catch {
            throw .query(error)
        }
    }

    /// The result with at most `limit` series, and Prometheus's warning when it was cut.
    static func truncated(_ result: QueryResult, limit: Int?) -> APIResult {
        var value = result.value
        var annotations = result.annotations
        if let limit {
            switch value {
            case .vector(let v) where v.count > limit:
                value = .vector(Array(v.prefix(limit)))
                annotations.warnRaw("results truncated due to limit")
            case .matrix(let m) where m.count > limit:
                value = .matrix(Array(m.prefix(limit)))
                annotations.warnRaw("results truncated due to limit")
            default: break
            }
        }
        return APIResult(annotations: annotations) { w in Self.writeQueryResult(value, into: &w) }
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

extension String {
    /// The string with `prefix` replaced by `replacement`, if it starts with it.
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
