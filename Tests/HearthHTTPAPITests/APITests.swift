import Foundation
import HearthBlock
import HearthHTTPAPI
import HearthModel
import HearthPromQL
import HearthRemoteProtocol
import HearthSnappy
import HearthTestSupport
import HearthTSDB
import NIOCore
import NIOHTTP1
import Testing

/// The API in process: Prometheus's JSON shapes and errors, remote write and read, federation.
@Suite struct APITests {
    final class Fixture {
        let dir = TemporaryDirectory("hearth-api")
        let db: DB
        let api: API

        init(enableAdmin: Bool = false, configure: (inout APIContext) -> Void = { _ in }) throws {
            var options = DB.Options(path: dir.path)
            options.head.stripeCount = 16
            db = try DB(options: options)
            var context = APIContext(db: db, engine: Engine())
            context.enableAdminAPI = enableAdmin
            context.flags = [("storage.tsdb.path", dir.path)]
            configure(&context)
            api = API(context: context)
        }

        deinit { try? db.close() }

        func request(_ method: HTTPMethod = .GET, _ uri: String, headers: HTTPHeaders = [:], body: [UInt8] = []) async -> HTTPResponse {
            await api.respond(to: HTTPRequest(method: method, uri: uri, headers: headers, body: ByteBuffer(bytes: body)))
        }

        func json(_ uri: String, method: HTTPMethod = .GET, form: String? = nil) async throws -> (HTTPResponseStatus, [String: Any]) {
            var headers: HTTPHeaders = [:]
            var body: [UInt8] = []
            if let form {
                headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                body = Array(form.utf8)
            }
            let r = await request(method, uri, headers: headers, body: body)
            let object = try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as! [String: Any]
            return (r.status, object)
        }

        func write(_ series: [(Labels, [Sample])], v2: Bool = false) async -> HTTPResponse {
            let body = Snappy.encode(v2 ? WriteRequestEncoder.v2(series) : WriteRequestEncoder.v1(series))
            return await request(.POST, "/api/v1/write", headers: [
                "Content-Encoding": "snappy",
                "Content-Type": v2 ? "application/x-protobuf;proto=io.prometheus.write.v2.Request" : "application/x-protobuf",
            ], body: body)
        }
    }

    static let up = Labels(["__name__": "up", "job": "node", "instance": "a"])
    static let load = Labels(["__name__": "node_load1", "job": "node", "instance": "a"])

    @Test func remoteWriteThenQuery() async throws {
        let f = try Fixture()
        let r = await f.write([(Self.up, [Sample(1_000_000, 1), Sample(1_015_000, 1)]), (Self.load, [Sample(1_000_000, 0.5)])])
        #expect(r.status == .noContent)
        let (status, json) = try await f.json("/api/v1/query?query=up&time=1015")
        #expect(status == .ok)
        let data = json["data"] as! [String: Any]
        #expect(data["resultType"] as? String == "vector")
        let result = data["result"] as! [[String: Any]]
        #expect(result.count == 1)
        #expect(result[0]["metric"] as? [String: String] == ["__name__": "up", "job": "node", "instance": "a"])
        let value = result[0]["value"] as! [Any]
        #expect(value[0] as? Double == 1015)
        #expect(value[1] as? String == "1")

        // POST form-encoded range query.
        let (rs, range) = try await f.json("/api/v1/query_range", method: .POST,
                                           form: "query=node_load1%20*%202&start=1000&end=1030&step=15s")
        #expect(rs == .ok)
        let matrix = (range["data"] as! [String: Any])["result"] as! [[String: Any]]
        #expect(matrix.count == 1)
        #expect((matrix[0]["values"] as! [[Any]]).map { $0[1] as! String } == ["1", "1", "1"])
    }

    @Test func remoteWriteV2ReportsWrittenCounts() async throws {
        let f = try Fixture()
        let r = await f.write([(Self.up, [Sample(1000, 1), Sample(2000, 1), Sample(3000, 0)])], v2: true)
        #expect(r.status == .noContent)
        #expect(r.headers.first(name: "X-Prometheus-Remote-Write-Samples-Written") == "3")
        let (_, json) = try await f.json("/api/v1/query?query=count_over_time(up[1m])&time=3")
        let result = (json["data"] as! [String: Any])["result"] as! [[String: Any]]
        #expect((result[0]["value"] as! [Any])[1] as? String == "3")
    }

