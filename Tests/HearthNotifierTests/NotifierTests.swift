import Foundation
import HearthConfig
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthNotifier
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// An Alertmanager stand-in: records every `POST /api/v2/alerts` body.
final class AlertsReceiver: HTTPResponder, Sendable {
    let raw = Mutex<[Data]>([])
    let status = Mutex<HTTPResponseStatus>(.ok)
    let authorization = Mutex<String?>(nil)

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let body = Data(request.body.readableBytesView)
        guard request.path == "/api/v2/alerts", request.method == .POST,
              (try? JSONSerialization.jsonObject(with: body)) is [[String: Any]] else {
            return .text(.badRequest, "bad request\n")
        }
        raw.withLock { $0.append(body) }
        authorization.withLock { $0 = request.headers.first(name: "authorization") }
        return HTTPResponse(status: status.withLock { $0 })
    }

    /// Each request's alerts, decoded.
    var bodies: [[[String: Any]]] {
        raw.withLock { $0 }.map { (try? JSONSerialization.jsonObject(with: $0)) as? [[String: Any]] ?? [] }
    }

    var alerts: [[String: Any]] { bodies.flatMap { $0 } }
}

@Suite struct NotifierTests {
    func start(_ receiver: AlertsReceiver) async throws -> (HTTPServer, Int) {
        let server = HTTPServer(host: "127.0.0.1", port: 0, responder: receiver, threads: 1, logger: Logger(label: "test"))
        return (server, try await server.start())
    }

    func alert(_ name: String, _ extra: [String: String] = [:]) -> NotifierAlert {
        var l = extra
        l["alertname"] = name
        return NotifierAlert(labels: Labels(l), annotations: Labels(["summary": "s \(name)"]), startsAt: 1_800_000_000_000,
                             endsAt: 1_800_000_240_000, generatorURL: "http://hearth/graph?g0.expr=up&g0.tab=1")
    }

    func waitFor(_ condition: () -> Bool) async {
        for _ in 0..<100 where !condition() { try? await Task.sleep(for: .milliseconds(50)) }
    }

    @Test func sendsWithExternalLabelsAndAlertRelabeling() async throws {
        let receiver = AlertsReceiver()
        let (server, port) = try await start(receiver)
        let client = HTTPClient()
        let notifier = Notifier(client: client)
        notifier.apply(try Config(yaml: """
            global: {external_labels: {cluster: eu, severity: external}}
            alerting:
              alert_relabel_configs:
                - {source_labels: [alertname], regex: Noisy, action: drop}
                - {target_label: via, replacement: hearth}
              alertmanagers:
                - static_configs: [{targets: ['127.0.0.1:\(port)']}]
                  basic_auth: {username: hearth, password: secret}
            """))
        let loop = Task { await notifier.run() }
        notifier.send([alert("Down", ["severity": "page"]), alert("Noisy")])
        await waitFor { receiver.alerts.count >= 1 }
        notifier.stop()
        await loop.value
        let got = receiver.alerts
        #expect(got.count == 1)
        #expect(got.first?["labels"] as? [String: String] == ["alertname": "Down", "severity": "page", "cluster": "eu", "via": "hearth"])
        #expect(got.first?["annotations"] as? [String: String] == ["summary": "s Down"])
        #expect(receiver.authorization.withLock { $0 } == "Basic aGVhcnRoOnNlY3JldA==")
        #expect(got.first?["startsAt"] as? String == "2027-01-15T08:00:00Z")
        #expect(got.first?["endsAt"] as? String == "2027-01-15T08:04:00Z")
        #expect(notifier.alertmanagers().active == ["http://127.0.0.1:\(port)/api/v2/alerts"])
        #expect(notifier.statistics.sent.values.reduce(0, +) == 1)
        await server.shutdown()
        await client.shutdown()
    }

    @Test func batchesOfAtMost256AndTheQueueIsBounded() async throws {
        let receiver = AlertsReceiver()
        let (server, port) = try await start(receiver)
        let client = HTTPClient()
        var options = Notifier.Options()
        options.queueCapacity = 600
        let notifier = Notifier(client: client, options: options)
        notifier.apply(try Config(yaml: "alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:\(port)']}]}]}"))
        // Queued before the send loop runs: 1,000 alerts into a 600-alert queue.
        notifier.send((0..<1000).map { alert("A\($0)") })
        #expect(notifier.statistics.dropped == 400)
        let loop = Task { await notifier.run() }
        await waitFor { receiver.alerts.count >= 600 }
        notifier.stop()
        await loop.value
        let sizes = receiver.bodies.map(\.count)
        #expect(sizes == [256, 256, 88])
        // The oldest were dropped.
        #expect((receiver.alerts.first?["labels"] as? [String: String])?["alertname"] == "A400")
        await server.shutdown()
        await client.shutdown()
    }

    @Test func failedSendsAreCountedPerAlertmanager() async throws {
        let receiver = AlertsReceiver()
        receiver.status.withLock { $0 = .internalServerError }
        let (server, port) = try await start(receiver)
        let client = HTTPClient()
        let notifier = Notifier(client: client)
        notifier.apply(try Config(yaml: """
            alerting:
              alertmanagers:
                - path_prefix: /am
                  static_configs: [{targets: ['127.0.0.1:\(port)']}]
                - static_configs: [{targets: ['127.0.0.1:\(port)', 'drop-me:9093']}]
                  relabel_configs: [{source_labels: [__address__], regex: 'drop-me.*', action: drop}]
            """))
        #expect(notifier.alertmanagers().active == ["http://127.0.0.1:\(port)/am/api/v2/alerts", "http://127.0.0.1:\(port)/api/v2/alerts"])
        #expect(notifier.alertmanagers().dropped == ["http://drop-me:9093/api/v2/alerts"])
        let loop = Task { await notifier.run() }
        notifier.send([alert("X")])
        await waitFor { notifier.statistics.errors.count == 2 }
        notifier.stop()
        await loop.value
        #expect(notifier.statistics.errors == ["http://127.0.0.1:\(port)/am/api/v2/alerts": 1, "http://127.0.0.1:\(port)/api/v2/alerts": 1])
        await server.shutdown()
        await client.shutdown()
    }

    @Test func discoversAlertmanagersFromFiles() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-notifier-sd-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[{\"targets\": [\"am-1:9093\", \"am-2:9093\"], \"labels\": {\"dc\": \"x\"}}]"
            .write(toFile: dir + "/ams.json", atomically: true, encoding: .utf8)
        let client = HTTPClient()
        let notifier = Notifier(client: client)
        notifier.apply(try Config(yaml: """
            alerting:
              alertmanagers:
                - file_sd_configs: [{files: ['\(dir)/*.json']}]
                  relabel_configs: [{source_labels: [__address__], regex: 'am-2.*', action: drop}]
            """))
        await waitFor { !notifier.alertmanagers().active.isEmpty }
        #expect(notifier.alertmanagers().active == ["http://am-1:9093/api/v2/alerts"])
        #expect(notifier.alertmanagers().dropped == ["http://am-2:9093/api/v2/alerts"])
        notifier.stop()
        await client.shutdown()
    }
}
