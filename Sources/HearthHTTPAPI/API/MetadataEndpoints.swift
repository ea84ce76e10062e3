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

extension API {
    /// Prometheus's defaults for an open-ended range (its `minTime`/`maxTime`, in milliseconds).
    static let minTime: Int64 = -9_223_309_901_257_974_000
    static let maxTime: Int64 = 9_223_309_901_257_974_999

    /// The matchers of each `match[]` selector.
    func matcherSets(_ p: Parameters) throws(APIError) -> [[Matcher]] {
        var sets: [[Matcher]] = []
        for text in p.all("match[]") {
            let expr: Expr
            do { expr = try context.engine.parse(text) } catch {
                throw .badData("invalid parameter \"match[]\": \(error.description)")
            }
            guard case .vectorSelector(let vs) = expr.unwrapped else {
                throw .badData("invalid parameter \"match[]\": \(text) is not a series selector")
            }
            sets.append(try Self.matchers(vs))
        }
        return sets
    }

    static func matchers(_ vs: VectorSelector) throws(APIError) -> [Matcher] {
        var out: [Matcher] = []
        do {
            if let name = vs.name { out.append(try Matcher(.equal, Labels.metricName, name)) }
            for m in vs.matchers { out.append(try Matcher(m.kind, m.name, m.value)) }
        } catch {
            throw .badData("invalid parameter \"match[]\": \(error)")
        }
        return out
    }

