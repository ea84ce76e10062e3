import Glibc
import HearthChunks
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthScrape
import HearthStorage
import HearthTSDB
import Logging
import NIOCore
import NIOHTTP1

extension API {
    func buildInfo(_ request: HTTPRequest) async throws(APIError) -> APIResult { .buildInfo(context.buildInfo) }

    func runtimeInfo(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let c = context
        return APIResult { w in
            w.beginObject()
            w.key("startTime")
            w.string(TimeParameter.formatRFC3339(c.startTimeMs))
            w.key("CWD")
            w.string(c.workingDirectory)
            w.key("hostname")
            w.string(hostName())
            w.key("serverTime")
            w.string(TimeParameter.formatRFC3339(nowMilliseconds()))
            w.key("reloadConfigSuccess")
            w.bool(true)
            w.key("lastConfigTime")
            w.string(TimeParameter.formatRFC3339(c.startTimeMs))
            w.key("corruptionCount")
            w.int(0)
            w.key("goroutineCount")
            w.int(0)
            w.key("GOMAXPROCS")
            w.int(System.coreCount)
            w.key("GOMEMLIMIT")
            w.int(Int.max)
            w.key("GOGC")
            w.string("")
            w.key("GODEBUG")
            w.string("")
            w.key("storageRetention")
            w.string(c.retention)
            w.endObject()
        }
    }

    func flags(_ request: HTTPRequest) async throws(APIError) -> APIResult { .flags(context.flags) }

    func config(_ request: HTTPRequest) async throws(APIError) -> APIResult { .config(context.configYAML) }

    /// `status/tsdb`: head statistics and the top 10 of cardinality tables.
    func tsdbStatus(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let p = Parameters(request)
        var limit = 10
        if let text = p["limit"] {
            guard let n = Int(text), n > 0 else { throw .badData("limit must be a positive number") }
            limit = n
        }
        guard let head = context.db?.head else { throw .unavailable("no local storage") }
        let pairs = head.labelPairCounts()
        var byMetric: [(String, Int)] = []
        var valuesByName: [String: Int] = [:]
        var bytesByName: [String: Int] = [:]
        var byPair: [(String, Int)] = []
        for (name, value, count) in pairs {
            if name == Labels.metricName { byMetric.append((value, count)) }
            valuesByName[name, default: 0] += 1
            bytesByName[name, default: 0] += value.utf8.count * count
            byPair.append(("\(name)=\(value)", count))
        }
        func top(_ list: [(String, Int)]) -> [(String, Int)] {
            Array(list.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(limit))
        }
        let tables: [(String, [(String, Int)])] = [
            ("seriesCountByMetricName", top(byMetric)),
            ("labelValueCountByLabelName", top(valuesByName.map { ($0.key, $0.value) })),
            ("memoryInBytesByLabelName", top(bytesByName.map { ($0.key, $0.value) })),
            ("seriesCountByLabelValuePair", top(byPair)),
        ]
        let numSeries = head.numSeries
        let (minTime, maxTime) = numSeries == 0 ? (Int64(0), Int64(0)) : (head.minTime, head.maxTime)
        let chunks = head.memoryStatistics().chunks
        return APIResult { w in
            w.beginObject()
            w.key("headStats")
            w.beginObject()
            w.key("numSeries")
            w.int(numSeries)
            w.key("numLabelPairs")
            w.int(pairs.count)
            w.key("chunkCount")
            w.int(chunks)
            w.key("minTime")
            w.int(Int(minTime))
            w.key("maxTime")
            w.int(Int(maxTime))
            w.endObject()
            for (key, table) in tables {
                w.key(key)
                w.beginArray()
                for (name, value) in table {
                    w.beginObject()
                    w.key("name")
                    w.string(name)
                    w.key("value")
                    w.int(value)
                    w.endObject()
                }
                w.endArray()
            }
            w.endObject()
        }
    }

    func walReplay(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        APIResult { w in
            w.beginObject()
            w.key("min")
            w.int(0)
            w.key("max")
            w.int(0)
            w.key("current")
            w.int(0)
            w.endObject()
        }
    }

    /// `targets`: the scrape manager's targets with their health (`state=active|dropped|any`).
    func targets(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        try .targets(request, context.targets)
    }

    /// `rules`: every group with its rules' health, last error and evaluation time, and the
    /// alerts of alerting rules (filters: `type`, `rule_name[]`, `rule_group[]`, `file[]`,
    /// `exclude_alerts`).
    func rules(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        try .rules(Parameters(request), context.ruleGroups())
    }

