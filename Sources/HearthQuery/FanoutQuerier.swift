import Foundation
import HearthEncoding
import HearthHTTPClient
import HearthModel
import HearthStorage
import NIOCore
import Synchronization

/// How a fan-out read behaves; the flags of `hearth query`.
public struct FanoutOptions: Sendable {
    /// `--query.replica-label`: labels that only tell HA replicas apart.
    public var replicaLabels: Set<String> = []
    /// Deduplicate replicas (a request's `dedup=false` turns it off).
    public var deduplicate = true
    /// `--query.partial-response`: an endpoint that fails is a warning (true) or fails the
    /// query (false).
    public var partialResponse = true
    /// `--endpoint.timeout` (ms): each endpoint's share of a query.
    public var timeoutMs: Int64 = 30_000
    /// `--endpoint.max-response-bytes`: the largest (decompressed) answer taken from one endpoint.
    public var maxResponseBytes = 512 << 20
    /// Reads in flight for one selection.
    public var maxConcurrentReads = 16
    /// `--query.max-samples`: what deduplication may decode for one selection.
    public var maxSamples = 50_000_000

    public init() {}
}

/// One view over many endpoints, for the engine and the API: a selection goes to every
/// endpoint that may hold matching series (by external labels and time range), concurrently
/// and each within its timeout; the answers are joined, HA replicas merged
/// (``Deduplication``), and an endpoint that fails becomes a warning, or the query's error
/// without partial responses.
///
/// Reads block the calling thread until every endpoint answered or timed out: the engine
/// evaluates synchronously. So this querier says ``Querier/blocksOnRemoteReads`` and the
/// engine runs its queries on threads of their own, never on an event loop or the task pool.
public final class FanoutQuerier: Querier {
    public let endpoints: [Endpoint]
    public let options: FanoutOptions
    let reader: RemoteReader
    let client: HTTPClient
    let failures: @Sendable (Endpoint, String) -> Void

    /// - Parameter failures: told of every endpoint read that failed (for metrics).
    public init(endpoints: [Endpoint], client: HTTPClient, options: FanoutOptions,
                failures: @escaping @Sendable (Endpoint, String) -> Void = { _, _ in }) {
        self.endpoints = endpoints
        self.options = options
        self.client = client
        self.failures = failures
        reader = RemoteReader(client: client, timeoutMs: options.timeoutMs, maxResponseBytes: options.maxResponseBytes)
    }

    public var blocksOnRemoteReads: Bool { true }

    public func select(_ matchers: [Matcher], hints: SelectHints) throws(StorageError) -> SeriesSet {
        let chosen = endpoints.filter { $0.mayHold(matchers, start: hints.start, end: hints.end) }
        var warnings: [String] = []
        var parts: [[SeriesData]] = []
        let answers = gather(chosen) { self.reader.read($0, matchers, start: hints.start, end: hints.end) }
        for (endpoint, result) in zip(chosen, answers) {
            switch result {
            case .success(let answer):
                warnings += answer.warnings.map { "\(endpoint.address): \($0)" }
                if !answer.series.isEmpty { parts.append(answer.series) }
            case .failure(let error):
                try failed(endpoint, error, into: &warnings)
            }
        }
        var series = parts.count <= 1 ? parts.first ?? [] : MergeQuerier.merge(parts, minTime: hints.start, maxTime: hints.end)
        if options.deduplicate {
            series = try Deduplication.merge(series, replicaLabels: options.replicaLabels, maxSamples: options.maxSamples)
        }
        if hints.limit > 0 && series.count > hints.limit { series = Array(series.prefix(hints.limit)) }
        return SeriesSet(series, warnings: warnings)
    }