    /// `limit`: Go's `strconv.Atoi`, then non-negative; 0 means no limit.
    func limit(_ p: Parameters) throws(APIError) -> Int? {
        guard let text = p["limit"], !text.isEmpty else { return nil }
        guard let n = Int(text) else {
            let digits = text.drop { $0 == "+" || $0 == "-" }
            let reason = !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) ? "value out of range" : "invalid syntax"
            throw .badData("invalid parameter \"limit\": strconv.Atoi: parsing \(GoText.quote(text)): \(reason)")
        }
        guard n >= 0 else { throw .badData("invalid parameter \"limit\": limit must be non-negative") }
        return n == 0 ? nil : n
    }

    /// `dedup` and `partial_response` (Thanos's parameters; Go's `strconv.ParseBool`).
    func readParameters(_ p: Parameters) throws(APIError) -> ReadParameters {
        func flag(_ name: String) throws(APIError) -> Bool? {
            guard let text = p[name], !text.isEmpty else { return nil }
            switch text {
            case "1", "t", "T", "TRUE", "true", "True": return true
            case "0", "f", "F", "FALSE", "false", "False": return false
            default: throw .badData("invalid parameter \"\(name)\": strconv.ParseBool: parsing \(GoText.quote(text)): invalid syntax")
            }
        }
        return ReadParameters(deduplicate: try flag("dedup"), partialResponse: try flag("partial_response"))
    }

    /// Runs a read off the task pool when the querier waits on the network.
    func reading<T: Sendable>(_ querier: any Querier, _ body: @escaping @Sendable () throws(StorageError) -> T) async throws(APIError) -> T {
        do throws(StorageError) {
            return querier.blocksOnRemoteReads ? try await runOnOwnThread(body) : try body()
        } catch {
            throw .storage(error)
        }
    }

    /// `series?match[]=…&start=…&end=…`: the label sets of matching series.
    func series(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        let sets = try matcherSets(p)
        guard !sets.isEmpty else { throw .badData("no match[] parameter provided") }
        let start = try time(p, "start", default: Self.minTime)
        let end = try time(p, "end", default: Self.maxTime)
        let limit = try limit(p)
        let querier = context.querier(try readParameters(p))
        var hints = SelectHints(start: start, end: end)
        hints.function = "series"
        hints.limit = limit.map { $0 == .max ? $0 : $0 + 1 } ?? 0
        let selections = try await reading(querier) { [hints] () throws(StorageError) in
            var out: [SeriesSet] = []
            for matchers in sets { out.append(try querier.select(matchers, hints: hints)) }
            return out
        }
        var found = Set<Labels>()
        var annotations = Annotations()
        for selected in selections {
            for w in selected.warnings { annotations.warnRaw(w) }
            for s in selected.series { found.insert(s.labels) }
        }
        var sorted = found.sorted(by: <)
        if let limit, sorted.count > limit {
            sorted = Array(sorted.prefix(limit))
            annotations.warnRaw("results truncated due to limit")
        }
        return APIResult(annotations: annotations) { w in
            w.beginArray()
            for l in sorted { Self.writeLabels(l, into: &w) }
            w.endArray()
        }
    }

    /// `labels`: label names, of all series or of those matching `match[]`.
    func labels(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        let sets = try matcherSets(p)
        let hints = try labelHints(p)
        let querier = context.querier(try readParameters(p))
        let lists = try await reading(querier) { () throws(StorageError) in
            var out: [LabelList] = []
            for matchers in sets.isEmpty ? [[]] : sets { out.append(try querier.labelNames(matchers, hints: hints)) }
            return out
        }
        var names = Set<String>()
        var warnings: [String] = []
        for list in lists {
            names.formUnion(list.values)
            warnings += list.warnings
        }
        return try listResult(names, warnings: warnings, limit: limit(p))
    }

    /// `start`, `end` and `limit` of a label names or values request (one more than the limit
    /// is asked for, so that truncation can be told).
    func labelHints(_ p: Parameters) throws(APIError) -> LabelHints {
        let start = try time(p, "start", default: Self.minTime)
        let end = try time(p, "end", default: Self.maxTime)
        return LabelHints(start: start, end: end, limit: try limit(p).map { $0 == .max ? $0 : $0 + 1 } ?? 0)
    }

    /// `label/<name>/values`.
    func labelValues(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let path = request.path
        var name = Parameters.percentDecode(path.dropFirst("/api/v1/label/".count).dropLast("/values".count))
        // Prometheus's escaping for names that are not valid legacy names: `U__` + underscores.
        if name.hasPrefix("U__") { name = Self.unescapeLabelName(name) }
        guard !name.isEmpty else { throw .badData("invalid label name: \"\"") }
        let p = Parameters(request)
        let sets = try matcherSets(p)
        let hints = try labelHints(p)
        let querier = context.querier(try readParameters(p))
        let lists = try await reading(querier) { [name] () throws(StorageError) in
            var out: [LabelList] = []
            for matchers in sets.isEmpty ? [[]] : sets { out.append(try querier.labelValues(name, matchers, hints: hints)) }
            return out
        }
        var values = Set<String>()
        var warnings: [String] = []
        for list in lists {
            values.formUnion(list.values)
            warnings += list.warnings
        }
        return try listResult(values, warnings: warnings, limit: limit(p))
    }

    func listResult(_ set: Set<String>, warnings: [String], limit: Int?) -> APIResult {
        var sorted = set.sorted { $0.utf8Precedes($1) }
        var annotations = Annotations()
        for w in warnings { annotations.warnRaw(w) }
        if let limit, sorted.count > limit {
            sorted = Array(sorted.prefix(limit))
            annotations.warnRaw("results truncated due to limit")
        }
        return APIResult(annotations: annotations) { w in
            w.beginArray()
            for s in sorted { w.string(s) }
            w.endArray()
        }
    }

    /// `U__` escaping: `_` followed by hex digits and `_` stands for that code point.
    static func unescapeLabelName(_ s: String) -> String {
        var out = ""
        let chars = Array(s.dropFirst(3))
        var i = 0
        while i < chars.count {
            if chars[i] == "_", let end = chars[(i + 1)...].firstIndex(of: "_"), end > i + 1,
               let code = UInt32(String(chars[(i + 1)..<end]), radix: 16), let scalar = Unicode.Scalar(code) {
                out.unicodeScalars.append(scalar)
                i = end + 1
            } else if chars[i] == "_" && i + 1 < chars.count && chars[i + 1] == "_" {
                out.append("_")
                i += 2
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    /// `metadata?metric=…&limit=…&limit_per_metric=…`: what the targets' `# TYPE`, `# HELP` and
    /// `# UNIT` lines say of each metric family (every distinct entry), as Prometheus serves it;
    /// `limit` keeps that many families (the first by name, where Prometheus takes any).
    func metadata(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        func number(_ name: String) throws(APIError) -> Int {
            guard let text = p[name], !text.isEmpty else { return -1 }
            guard let n = Int(text) else { throw .badData("\(name) must be a number") }
            return n
        }
        let limit = try number("limit")
        let limitPerMetric = try number("limit_per_metric")
        let metric = p["metric"].flatMap { $0.isEmpty ? nil : $0 }
        let read = try readParameters(p)
        let set: MetadataSet
        do { set = try await context.metadata(metric, max(limitPerMetric, 0), read) } catch { throw .storage(error) }
        var names = set.metrics.keys.sorted { $0.utf8Precedes($1) }
        if limit >= 0 && names.count > limit { names = Array(names.prefix(limit)) }
        var annotations = Annotations()
        for warning in set.warnings { annotations.warnRaw(warning) }
        return APIResult(annotations: annotations) { w in
            w.beginObject()
            for name in names {
                w.key(name)
                w.beginArray()
                let entries = set.metrics[name, default: []].sorted { ($0.type, $0.help, $0.unit) < ($1.type, $1.help, $1.unit) }
                for e in entries {
                    w.beginObject()
                    w.key("type"); w.string(e.type)
                    w.key("help"); w.string(e.help)
                    w.key("unit"); w.string(e.unit)
                    w.endObject()
                }
                w.endArray()
            }
            w.endObject()
        }
    }

    /// `query_exemplars`: exemplars are not stored yet; the query is still checked.
    func exemplars(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        _ = try parse(p)
        return APIResult { w in
            w.beginArray()
            w.endArray()
        }
    }
}

extension Annotations {
    /// A warning that is not a PromQL one (no "PromQL warning:" prefix).
    mutating func warnRaw(_ message: String) { appendRawWarning(message) }
}

extension Expr {
    var unwrapped: Expr {
        if case .paren(let inner) = self { return inner.unwrapped }
        return self
    }
}
