import HearthEncoding
import HearthHTTPClient
import HearthModel
import HearthPromQLParser
import NIOHTTP1

/// Query pushdown (`--query.pushdown`): when every selector of a query can only be answered by
/// one endpoint, that endpoint evaluates the whole query with its own engine and its answer is
/// passed on, instead of every selected chunk crossing the network. Remote read costs a
/// Prometheus more than evaluating the query does (docs/benchmarks.md), so this is what lets
/// `hearth query` answer as fast as the Prometheus behind it.
///
/// The answer must be the one the fan-out would give, where the endpoint's series carry its
/// external labels. A plan therefore exists only where that can be shown from the query's
/// shape: the external labels reach the result either on every series or on none (then they
/// are added to each series of the answer, as remote read attaches them); no grouping,
/// matching or label function names one of them; no function makes labels out of its
/// selector's matchers (`absent`). Anything else is evaluated here as usual. The endpoint's
/// engine and flags (lookback delta, its PromQL version) then decide the answer.
public enum Pushdown {
    /// A query to send to `endpoint`, and the labels to add to each series of its answer.
    public struct Plan: Sendable, Equatable {
        public var endpoint: String
        public var query: String
        public var labels = Labels()
    }

    /// The plan for `expr`, or nil when it must be evaluated here. `endpoints` with their last
    /// known external labels; `hidden` are the labels deduplication removes (replica labels).
    public static func plan(_ expr: Expr, endpoints: [(address: String, externalLabels: Labels?)],
                            hidden: Set<String>) -> Plan? {
        let selectors = expr.selectors
        guard !selectors.isEmpty else { return nil }
        // Every endpoint must have told its labels, and one alone may hold each selector's series.
        var known: [(String, Labels)] = []
        for e in endpoints {
            guard let labels = e.externalLabels else { return nil }
            known.append((e.address, labels))
        }
        var chosen: (address: String, labels: Labels)?
        for s in selectors {
            guard let matchers = try? matchers(of: s) else { return nil }
            let holders = known.filter { $0.1.storedMatchers(matchers) != nil }
            guard holders.count == 1 else { return nil }
            if let c = chosen, c.address != holders[0].0 { return nil }
            chosen = (holders[0].0, holders[0].1)
        }
        guard let chosen else { return nil }
        let external = chosen.labels
        let names = Set(external.map(\.name))
        guard !namesAny(expr, of: names), let keeps = carriesExternalLabels(expr),
              let rewritten = try? rewrite(expr, external: external) else { return nil }
        let added = external.filter { !hidden.contains($0.name) }
        return Plan(endpoint: chosen.address, query: rewritten.description, labels: keeps ? Labels(sorted: added) : Labels())
    }

    static func matchers(of s: VectorSelector) throws -> [Matcher] {
        var out: [Matcher] = []
        if let name = s.name { out.append(try Matcher(.equal, Labels.metricName, name)) }
        for m in s.matchers { out.append(try Matcher(m.kind, m.name, m.value)) }
        return out
    }

    /// Whether any grouping, matching or string argument names one of `names` (then the
    /// labels' absence at the endpoint would change the answer).
    static func namesAny(_ e: Expr, of names: Set<String>) -> Bool {
        switch e {
        case .number, .vectorSelector, .matrixSelector: return false
        case .string(let s): return names.contains(s)
        case .subquery(let inner, _, _, _, _), .unary(_, let inner), .paren(let inner): return namesAny(inner, of: names)
        case .call(_, let args): return args.contains { namesAny($0, of: names) }
        case .aggregate(_, let inner, let param, let grouping, _, _):
            return grouping.contains(where: names.contains) || namesAny(inner, of: names) || (param.map { namesAny($0, of: names) } ?? false)
        case .binary(_, let l, let r, _, let matching):
            if let m = matching, (m.labels + m.include).contains(where: names.contains) { return true }
            return namesAny(l, of: names) || namesAny(r, of: names)
        }
    }

    /// Functions whose result has no labels (scalars, `vector`, `time`, date functions without
    /// an argument) or their first series argument's: every other one declines a plan.
    static let labelPreservingFunctions: Set<String> = {
        let declined: Set<String> = ["absent", "absent_over_time", "info", "histogram_quantiles", "max_of", "min_of"]
        return Set(FunctionSignature.all.keys).subtracting(declined)
    }()

