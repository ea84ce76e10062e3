import HearthChunks
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthRules
import HearthScrape
import HearthStorage
import HearthTSDB
import Logging
import NIOCore
import NIOHTTP1

/// Version and build details for `status/buildinfo`.
public struct BuildInfo: Sendable {
    public var version = "0.5.0"
    public var revision = "unknown"
    public var branch = "main"
    public var buildUser = "hearth"
    public var buildDate = "unknown"
    public var swiftVersion = "6.3"

    public init() {}
}

/// What a request asks of the read side beyond its query: `hearth query`'s `dedup` and
/// `partial_response` parameters (nil when not given).
public struct ReadParameters: Sendable {
    public var deduplicate: Bool?
    public var partialResponse: Bool?

    public init(deduplicate: Bool? = nil, partialResponse: Bool? = nil) {
        self.deduplicate = deduplicate
        self.partialResponse = partialResponse
    }
}

/// One endpoint of `hearth query`, for `/api/v1/status/endpoints`.
public struct EndpointStatus: Sendable {
    public var address: String
    /// "up", "down" or "unknown" (not checked yet).
    public var health: String
    public var lastError: String?
    public var externalLabels: Labels
    public var minTime: Int64
    public var maxTime: Int64
    /// Wall-clock ms of the last check, 0 if none.
    public var lastCheck: Int64

    public init(address: String, health: String, lastError: String?, externalLabels: Labels, minTime: Int64, maxTime: Int64, lastCheck: Int64) {
        self.address = address
        self.health = health
        self.lastError = lastError
        self.externalLabels = externalLabels
        self.minTime = minTime
        self.maxTime = maxTime
        self.lastCheck = lastCheck
    }
}

/// Everything the HTTP API serves from, assembled by `HearthServer`.
public struct APIContext: Sendable {
    /// The local store; nil for `hearth query`, which serves only the read side.
    public var db: DB?
    /// The read side: the store's querier, or `hearth query`'s fan-out.
    public var querier: @Sendable (ReadParameters) -> any Querier
    public var engine: Engine
    /// The configuration's `global.external_labels` (current after a reload): remote read and
    /// federation add them to what they return, as Prometheus does.
    public var externalLabels: @Sendable () -> Labels = { Labels() }
    /// `/-/ready`: whether the role can answer yet.
    public var ready: @Sendable () -> Bool = { true }
    /// `hearth query`'s endpoints, for `/api/v1/status/endpoints` (nil elsewhere).
    public var endpoints: (@Sendable () -> [EndpointStatus])?
    /// Flag names (without dashes) and values, for `status/flags`.
    public var flags: [(String, String)] = []
    /// The loaded configuration file's text, for `status/config`.
    public var configYAML = ""
    public var startTimeMs: Int64 = 0
    public var workingDirectory = ""
    public var retention = "15d"
    public var buildInfo = BuildInfo()
    public var enableAdminAPI = false
    public var enableLifecycle = false
    /// Largest decompressed remote-write or remote-read body.
    public var maxDecodedBodySize = 64 << 20
    /// Hearth's storage metrics in the text exposition format (the API adds its own).
    public var metricsText: @Sendable () -> String = { "" }
    /// `/-/reload`: nil on success, else the error.
    public var reload: @Sendable () async -> String? = { nil }
    /// `/-/quit`.
    public var quit: @Sendable () -> Void = {}
    public var logger = Logger(label: "hearth.api")
    public var instrumentation = HTTPInstrumentation()
    /// The scrape manager's active and dropped targets, for `/api/v1/targets`.
    public var targets: @Sendable () -> (active: [ScrapeTargetStatus], dropped: [ScrapeTargetStatus]) = { ([], []) }
    /// Metric metadata for `/api/v1/metadata` (one metric or all; at most so many entries a
    /// metric): the scrape targets' on a server, the endpoints' on `hearth query`.
    public var metadata: @Sendable (_ metric: String?, _ limitPerMetric: Int, _ read: ReadParameters) async throws(StorageError) -> MetadataSet = { _, _, _ in MetadataSet() }
    /// `hearth query --query.pushdown`: answers a checked query by handing it whole to the one
    /// endpoint that holds its data, or returns nil to have it evaluated here.
    public var pushdown: (@Sendable (PushdownQuery) async -> [UInt8]?)?
    /// The rule manager's groups, for `/api/v1/rules` and `/api/v1/alerts`.
    public var ruleGroups: @Sendable () -> [RuleGroup] = { [] }
    /// The notifier's Alertmanagers, for `/api/v1/alertmanagers`.
    public var alertmanagers: @Sendable () -> (active: [String], dropped: [String]) = { ([], []) }
    /// Series refs by encoded labels, for remote write.
    public var seriesRefs = SeriesRefCache()