    /// A series idle across a head truncation leaves the head; the handler's cached ref for its
    /// label bytes is then stale, and a sender writing it again must be taken by its labels
    /// (it used to get a 400, which senders do not retry: the samples were lost).
    @Test func aSeriesWrittenAgainAfterLeavingTheHeadIsStored() async throws {
        let f = try Fixture()
        let hour: Int64 = 3_600_000
        let idle = Labels(["__name__": "idle_metric", "job": "node"])
        // Both series in the first block range; only `up` goes on.
        #expect(await f.write([(idle, [Sample(0, 1), Sample(60_000, 2)]), (Self.up, [Sample(0, 1)])]).status == .noContent)
        // The same label bytes again: this time by the cached ref.
        #expect(await f.write([(idle, [Sample(120_000, 3)])]).status == .noContent)
        for t in stride(from: hour, through: 4 * hour, by: Int(hour)) {
            #expect(await f.write([(Self.up, [Sample(t, 1)])]).status == .noContent)
        }
        let blocks = try f.db.compactHead()
        #expect(blocks.count == 1)
        #expect(f.db.head.labelValues("__name__", []) == ["up"], "the idle series left the head")
        // Written again, with the same label bytes as before.
        let r = await f.write([(idle, [Sample(4 * hour, 4), Sample(4 * hour + 60_000, 5)])])
        #expect(r.status == .noContent, "\(String(buffer: r.body))")
        // And by the ref cached afresh.
        #expect(await f.write([(idle, [Sample(4 * hour + 120_000, 6)])]).status == .noContent)
        let (_, json) = try await f.json("/api/v1/query?query=idle_metric[5h]&time=\(4 * 3600 + 180)")
        let result = (json["data"] as! [String: Any])["result"] as! [[String: Any]]
        #expect(result.count == 1)
        let values = (result.first?["values"] as? [[Any]] ?? []).map { $0[1] as! String }
        #expect(values == ["1", "2", "3", "4", "5", "6"])
    }