    /// `alerts`: pending and firing alerts of every alerting rule.
    func alerts(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        .alerts(context.ruleGroups())
    }

    func alertmanagers(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let (active, dropped) = context.alertmanagers()
        return APIResult { w in
            w.beginObject()
            for (key, urls) in [("activeAlertmanagers", active), ("droppedAlertmanagers", dropped)] {
                w.key(key)
                w.beginArray()
                for u in urls {
                    w.beginObject()
                    w.key("url")
                    w.string(u)
                    w.endObject()
                }
                w.endArray()
            }
            w.endObject()
        }
    }

    func lifecycleReload(_ request: HTTPRequest) async -> HTTPResponse {
        await Lifecycle.reload(enabled: context.enableLifecycle, context.reload)
    }

    func lifecycleQuit(_ request: HTTPRequest) async -> HTTPResponse {
        Lifecycle.quit(enabled: context.enableLifecycle, context.quit)
    }
}

/// Status results the server's API and the agent's both serve.
extension APIResult {
    static func buildInfo(_ b: BuildInfo) -> APIResult {
        APIResult { w in
            w.beginObject()
            for (k, v) in [("version", b.version), ("revision", b.revision), ("branch", b.branch),
                           ("buildUser", b.buildUser), ("buildDate", b.buildDate), ("goVersion", "swift" + b.swiftVersion)] {
                w.key(k)
                w.string(v)
            }
            w.endObject()
        }
    }

    static func flags(_ flags: [(String, String)]) -> APIResult {
        APIResult { w in
            w.beginObject()
            for (k, v) in flags.sorted(by: { $0.0 < $1.0 }) {
                w.key(k)
                w.string(v)
            }
            w.endObject()
        }
    }

    static func config(_ yaml: String) -> APIResult {
        APIResult { w in
            w.beginObject()
            w.key("yaml")
            w.string(yaml)
            w.endObject()
        }
    }

    /// `targets?state=active|dropped|any`.
    static func targets(
        _ request: HTTPRequest, _ targets: () -> (active: [ScrapeTargetStatus], dropped: [ScrapeTargetStatus])
    ) throws(APIError) -> APIResult {
        let state = Parameters(request)["state"]?.lowercased() ?? "any"
        guard ["active", "dropped", "any"].contains(state) else { throw .badData("invalid state \"\(state)\"") }
        let (active, dropped) = targets()
        return APIResult { w in
            TargetsJSON.write(&w, active: state == "dropped" ? [] : active, dropped: state == "active" ? [] : dropped)
        }
    }
}

/// `/-/reload` and `/-/quit`, behind `--web.enable-lifecycle`.
enum Lifecycle {
    static func reload(enabled: Bool, _ reload: () async -> String?) async -> HTTPResponse {
        guard enabled else { return .text(.forbidden, "Lifecycle API is not enabled.\n") }
        if let error = await reload() { return .text(.internalServerError, "failed to reload config: \(error)\n") }
        return HTTPResponse(status: .ok)
    }

    static func quit(enabled: Bool, _ quit: () -> Void) -> HTTPResponse {
        guard enabled else { return .text(.forbidden, "Lifecycle API is not enabled.\n") }
        quit()
        return .text(.ok, "Requesting termination... Goodbye!\n")
    }
}

#if canImport(Glibc)
import Glibc
#endif

func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, 255) == 0 else { return "" }
    return String(cString: buffer)
}

extension API {
    /// `/api/v1/status/endpoints` (`hearth query`): each endpoint's health, last error, external
    /// labels and time range.
    func endpointsStatus(_ request: HTTPRequest) async throws(APIError) -> APIResult {
        let endpoints = context.endpoints?() ?? []
        return APIResult { w in
            w.beginArray()
            for e in endpoints {
                w.beginObject()
                w.key("address")
                w.string(e.address)
                w.key("health")
                w.string(e.health)
                w.key("lastError")
                if let error = e.lastError { w.string(error) } else { w.null() }
                w.key("lastCheck")
                if e.lastCheck > 0 { w.string(RFC3339.format(e.lastCheck)) } else { w.null() }
                w.key("labels")
                Self.writeLabels(e.externalLabels, into: &w)
                w.key("minTime")
                w.int(Int(e.minTime))
                w.key("maxTime")
                w.int(Int(e.maxTime))
                w.endObject()
            }
            w.endArray()
        }
    }
}
