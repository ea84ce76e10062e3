import HearthScrape
import NIOHTTP1

/// What `hearth agent` serves from, assembled by `HearthServer`.
public struct AgentAPIContext: Sendable {
    public var flags: [(String, String)] = []
    public var configYAML: @Sendable () -> String = { "" }
    public var buildInfo = BuildInfo()
    public var enableLifecycle = false
    /// The agent's metrics in the text exposition format.
    public var metricsText: @Sendable () -> String = { "" }
    /// `/-/reload`: nil on success, else the error.
    public var reload: @Sendable () async -> String? = { nil }
    public var quit: @Sendable () -> Void = {}
    public var targets: @Sendable () -> (active: [ScrapeTargetStatus], dropped: [ScrapeTargetStatus]) = { ([], []) }

    public init() {}
}

/// The agent's HTTP endpoints: health, readiness, `/metrics`, targets, status and the lifecycle
/// endpoints. An agent stores nothing to query, so the query API answers `unavailable`, as
/// Prometheus's agent mode does.
public struct AgentAPI: HTTPResponder {
    let context: AgentAPIContext

    public init(context: AgentAPIContext) { self.context = context }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let path = String(request.path)
        let lifecycle = request.method == .POST || request.method == .PUT
        switch path {
        case "/-/healthy": return .text(.ok, "Hearth Agent is Healthy.\n")
        case "/-/ready": return .text(.ok, "Hearth Agent is Ready.\n")
        case "/metrics":
            return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", bytes: Array(context.metricsText().utf8))
        case "/api/v1/targets":
            let state = Parameters(request)["state"]?.lowercased() ?? "any"
            guard ["active", "dropped", "any"].contains(state) else { return API.failure(.badData("invalid state \"\(state)\"")) }
            let (active, dropped) = context.targets()
            return API.success(APIResult { w in
                TargetsJSON.write(&w, active: state == "dropped" ? [] : active, dropped: state == "active" ? [] : dropped)
            })
        case "/api/v1/status/config":
            let yaml = context.configYAML()
            return API.success(APIResult { w in
                w.beginObject()
                w.key("yaml")
                w.string(yaml)
                w.endObject()
            })
        case "/api/v1/status/flags":
            let flags = context.flags
            return API.success(APIResult { w in
                w.beginObject()
                for (k, v) in flags.sorted(by: { $0.0 < $1.0 }) {
                    w.key(k)
                    w.string(v)
                }
                w.endObject()
            })
        case "/api/v1/status/buildinfo":
            let b = context.buildInfo
            return API.success(APIResult { w in
                w.beginObject()
                for (k, v) in [("version", b.version), ("revision", b.revision), ("branch", b.branch),
                               ("buildUser", b.buildUser), ("buildDate", b.buildDate), ("goVersion", "swift" + b.swiftVersion)] {
                    w.key(k)
                    w.string(v)
                }
                w.endObject()
            })
        case "/-/reload":
            guard lifecycle else { return .text(.methodNotAllowed, "method not allowed\n") }
            guard context.enableLifecycle else { return .text(.forbidden, "Lifecycle API is not enabled.\n") }
            if let error = await context.reload() { return .text(.internalServerError, "failed to reload config: \(error)\n") }
            return HTTPResponse(status: .ok)
        case "/-/quit":
            guard lifecycle else { return .text(.methodNotAllowed, "method not allowed\n") }
            guard context.enableLifecycle else { return .text(.forbidden, "Lifecycle API is not enabled.\n") }
            context.quit()
            return .text(.ok, "Requesting termination... Goodbye!\n")
        default:
            if path.hasPrefix("/api/v1/") || path == "/federate" {
                return API.failure(.unavailable("unavailable with Hearth agent: it stores nothing to query"))
            }
            return .text(.notFound, "404 page not found\n")
        }
    }
}