    /// A damaged block chunk is left out of the answer, and the answer says so: Prometheus's
    /// `warnings`, on queries and on series lookups alike.
    @Test func damageMetWhileReadingIsAWarningInTheResponse() async throws {
        let f = try Fixture()
        let hour: Int64 = 3_600_000
        for t in stride(from: 0, through: 4 * hour, by: Int(hour / 4)) {
            #expect(await f.write([(Self.up, [Sample(t, 1)])]).status == .noContent)
        }
        let block = try #require(try f.db.compactHead().first)
        let chunks = f.dir.path + "/\(block.ulid)/chunks/000001"
        var bytes = try #require(FileManager.default.contents(atPath: chunks))
        bytes[12] ^= 0xFF  // inside the first chunk's data: its checksum no longer matches
        try bytes.write(to: URL(fileURLWithPath: chunks))

        let (status, json) = try await f.json("/api/v1/query?query=count_over_time(up[5h])&time=\(4 * 3600)")
        #expect(status == .ok)
        let warnings = json["warnings"] as? [String] ?? []
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("block \(block.ulid): 1 damaged part left out of the answer") == true, "\(warnings)")
        // What the head holds is still answered.
        let result = (json["data"] as! [String: Any])["result"] as! [[String: Any]]
        #expect((result.first?["value"] as? [Any])?[1] as? String == "9")
        // A query that does not reach the damaged block has no warning.
        let (_, recent) = try await f.json("/api/v1/query?query=up&time=\(4 * 3600)")
        #expect(recent["warnings"] == nil)
    }

    @Test func badRemoteWritesGet4xxAndLeaveDataIntact() async throws {
        let f = try Fixture()
        #expect(await f.write([(Self.up, [Sample(5000, 1)])]).status == .noContent)
        // Not snappy.
        var r = await f.request(.POST, "/api/v1/write", headers: ["Content-Type": "application/x-protobuf"], body: [1, 2, 3])
        #expect(r.status == .unsupportedMediaType)
        // Wrong content type.
        r = await f.request(.POST, "/api/v1/write", headers: ["Content-Encoding": "snappy", "Content-Type": "application/json"],
                            body: Snappy.encode([1]))
        #expect(r.status == .unsupportedMediaType)
        // Snappy that does not decode, and a truncated body.
        r = await f.request(.POST, "/api/v1/write", headers: ["Content-Encoding": "snappy"], body: [0x05, 0xFF, 0xFF])
        #expect(r.status == .badRequest)
        let valid = Snappy.encode(WriteRequestEncoder.v1([(Self.load, [Sample(1, 1)])]))
        r = await f.request(.POST, "/api/v1/write", headers: ["Content-Encoding": "snappy"], body: Array(valid.dropLast(3)))
        #expect(r.status == .badRequest)
        // Valid snappy, invalid protobuf.
        r = await f.request(.POST, "/api/v1/write", headers: ["Content-Encoding": "snappy"], body: Snappy.encode([0x0A, 0xFF, 0x01]))
        #expect(r.status == .badRequest)
        #expect(String(buffer: r.body).contains("invalid prometheus.WriteRequest"))
        // A decompression bomb is refused before allocating.
        r = await f.request(.POST, "/api/v1/write", headers: ["Content-Encoding": "snappy"], body: [0xFF, 0xFF, 0xFF, 0xFF, 0x07])
        #expect(r.status == .badRequest)
        #expect(String(buffer: r.body).contains("exceeds the limit"))
        // Invalid labels: 400, the valid series is still written.
        r = await f.write([
            (Labels(sorted: [Label("__name__", "x"), Label("b", "1"), Label("a", "1")]), [Sample(1, 1)]),
            (Labels(sorted: [Label("__name__", "x"), Label("", "1")]), [Sample(1, 1)]),
            (Labels(["__name__": "ok_metric"]), [Sample(6000, 2)]),
        ])
        #expect(r.status == .badRequest)
        #expect(String(buffer: r.body).contains("out of order"))
        // Out-of-order samples: 400 and, as Prometheus does for protocol 1.0, nothing of the request.
        r = await f.write([(Self.load, [Sample(7000, 3)]), (Self.up, [Sample(4000, 1)])])
        #expect(r.status == .badRequest)
        #expect(String(buffer: r.body).contains("out of order sample"))
        let (_, json) = try await f.json("/api/v1/query?query={__name__=~\"up|ok_metric|node_load1\"}&time=7")
        let names = ((json["data"] as! [String: Any])["result"] as! [[String: Any]]).map { ($0["metric"] as! [String: String])["__name__"]! }
        #expect(names.sorted() == ["ok_metric", "up"])
        // And the server still serves.
        #expect(await f.request(.GET, "/-/healthy").status == .ok)
    }

    @Test func queryErrorsUsePrometheusTypes() async throws {
        let f = try Fixture()
        var (status, json) = try await f.json("/api/v1/query?query=sum(")
        #expect(status == .badRequest)
        #expect(json["errorType"] as? String == "bad_data")
        #expect(json["error"] as? String == "invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis")
        (status, json) = try await f.json("/api/v1/query_range?query=up&start=10&end=5&step=1")
        #expect(status == .badRequest)
        #expect(json["error"] as? String == "invalid parameter \"end\": end timestamp must not be before start time")
        (status, json) = try await f.json("/api/v1/query_range?query=up&start=0&end=100000&step=1")
        #expect(json["error"] as? String == "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        (status, json) = try await f.json("/api/v1/query_range?query=up&start=x&end=5&step=1")
        #expect(json["error"] as? String == "invalid parameter \"start\": cannot parse \"x\" to a valid timestamp")
        _ = await f.write([(Self.up, [Sample(1000, 1)]), (Labels(["__name__": "down", "job": "node", "instance": "a"]), [Sample(1000, 1)])])
        (status, json) = try await f.json("/api/v1/query?query=%7Bjob%3D%22node%22%7D%20*%202&time=1")
        #expect(status == .unprocessableEntity)
        #expect(json["errorType"] as? String == "execution")
        (status, json) = try await f.json("/api/v1/series")
        #expect(json["error"] as? String == "no match[] parameter provided")
        let r = await f.request(.POST, "/api/v1/admin/tsdb/snapshot")
        #expect(r.status == .serviceUnavailable)
    }

    @Test func adminEndpointsDeleteCleanAndSnapshot() async throws {
        let f = try Fixture(enableAdmin: true)
        let other = Labels(["__name__": "up", "job": "node", "instance": "b"])
        _ = await f.write([(Self.up, (1...10).map { Sample(Int64($0) * 1000, Double($0)) }),
                           (other, (1...10).map { Sample(Int64($0) * 1000, Double($0)) })])
        var r = await f.request(.POST, "/api/v1/admin/tsdb/delete_series")
        #expect(r.status == .badRequest)
        r = await f.request(.POST, "/api/v1/admin/tsdb/delete_series?match[]=up%7Binstance%3D%22a%22%7D&start=3&end=6")
        #expect(r.status == .noContent)
        var (_, json) = try await f.json("/api/v1/query?query=up%5B20s%5D&time=10")
        let result = (json["data"] as! [String: Any])["result"] as! [[String: Any]]
        let counts = result.map { (($0["metric"] as! [String: String])["instance"]!, ($0["values"] as! [Any]).count) }
        #expect(counts.map(\.0) == ["a", "b"])
        #expect(counts.map(\.1) == [6, 10], "a lost 3 s..6 s")
        r = await f.request(.PUT, "/api/v1/admin/tsdb/clean_tombstones")
        #expect(r.status == .noContent)
        (_, json) = try await f.json("/api/v1/admin/tsdb/snapshot?skip_head=false", method: .POST)
        let name = try #require((json["data"] as? [String: Any])?["name"] as? String)
        #expect(FileManager.default.fileExists(atPath: f.dir.path + "/snapshots/" + name))
        (_, json) = try await f.json("/api/v1/admin/tsdb/snapshot?skip_head=maybe", method: .POST)
        #expect(json["errorType"] as? String == "bad_data")
        r = await f.request(.GET, "/api/v1/admin/tsdb/snapshot")
        #expect(r.status == .methodNotAllowed)
    }

    @Test func seriesLabelsAndValues() async throws {
        let f = try Fixture()
        _ = await f.write([(Self.up, [Sample(1000, 1)]), (Self.load, [Sample(1000, 1)])])
        var (_, json) = try await f.json("/api/v1/series?match[]=up&match[]=node_load1")
        #expect((json["data"] as! [[String: String]]).map { $0["__name__"]! } == ["node_load1", "up"])
        (_, json) = try await f.json("/api/v1/labels")
        #expect(json["data"] as! [String] == ["__name__", "instance", "job"])
        (_, json) = try await f.json("/api/v1/label/__name__/values")
        #expect(json["data"] as! [String] == ["node_load1", "up"])
        (_, json) = try await f.json("/api/v1/label/job/values?match[]=up")
        #expect(json["data"] as! [String] == ["node"])
        (_, json) = try await f.json("/api/v1/status/tsdb")
        let data = json["data"] as! [String: Any]
        #expect((data["headStats"] as! [String: Any])["numSeries"] as? Int == 2)
        #expect((data["seriesCountByMetricName"] as! [[String: Any]]).count == 2)
        (_, json) = try await f.json("/api/v1/format_query?query=sum(rate(x[5m]))by(job)")
        #expect(json["data"] as? String == "sum by (job) (rate(x[5m]))")
        (_, json) = try await f.json("/api/v1/parse_query?query=up")
        #expect((json["data"] as! [String: Any])["type"] as? String == "vectorSelector")
    }

    @Test func remoteReadBothResponseTypes() async throws {
        let f = try Fixture()
        _ = await f.write([(Self.up, [Sample(1000, 1), Sample(2000, 0)]), (Self.load, [Sample(1000, 7)])])
        var request = ReadRequest()
        var q = ReadQuery()
        q.startMs = 0
        q.endMs = 10_000
        q.matchers = [(.equal, "job", "node")]
        request.queries = [q]
        for streamed in [false, true] {
            request.acceptedResponseTypes = streamed ? [.streamedXORChunks] : [.samples]
            let r = await f.request(.POST, "/api/v1/read", headers: ["Content-Encoding": "snappy", "Content-Type": "application/x-protobuf"],
                                    body: Snappy.encode(request.encode()))
            #expect(r.status == .ok)
            let body = Array(r.body.readableBytesView)
            if streamed {
                #expect(r.headers.first(name: "Content-Type")?.hasPrefix("application/x-streamed-protobuf") == true)
                // One frame: length, CRC, message; two series.
                #expect(body.count > 8)
            } else {
                #expect(r.headers.first(name: "Content-Encoding") == "snappy")
                let decoded = try Snappy.decode(body, limit: 1 << 20)
                #expect(decoded.count > 20)
            }
        }
    }

    @Test func federationAndMetrics() async throws {
        let f = try Fixture()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        _ = await f.write([(Self.up, [Sample(now - 1000, 1)]), (Self.load, [Sample(now - 1000, 0.25)])])
        let r = await f.request(.GET, "/federate?match[]=%7Bjob%3D%22node%22%7D")
        let text = String(buffer: r.body)
        #expect(text.contains("node_load1{instance=\"a\",job=\"node\"} 0.25 \(now - 1000)"))
        #expect(text.contains("up{instance=\"a\",job=\"node\"} 1 \(now - 1000)"))
        let metrics = String(buffer: await f.request(.GET, "/metrics").body)
        #expect(metrics.contains("prometheus_http_requests_total"))
    }
}
