import Foundation
import HearthConfig
import HearthDiscovery
import HearthHTTPClient
import HearthModel
import Logging
import Synchronization

/// The endpoints of `hearth query`: those named by `--endpoint` and those listed in
/// `--endpoint.sd-files` (file discovery's format; reloaded when the files change). Every
/// `checkInterval` each one is asked what it holds: its external labels
/// (`/api/v1/status/config`) and its oldest sample (`prometheus_tsdb_lowest_timestamp` in
/// `/metrics`), so that selections skip endpoints that cannot match.
public final class EndpointSet: Sendable {
    let fixed: [Endpoint]
    private let discovered = Mutex<[Endpoint]>([])
    let client: HTTPClient
    let timeoutMs: Int64
    let logger: Logger
    /// Whether every endpoint has been checked once (readiness).
    private let checkedOnce = Atomic<Bool>(false)

    public init(addresses: [String], client: HTTPClient, timeoutMs: Int64, logger: Logger) throws(HTTPClientError) {
        var endpoints: [Endpoint] = []
        for a in addresses { endpoints.append(try Endpoint(a)) }
        fixed = endpoints
        self.client = client
        self.timeoutMs = timeoutMs
        self.logger = logger
    }

    /// Every endpoint, fixed first, then discovered.
    public var all: [Endpoint] { fixed + discovered.withLock { $0 } }

    public var ready: Bool { checkedOnce.load(ordering: .relaxed) }

    /// Replaces the discovered endpoints; an address seen before keeps its state.
    func setDiscovered(_ addresses: [String]) {
        discovered.withLock { current in
            var byAddress: [String: Endpoint] = [:]
            for e in current { byAddress[e.address] = e }
            var next: [Endpoint] = []
            for a in Set(addresses).sorted() where !fixed.contains(where: { $0.address == a }) {
                if let e = byAddress[a] {
                    next.append(e)
                } else if let e = try? Endpoint(a) {
                    next.append(e)
                } else {
                    logger.error("invalid endpoint address in a discovery file", metadata: ["address": "\(a)"])
                }
            }
            current = next
        }
    }

    /// Checks every endpoint now, concurrently.
    public func checkAll() async {
        await withTaskGroup(of: Void.self) { group in
            for e in all { group.addTask { await self.check(e) } }
        }
        checkedOnce.store(true, ordering: .relaxed)
    }

    /// Learns one endpoint's external labels and oldest sample.
    public func check(_ endpoint: Endpoint) async {
        let now = FanoutQuerier.now()
        do {
            let config = try await get(endpoint, "/api/v1/status/config")
            let labels = try Self.externalLabels(fromConfigResponse: config)
            var info = Endpoint.Info(externalLabels: labels)
            if let metrics = try? await get(endpoint, "/metrics") { info.minTime = Self.lowestTimestamp(metrics) ?? .min }
            if endpoint.status.info != info {
                logger.info("endpoint checked", metadata: ["endpoint": "\(endpoint.address)", "external_labels": "\(info.externalLabels)",
                                                           "min_time": "\(info.minTime)"])
            }
            endpoint.recordInfo(info, at: now)
        } catch {
            if endpoint.status.lastError != "\(error)" {
                logger.warning("endpoint check failed", metadata: ["endpoint": "\(endpoint.address)", "err": "\(error)"])
            }
            endpoint.recordFailure("\(error)", at: now)
        }
    }

    private func get(_ endpoint: Endpoint, _ path: String) async throws -> [UInt8] {
        let response = try await client.execute(url: HTTPURL(endpoint.base + path), timeout: timeoutMs, maxBodyBytes: 64 << 20)
        guard response.status == 200 else { throw HTTPClientError("\(path): HTTP \(response.status)") }
        return response.body
    }

    /// `global.external_labels` from a `/api/v1/status/config` answer (`{"data":{"yaml":…}}`).
    static func externalLabels(fromConfigResponse body: [UInt8]) throws -> Labels {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let data = object["data"] as? [String: Any], let yaml = data["yaml"] as? String else {
            throw HTTPClientError("/api/v1/status/config: not a Prometheus API answer")
        }
        return try Config.externalLabels(ofReportedConfig: yaml)
    }

    /// The value of `prometheus_tsdb_lowest_timestamp` (ms) in an exposition, if present.
    static func lowestTimestamp(_ exposition: [UInt8]) -> Int64? {
        let name = Array("prometheus_tsdb_lowest_timestamp ".utf8)
        var lineStart = 0
        while lineStart < exposition.count {
            let end = exposition[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? exposition.count
            if end - lineStart > name.count, exposition[lineStart..<(lineStart + name.count)].elementsEqual(name) {
                let text = String(decoding: exposition[(lineStart + name.count)..<end], as: UTF8.self).split(separator: " ").first ?? ""
                if let v = Double(text), v.isFinite, abs(v) < 9e15 { return Int64(v) }
            }
            lineStart = end + 1
        }
        return nil
    }

    /// Checks every `interval` and follows `sdFiles` until the task is cancelled.
    public func run(interval: Duration, sdFiles: [String]) async {
        await withTaskGroup(of: Void.self) { group in
            if !sdFiles.isEmpty {
                group.addTask {
                    await FileDiscovery(config: FileSDConfig(files: sdFiles)).run { groups in
                        self.setDiscovered(groups.flatMap(\.targets))
                        Task { await self.checkAll() }
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    await self.checkAll()
                    // An endpoint never reached yet (still starting) is asked again soon.
                    let unknown = self.all.contains { $0.status.info == nil }
                    try? await Task.sleep(for: unknown ? min(interval, .seconds(1)) : interval)
                }
            }
        }
    }
}
