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
            do throws(APIError) { return API.success(try .targets(request, context.targets)) } catch { return API.failure(error) }
        case "/api/v1/status/config": return API.success(.config(context.configYAML()))
        case "/api/v1/status/flags": return API.success(.flags(context.flags))
        case "/api/v1/status/buildinfo": return API.success(.buildInfo(context.buildInfo))
        case "/-/reload":
            guard lifecycle else { return .text(.methodNotAllowed, "method not allowed\n") }
            return await Lifecycle.reload(enabled: context.enableLifecycle, context.reload)
        case "/-/quit":
            guard lifecycle else { return .text(.methodNotAllowed, "method not allowed\n") }
            return Lifecycle.quit(enabled: context.enableLifecycle, context.quit)
        default:
            if path.hasPrefix("/api/v1/") || path == "/federate" {
                return API.failure(.unavailable("unavailable with Hearth agent: it stores nothing to query"))
            }
            return .text(.notFound, "404 page not found\n")
        }
    }
}
