import Foundation
import HearthConfig
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthRemoteProtocol
import HearthRemoteWrite
import HearthSnappy
import HearthTestSupport
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A receiver that answers from a script and records what it got.
final class ScriptedReceiver: HTTPResponder, Sendable {
    let script: Mutex<[(Int, String?)]>
    let received = Mutex<[(headers: HTTPHeaders, series: [(Labels, [Sample])])]>([])

    init(_ script: [(Int, String?)]) { self.script = Mutex(script) }

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        var series: [(Labels, [Sample])] = []
        let bytes = Array(request.body.readableBytesView)
        if let proto = try? Snappy.decode(bytes, limit: 1 << 24) {
            _ = try? proto.withUnsafeBytes { raw in
                try WriteRequestDecoder.decodeV1(raw) { s in
                    series.append((try Labels(validating: s.labels), s.samples))
                }
            }
        }
        received.withLock { $0.append((request.headers, series)) }
        let (status, retryAfter) = script.withLock { $0.isEmpty ? (204, nil) : $0.removeFirst() }
        var headers = HTTPHeaders()
        if let retryAfter { headers.add(name: "Retry-After", value: retryAfter) }
        return HTTPResponse(status: .init(statusCode: status), headers: headers)
    }
}

@Suite struct RemoteWriteClientTests {
    func config(_ url: String, _ extra: String = "") throws -> RemoteWriteConfig {
        try Config(yaml: "remote_write:\n  - url: \(url)\n\(extra)").remoteWrite[0]
    }

    let batch: [(Labels, [Sample])] = [
        (Labels(["__name__": "up", "job": "a"]), [Sample(1_000, 1), Sample(2_000, 0)]),
        (Labels(["__name__": "temp", "room": "b"]), [Sample(1_000, 21.5)]),
    ]

    @Test func statusCodesDecideRetryOrDrop() async throws {
        let receiver = ScriptedReceiver([(500, "2"), (429, nil), (400, nil), (204, nil)])
        let server = HTTPServer(host: "127.0.0.1", port: 0, responder: receiver, threads: 1, logger: Logger(label: "test"))
        let port = try await server.start()
        let client = HTTPClient()
        let rw = try RemoteWriteClient(config: try config("http://127.0.0.1:\(port)/api/v1/write", "    headers: {X-Scope-OrgID: team-a}"),
                                       externalLabels: Labels(["cluster": "eu"]), client: client)
        let prepared = batch.compactMap { b in rw.prepare(b.0).map { ($0, b.1) } }
        #expect(await rw.send(prepared) == .retry(reason: "server returned HTTP status 500: ", after: 2_000))
        guard case .retry(_, nil) = await rw.send(prepared) else { Issue.record("429 should be retried"); return }
        guard case .drop = await rw.send(prepared) else { Issue.record("400 should be dropped"); return }
        #expect(await rw.send(prepared) == .sent)
        let got = receiver.received.withLock { $0 }
        #expect(got.count == 4)
        #expect(got[0].headers.first(name: "Content-Encoding") == "snappy")
        #expect(got[0].headers.first(name: "X-Prometheus-Remote-Write-Version") == "0.1.0")
        #expect(got[0].headers.first(name: "X-Scope-OrgID") == "team-a")
        #expect(got[3].series.map(\.0) == [Labels(["__name__": "up", "job": "a", "cluster": "eu"]), Labels(["__name__": "temp", "room": "b", "cluster": "eu"])])
        #expect(got[3].series[0].1 == [Sample(1_000, 1), Sample(2_000, 0)])
        await server.shutdown()
        // Nobody listening: a network error, retried.
        guard case .retry = await rw.send(prepared) else { Issue.record("connection refused should be retried"); return }
        await client.shutdown()
    }

    @Test func backoffDoublesToTheMaximumAndHonoursRetryAfter() {
        var b = Backoff(minimum: 30, maximum: 200)
        #expect([b.next(retryAfter: nil), b.next(retryAfter: nil), b.next(retryAfter: nil), b.next(retryAfter: nil), b.next(retryAfter: nil)] == [30, 60, 120, 200, 200])
        #expect(b.next(retryAfter: 5_000) == 5_000)
        b.reset()
        #expect(b.next(retryAfter: nil) == 30)
    }

    @Test func writeRelabelingAndExternalLabelsApplyBeforeSending() throws {
        let rw = try RemoteWriteClient(config: try config("http://127.0.0.1:1/w", """
                write_relabel_configs:
                  - source_labels: [__name__]
                    regex: temp
                    action: drop
            """), externalLabels: Labels(["job": "ignored", "region": "x"]), client: HTTPClient())
        #expect(rw.prepare(batch[1].0) == nil)
        #expect(rw.prepare(batch[0].0) == Labels(["__name__": "up", "job": "a", "region": "x"]), "a series' own label wins over an external label")
    }

    /// Debian's Prometheus as the receiver (`--web.enable-remote-write-receiver`): what Hearth
    /// sends with protocol 1.0 is queryable there, sample for sample.
    @Test func prometheusReceivesWhatHearthSends() async throws {
        let prometheus = "/usr/bin/prometheus"
        guard peerInstalled(prometheus) else {
            print("remote write to Prometheus: skipped, prometheus is not installed")
            return
        }
        let tmp = TemporaryDirectory()
        try "global: {}\n".write(toFile: tmp.path + "/p.yml", atomically: true, encoding: .utf8)
        let port = freeLocalPort()
        let child = try ChildProcess(prometheus, ["--config.file=\(tmp.path)/p.yml", "--storage.tsdb.path=\(tmp.path)/data",
                                                  "--web.listen-address=127.0.0.1:\(port)", "--web.enable-remote-write-receiver"], quietStderr: true)
        defer { _ = child.kill(SIGTERM) }
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(port)"
        for attempt in 0..<100 {
            if let r = try? await client.execute(url: try HTTPURL(base + "/-/ready"), timeout: 1000), r.status == 200 { break }
            if attempt == 99 { throw ChildError("prometheus did not start") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let rw = try RemoteWriteClient(config: try config(base + "/api/v1/write"), externalLabels: Labels(), client: client)
        let now = Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000
        let samples = (0..<30).map { Sample(now - 30_000 + Int64($0) * 1000, Double($0) * 1.5) }
        #expect(await rw.send([(Labels(["__name__": "hearth_rw_test", "k": "v"]), samples)]) == .sent)
        let query = "count_over_time(hearth_rw_test[1m])"
        let r = try await client.execute(url: try HTTPURL(base + "/api/v1/query?query=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&time=\(now / 1000)"), timeout: 5000)
        let json = try JSONSerialization.jsonObject(with: Data(r.body)) as! [String: Any]
        let result = ((json["data"] as! [String: Any])["result"] as! [[String: Any]])
        #expect(result.count == 1)
        #expect((result.first?["value"] as? [Any])?.last as? String == "30", "\(result)")
        await client.shutdown()
    }
}
