import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthStorage
import HearthTSDB
import Logging
import NIOHTTP1

extension API {
    /// `/federate?match[]=…`: the latest sample of each matching series (within the lookback
    /// window, stale series left out) in the text exposition format, with timestamps and the
    /// external labels.
    func federate(_ request: HTTPRequest) async -> HTTPResponse {
        let p = Parameters(request)
        let sets: [[Matcher]]
        do { sets = try matcherSets(p) } catch {
            return .text(.badRequest, "\(error.message)\n")
        }
        let now = nowMilliseconds()
        let engine = context.engine
        let querier = context.querier(ReadParameters())
        let latest: LatestSamples
        do {
            latest = try await engine.runLimited(onOwnThread: querier.blocksOnRemoteReads) { () throws(QueryError) in
                try engine.latestSamples(matching: sets, at: now, querier: querier)
            }
        } catch {
            return .text(APIError.query(error).status, "\(error.description)\n")
        }
        for w in latest.warnings {
            context.logger.warning("federation answered from an incomplete read", metadata: ["warning": "\(w)"])
        }
        // External labels are attached to what leaves the server, as Prometheus does; a
        // series that already has one of them keeps its own value, so the order holds.
        let external = context.externalLabels()
        let exposed = external.isEmpty ? latest.samples
            : latest.samples.map { LatestSample(labels: $0.labels.adding(external: external), sample: $0.sample) }.sorted { $0.labels < $1.labels }
        var text = ""
        var currentName: String?
        for (labels, sample) in exposed.map({ ($0.labels, $0.sample) }) {
            let name = labels.metricName ?? ""
            if name != currentName {
                text += "# TYPE \(name) untyped\n"
                currentName = name
            }
            let rest = labels.filter { $0.name != Labels.metricName }
            text += name
            if !rest.isEmpty {
                text += "{" + rest.map { "\($0.name)=\"\(Labels.escapeValue($0.value))\"" }.joined(separator: ",") + "}"
            }
            text += " \(Self.expositionValue(sample.value)) \(sample.timestamp)\n"
        }
        return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", bytes: Array(text.utf8))
    }

    static func expositionValue(_ v: Double) -> String { formatFloatLikeGo(v) }
}