    /// Whether every series of the result carries the selectors' external labels (true), none
    /// does (false), or it depends on the series (nil: no plan).
    static func carriesExternalLabels(_ e: Expr) -> Bool? {
        switch e {
        case .number, .string: return false
        case .vectorSelector, .matrixSelector: return true
        case .subquery(let inner, _, _, _, _), .unary(_, let inner), .paren(let inner): return carriesExternalLabels(inner)
        case .call(let name, let args):
            guard labelPreservingFunctions.contains(name) else { return nil }
            guard let series = args.first(where: { $0.type == .vector || $0.type == .matrix }) else { return false }
            for a in args where a.type == .vector || a.type == .matrix {
                guard carriesExternalLabels(a) != nil else { return nil }
            }
            return carriesExternalLabels(series)
        case .aggregate(let op, let inner, let param, _, let without, _):
            if let param, carriesExternalLabels(param) == nil { return nil }
            guard let keeps = carriesExternalLabels(inner) else { return nil }
            switch op {
            case "topk", "bottomk", "limitk", "limit_ratio": return keeps
            default: return without ? keeps : false
            }
        case .binary(let op, let l, let r, _, let matching):
            guard let kl = carriesExternalLabels(l), let kr = carriesExternalLabels(r) else { return nil }
            if l.type == .scalar { return kr }
            if r.type == .scalar { return kl }
            let m = matching ?? VectorMatching()
            // Matching on every label (no `on`) sees the external labels: both sides must agree.
            if !m.on && kl != kr { return nil }
            switch op {
            case .and, .unless: return kl
            case .or: return kl == kr ? kl : nil
            default:
                switch m.cardinality {
                case .manyToOne: return kl
                case .oneToMany: return kr
                case .oneToOne, .manyToMany: return m.on ? false : kl
                }
            }
        }
    }

    /// The query as the endpoint must see it: matchers on its external labels are answered here
    /// (as remote read answers them) and left out.
    static func rewrite(_ e: Expr, external: Labels) throws -> Expr {
        switch e {
        case .number, .string: return e
        case .vectorSelector(let s): return .vectorSelector(try stored(s, external))
        case .matrixSelector(let s, let range): return .matrixSelector(try stored(s, external), range: range)
        case .subquery(let inner, let range, let step, let offset, let at):
            return .subquery(try rewrite(inner, external: external), range: range, step: step, offset: offset, at: at)
        case .unary(let negative, let inner): return .unary(negative: negative, try rewrite(inner, external: external))
        case .paren(let inner): return .paren(try rewrite(inner, external: external))
        case .call(let name, let args): return .call(name, try args.map { try rewrite($0, external: external) })
        case .aggregate(let op, let inner, let param, let grouping, let without, let written):
            return .aggregate(op: op, expr: try rewrite(inner, external: external), param: try param.map { try rewrite($0, external: external) },
                              grouping: grouping, without: without, groupingWritten: written)
        case .binary(let op, let l, let r, let returnBool, let matching):
            return .binary(op: op, lhs: try rewrite(l, external: external), rhs: try rewrite(r, external: external),
                           returnBool: returnBool, matching: matching)
        }
    }

    struct Unplannable: Error {}

    static func stored(_ s: VectorSelector, _ external: Labels) throws -> VectorSelector {
        var out = s
        out.matchers = s.matchers.filter { external[$0.name] == nil }
        // A selector must keep a matcher that refuses the empty value.
        let kept = try matchers(of: out)
        guard kept.contains(where: { !$0.matches("") }) else { throw Unplannable() }
        return out
    }
}


extension Pushdown {
    /// Sends a plan's query to its endpoint's query API (`query_range` when `step` is given)
    /// and returns the answer as the endpoint wrote it, or nil when it did not answer with
    /// success (down, slow, or a query its engine refuses): then the query is evaluated here,
    /// which also reports the failure as a read would.
    public static func send(
        _ plan: Plan, endpoint: Endpoint, start: Int64, end: Int64, step: Int64?, timeoutMs: Int64,
        maxResponseBytes: Int, client: HTTPClient
    ) async -> [UInt8]? {
        var form = [("query", plan.query)]
        if let step {
            form += [("start", FanoutQuerier.seconds(start)), ("end", FanoutQuerier.seconds(end)), ("step", FanoutQuerier.seconds(step))]
        } else {
            form.append(("time", FanoutQuerier.seconds(start)))
        }
        form.append(("timeout", "\(max(timeoutMs, 1))ms"))
        let body = Array(form.map { "\($0.0)=\(GoText.queryEscape($0.1))" }.joined(separator: "&").utf8)
        guard let url = try? HTTPURL(endpoint.base + (step == nil ? "/api/v1/query" : "/api/v1/query_range")),
              // Uncompressed: gzip would cost both ends more than the bytes cost the network.
              let response = try? await client.execute(method: .POST, url: url, headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                                                                        ("Accept-Encoding", "identity")],
                                                       body: body, timeout: timeoutMs, maxBodyBytes: maxResponseBytes),
              response.status == 200, response.body.starts(with: Self.success) else { return nil }
        return addingLabels(plan.labels, to: response.body)
    }

    /// How every successful answer of Prometheus's API begins.
    static let success = Array(#"{"status":"success","#.utf8)
}