    public init(db: DB, engine: Engine) {
        self.db = db
        self.querier = { _ in db.querier() }
        self.engine = engine
    }

    /// The read side only (`hearth query`).
    public init(querier: @escaping @Sendable (ReadParameters) -> any Querier, engine: Engine) {
        self.db = nil
        self.querier = querier
        self.engine = engine
    }
}

/// A checked query that may be handed to an endpoint (``APIContext/pushdown``).
public struct PushdownQuery: Sendable {
    public var expr: Expr
    public var start: Int64
    public var end: Int64
    /// nil for an instant query.
    public var step: Int64?
    public var timeout: Duration
    public var read: ReadParameters

    init(_ query: PreparedQuery, timeout: Duration, read: ReadParameters) {
        expr = query.expr
        start = query.request.start
        end = query.request.end
        step = query.request.isRange ? query.request.step : nil
        self.timeout = timeout
        self.read = read
    }
}

/// An API error with Prometheus's `errorType` and status code.
struct APIError: Error {
    var type: String
    var message: String
    var status: HTTPResponseStatus

    static func badData(_ m: String) -> APIError { APIError(type: "bad_data", message: m, status: .badRequest) }
    static func unavailable(_ m: String) -> APIError { APIError(type: "unavailable", message: m, status: .serviceUnavailable) }
    /// A read that failed (Prometheus answers storage errors as `internal`, 500).
    static func storage(_ e: StorageError) -> APIError { APIError(type: "internal", message: e.description, status: .internalServerError) }

    static func query(_ e: QueryError) -> APIError {
        switch e {
        case .parse, .invalidParameter: return APIError(type: "bad_data", message: e.description, status: .badRequest)
        case .execution, .tooManySamples: return APIError(type: "execution", message: e.description, status: .unprocessableEntity)
        case .timeout: return APIError(type: "timeout", message: e.description, status: .serviceUnavailable)
        case .canceled:
            return APIError(type: "canceled", message: e.description, status: .custom(code: 499, reasonPhrase: "Client Closed Request"))
        case .storage: return APIError(type: "internal", message: e.description, status: .internalServerError)
        }
    }
}

/// What a JSON endpoint returns: a writer for its `data` value, and annotations; or a whole
/// answer already in the API's envelope (a pushed-down query's, as its endpoint wrote it).
struct APIResult {
    var write: (inout JSONWriter) -> Void
    var annotations = Annotations()
    var answer: [UInt8]?

    init(answer: [UInt8]) {
        self.write = { _ in }
        self.answer = answer
    }

    init(annotations: Annotations = Annotations(), _ write: @escaping (inout JSONWriter) -> Void) {
        self.write = write
        self.annotations = annotations
    }
}

/// The Prometheus HTTP API, remote write and read, federation, `/metrics` and the lifecycle
/// endpoints, routed by path.
public struct API: HTTPResponder {
    let context: APIContext

