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
        let lookback = context.engine.options.lookbackDelta
        let querier = context.querier(ReadParameters())
        let selections: [SeriesSet]
        do {
            selections = try await reading(querier) { () throws(StorageError) in
                try sets.map { matchers throws(StorageError) in try querier.select(matchers, hints: SelectHints(start: now - lookback, end: now)) }
            }
        } catch {
            return .text(.internalServerError, "\(error.message)\n")
        }
        // External labels are attached to what leaves the server, as Prometheus does.
        let external = context.externalLabels()
        var latest: [Labels: Sample] = [:]
        for selected in selections {
            for w in selected.warnings {
                context.logger.warning("federation answered from an incomplete read", metadata: ["warning": "\(w)"])
            }
            for s in selected.series {
                let samples: [Sample]
                do { samples = try s.samples() } catch {
                    return .text(.internalServerError, "\(error)\n")
                }
                guard let last = samples.last, !StaleMarker.isStale(last.value) else { continue }
                latest[s.labels.adding(external: external)] = last
            }
        }
        var text = ""
        var currentName: String?
        for (labels, sample) in latest.sorted(by: { $0.key < $1.key }) {
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