    public func labelNames(_ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList {
        try labels(path: "/api/v1/labels", matchers, hints) { names, info in
            var all = Set(names)
            for l in info.externalLabels { all.insert(l.name) }
            if self.options.deduplicate { all.subtract(self.options.replicaLabels) }
            return all
        }
    }

    public func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList {
        if options.deduplicate && options.replicaLabels.contains(name) { return LabelList() }
        return try labels(path: "/api/v1/label/\(GoText.queryEscape(name))/values", matchers, hints) { values, info in
            if let external = info.externalLabels[name] { return [external] }
            return Set(values)
        }
    }

    /// Metric metadata from every endpoint's `/api/v1/metadata` (all of them: metadata has no
    /// labels or times to choose by), joined; an endpoint that fails is handled as in a read.
    public func metadata(metric: String?, limitPerMetric: Int) throws(StorageError) -> MetadataSet {
        let query = metric.map { [("metric", $0)] } ?? []
        let answers = gather(endpoints) { endpoint in
            self.getJSON(endpoint, "/api/v1/metadata", query).flatMapThrowing { data -> [String: [MetricMetadata]] in
                guard let families = data as? [String: Any] else { throw StorageError("unexpected answer to /api/v1/metadata") }
                var out: [String: [MetricMetadata]] = [:]
                for (name, list) in families {
                    guard let entries = list as? [[String: Any]] else { throw StorageError("unexpected answer to /api/v1/metadata") }
                    out[name] = entries.map {
                        MetricMetadata(type: $0["type"] as? String ?? "unknown", help: $0["help"] as? String ?? "", unit: $0["unit"] as? String ?? "")
                    }
                }
                return out
            }
        }
        var set = MetadataSet()
        for (endpoint, result) in zip(endpoints, answers) {
            switch result {
            case .success(let families):
                for (name, entries) in families {
                    for e in entries { set.add(name, e, limitPerMetric: limitPerMetric) }
                }
            case .failure(let error): try failed(endpoint, error, into: &set.warnings)
            }
        }
        return set
    }

    /// Label names or values from every endpoint's HTTP API, joined.
    private func labels(
        path: String, _ matchers: [Matcher], _ hints: LabelHints, _ adjust: @escaping @Sendable ([String], Endpoint.Info) -> Set<String>
    ) throws(StorageError) -> LabelList {
        let chosen = endpoints.filter { $0.mayHold(matchers, start: hints.start, end: hints.end) }
        let query = [("start", Self.seconds(hints.start)), ("end", Self.seconds(hints.end))]
        let answers = gather(chosen) { endpoint -> EventLoopFuture<Set<String>> in
            let info = endpoint.info
            var q = query
            let sent = matchers.filter { info.externalLabels[$0.name] == nil }
            if !sent.isEmpty { q.append(("match[]", Self.selector(sent))) }
            return self.getJSON(endpoint, path, q).flatMapThrowing { data in
                guard let list = data as? [String] else { throw StorageError("unexpected answer to \(path)") }
                return adjust(list, info)
            }
        }
        var all = Set<String>()
        var warnings: [String] = []
        for (endpoint, result) in zip(chosen, answers) {
            switch result {
            case .success(let values): all.formUnion(values)
            case .failure(let error): try failed(endpoint, error, into: &warnings)
            }
        }
        return LabelList(all.sorted { $0.utf8Precedes($1) }, warnings: warnings).limited(hints.limit)
    }

    /// An endpoint's failure: a warning with partial responses, else the query's error.
    private func failed(_ endpoint: Endpoint, _ error: any Error, into warnings: inout [String]) throws(StorageError) {
        let message = "\(endpoint.address): \(error)"
        endpoint.recordFailure("\(error)", at: Self.now())
        failures(endpoint, "\(error)")
        guard options.partialResponse else { throw StorageError(message) }
        warnings.append(message)
    }

    /// Runs `start` for each endpoint, at most `maxConcurrentReads` at once, and waits for all;
    /// results in endpoint order. Must not run on an event loop.
    private func gather<T: Sendable>(
        _ chosen: [Endpoint], _ start: @escaping (Endpoint) -> EventLoopFuture<T>
    ) -> [Result<T, any Error>] {
        var results: [Result<T, any Error>] = []
        results.reserveCapacity(chosen.count)
        var inFlight: [EventLoopFuture<T>] = []
        var next = 0
        let window = max(1, options.maxConcurrentReads)
        while results.count < chosen.count {
            while next < chosen.count && inFlight.count < window {
                inFlight.append(start(chosen[next]))
                next += 1
            }
            let future = inFlight.removeFirst()
            do {
                results.append(.success(try future.wait()))
                chosen[results.count - 1].recordSuccess(at: Self.now())
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// GET `path` with `query` and return the `data` of Prometheus's JSON envelope.
    func getJSON(_ endpoint: Endpoint, _ path: String, _ query: [(String, String)]) -> EventLoopFuture<Any> {
        let loop = client.nextEventLoop()
        let target = endpoint.base + path + "?" + query.map { "\($0.0)=\(GoText.queryEscape($0.1))" }.joined(separator: "&")
        let url: HTTPURL
        do { url = try HTTPURL(target) } catch { return loop.makeFailedFuture(error) }
        let request = client.request(url: url, timeout: options.timeoutMs, maxBodyBytes: options.maxResponseBytes)
        return client.execute(request, on: loop).flatMapThrowing { response -> Any in
            guard response.status == 200 else {
                throw StorageError("\(path): HTTP \(response.status): \(String(decoding: response.body.prefix(256), as: UTF8.self))")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                  object["status"] as? String == "success", let data = object["data"] else {
                throw StorageError("\(path): not a Prometheus API answer")
            }
            return data
        }
    }

    /// A PromQL selector for `matchers` (`{a="b",c=~"d"}`), values quoted as Go quotes them.
    static func selector(_ matchers: [Matcher]) -> String {
        "{" + matchers.map { "\($0.name)\($0.kind.rawValue)\(GoText.quote($0.value))" }.joined(separator: ",") + "}"
    }

    /// Milliseconds as the API's seconds, with Prometheus's open-ended bounds for the extremes.
    static func seconds(_ ms: Int64) -> String {
        if ms <= -9_223_372_036_854_775 { return "-292273086-05-16T16:47:06Z" }
        if ms >= 9_223_372_036_854_775 { return "292277025-08-18T07:12:54.999999999Z" }
        let whole = ms / 1000, frac = abs(ms % 1000)
        let sign = ms < 0 && whole == 0 ? "-" : ""
        return sign + "\(whole).\(String(repeating: "0", count: 3 - String(frac).count))\(frac)"
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
