import ArgumentParser
import HearthConfig
import HearthModel
import HearthQuery
import HearthServer
import Logging

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "One PromQL endpoint over many Prometheus and Hearth servers, merging HA replicas.",
        discussion: """
            Flags keep the names of Thanos's querier. Each endpoint is read with remote read \
            (streamed chunks when it offers them), so a stock Prometheus needs nothing beside \
            it. Series that differ only in a --query.replica-label are merged into one, \
            following one replica and switching at a gap. An endpoint that is down or slow \
            becomes a warning in the response, or the query's error with \
            --query.partial-response=false (per request: partial_response=false).
            """
    )

    @Option(name: .customLong("endpoint"), help: "An endpoint to query, HOST:PORT or a URL (repeatable).")
    var endpoints: [String] = []

    @Option(name: .customLong("endpoint.sd-files"),
            help: "A file (file_sd format: JSON or YAML target groups) listing more endpoints; reloaded when it changes (repeatable).")
    var sdFiles: [String] = []

    @Option(name: .customLong("query.replica-label"),
            help: "A label that only tells HA replicas apart; series differing only in such labels are merged (repeatable).")
    var replicaLabels: [String] = []

    @Option(name: .customLong("query.partial-response"),
            help: "Answer with what the healthy endpoints hold, and a warning, when an endpoint fails (true), or fail the query (false).")
    var partialResponse = true

    @Option(name: .customLong("endpoint.timeout"), help: "How long each endpoint may take to answer one read.")
    var endpointTimeout = "30s"

    @Option(name: .customLong("endpoint.max-response-size"),
            help: "The largest answer taken from one endpoint for one read (units B, KB, MB, GB; base 2).")
    var maxResponseSize = "512MB"

    @Option(name: .customLong("endpoint.check-interval"),
            help: "How often each endpoint is asked for its external labels and time range.")
    var checkInterval = "15s"

    @Flag(name: .customLong("query.pushdown"),
          help: "Hand a query whose data one endpoint alone holds to that endpoint's own engine, and pass its answer on (that endpoint's PromQL version and flags then decide the answer).")
    var pushdown = false

    @OptionGroup var engine: EngineFlags

    @OptionGroup var web: WebOptions

    func validate() throws {
        guard !endpoints.isEmpty || !sdFiles.isEmpty else { throw ValidationError("give at least one --endpoint or --endpoint.sd-files") }
        for e in endpoints {
            do { _ = try Endpoint(e) } catch { throw ValidationError("invalid --endpoint \"\(e)\": \(error)") }
        }
        for (flag, value) in [("endpoint.timeout", endpointTimeout), ("endpoint.check-interval", checkInterval)] {
            guard let ms = PrometheusDuration.parseMilliseconds(value), ms > 0 else {
                throw ValidationError("invalid --\(flag) \"\(value)\": expected a positive duration such as 30s")
            }
        }
        guard let bytes = ByteSize.parse(maxResponseSize), bytes > 0, bytes <= Int64(Int.max) else {
            throw ValidationError("invalid --endpoint.max-response-size \"\(maxResponseSize)\": expected a size such as 512MB")
        }
        for l in replicaLabels where l.isEmpty { throw ValidationError("--query.replica-label must not be empty") }
    }

    func run() async throws {
        var options = QueryRoleOptions()
        options.endpoints = endpoints
        options.sdFiles = sdFiles
        options.fanout.replicaLabels = Set(replicaLabels)
        options.fanout.partialResponse = partialResponse
        options.fanout.timeoutMs = PrometheusDuration.parseMilliseconds(endpointTimeout)!
        options.fanout.maxResponseBytes = Int(ByteSize.parse(maxResponseSize)!)
        options.checkInterval = .milliseconds(PrometheusDuration.parseMilliseconds(checkInterval)!)
        options.engine = engine.options
        options.pushdown = pushdown
        options.fanout.maxSamples = engine.maxSamples
        options.listenAddress = web.listenAddress
        options.http = web.limits
        options.enableLifecycle = web.enableLifecycle
        options.flags = endpoints.map { ("endpoint", $0) } + sdFiles.map { ("endpoint.sd-files", $0) }
            + replicaLabels.map { ("query.replica-label", $0) } + [
                ("query.partial-response", String(partialResponse)), ("query.pushdown", String(pushdown)), ("endpoint.timeout", endpointTimeout),
                ("endpoint.max-response-size", maxResponseSize), ("endpoint.check-interval", checkInterval),
            ] + engine.flags + web.flags
        try await QueryRole.run(options, logger: web.logger(label: "hearth.query"))
    }
}