    public init(context: APIContext) { self.context = context }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let start = ContinuousClock.now
        let path = String(request.path)
        let (handler, route) = self.route(path, request.method)
        let response = await handler(request)
        context.instrumentation.observe(handler: route, code: response.status.code, seconds: (ContinuousClock.now - start).seconds)
        return response
    }

    typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    /// The handler for a path, and the route name used in metrics.
    func route(_ path: String, _ method: HTTPMethod) -> (Handler, String) {
        let get = method == .GET || method == .HEAD
        let post = method == .POST
        func json(_ body: @escaping @Sendable (HTTPRequest) async throws(APIError) -> APIResult) -> Handler {
            { request in
                do throws(APIError) {
                    return Self.success(try await body(request))
                } catch {
                    return Self.failure(error)
                }
            }
        }
        let methodNotAllowed: Handler = { _ in .text(.methodNotAllowed, "method not allowed\n") }

        if context.db == nil && Self.storePaths.contains(where: { path.hasPrefix($0) }) {
            return ({ _ in .text(.notFound, "404 page not found\n") }, "other")
        }
        switch path {
        case "/api/v1/status/endpoints" where context.endpoints != nil: return (json(endpointsStatus), path)
        case "/api/v1/query": return (get || post ? json(query) : methodNotAllowed, path)
        case "/api/v1/query_range": return (get || post ? json(queryRange) : methodNotAllowed, path)
        case "/api/v1/series": return (get || post ? json(series) : methodNotAllowed, path)
        case "/api/v1/labels": return (get || post ? json(labels) : methodNotAllowed, path)
        case "/api/v1/metadata": return (get ? json(metadata) : methodNotAllowed, path)
        case "/api/v1/query_exemplars": return (get || post ? json(exemplars) : methodNotAllowed, path)
        case "/api/v1/format_query": return (get || post ? json(formatQuery) : methodNotAllowed, path)
        case "/api/v1/parse_query": return (get || post ? json(parseQuery) : methodNotAllowed, path)
        case "/api/v1/status/buildinfo": return (json(buildInfo), path)
        case "/api/v1/status/runtimeinfo": return (json(runtimeInfo), path)
        case "/api/v1/status/flags": return (json(flags), path)
        case "/api/v1/status/config": return (json(config), path)
        case "/api/v1/status/tsdb": return (json(tsdbStatus), path)
        case "/api/v1/status/walreplay": return (json(walReplay), path)
        case "/api/v1/targets": return (json(targets), path)
        case "/api/v1/rules": return (json(rules), path)
        case "/api/v1/alerts": return (json(alerts), path)
        case "/api/v1/alertmanagers": return (json(alertmanagers), path)
        case "/api/v1/write": return (post ? remoteWrite : methodNotAllowed, path)
        case "/api/v1/read": return (post ? remoteRead : methodNotAllowed, path)
        case "/federate": return (get || post ? federate : methodNotAllowed, path)
        case "/metrics":
            return ({ _ in
                let text = context.metricsText() + context.instrumentation.exposition()
                return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", bytes: Array(text.utf8))
            }, path)
        case "/-/healthy": return ({ _ in .text(.ok, "Hearth is Healthy.\n") }, path)
        case "/-/ready":
            return ({ _ in context.ready() ? .text(.ok, "Hearth is Ready.\n") : .text(.serviceUnavailable, "Service Unavailable\n") }, path)
        case "/-/reload": return (post || method == .PUT ? lifecycleReload : methodNotAllowed, path)
        case "/-/quit": return (post || method == .PUT ? lifecycleQuit : methodNotAllowed, path)
        default:
            if path.hasPrefix("/api/v1/label/") && path.hasSuffix("/values") {
                return (get ? json(labelValues) : methodNotAllowed, "/api/v1/label/:name/values")
            }
            if path.hasPrefix("/api/v1/admin/tsdb/") {
                return (post || method == .PUT ? admin : methodNotAllowed, "/api/v1/admin/tsdb")
            }
            return ({ _ in .text(.notFound, "404 page not found\n") }, "other")
        }
    }

    /// Paths that need the local store, absent from `hearth query`.
    static let storePaths = ["/api/v1/write", "/api/v1/admin/", "/api/v1/status/tsdb", "/api/v1/status/walreplay"]

    /// `{"status":"success","data":…}` plus warnings and infos when there are any.
    static func success(_ result: APIResult) -> HTTPResponse {
        if let answer = result.answer { return HTTPResponse(status: .ok, contentType: "application/json", bytes: answer) }
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("status")
        w.string("success")
        w.key("data")
        result.write(&w)
        for (key, list) in [("warnings", result.annotations.warnings), ("infos", result.annotations.infos)] where !list.isEmpty {
            w.key(key)
            w.beginArray()
            for m in list { w.string(m) }
            w.endArray()
        }
        w.endObject()
        return HTTPResponse(status: .ok, contentType: "application/json", bytes: w.bytes)
    }

    static func failure(_ e: APIError) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        w.key("status")
        w.string("error")
        w.key("errorType")
        w.string(e.type)
        w.key("error")
        w.string(e.message)
        w.endObject()
        return HTTPResponse(status: e.status, contentType: "application/json", bytes: w.bytes)
    }
}
