import HearthChunks
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
@testable import HearthQuery
import HearthRemoteProtocol
import HearthSnappy
import HearthStorage
import HearthTestSupport
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// The fan-out over endpoints that misbehave: every broken answer is that endpoint's warning
/// (or, without partial responses, the query's error), never a crash or a wrong answer.
@Suite struct FanoutQuerierTests {
    /// An endpoint that answers remote reads with a fixed body.
    struct FakeEndpoint: HTTPResponder {
        let contentType: String
        let body: [UInt8]
        var status: HTTPResponseStatus = .ok

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            if request.path == "/api/v1/read" {
                var response = HTTPResponse(status: status, contentType: contentType, bytes: body)
                if contentType == "application/x-protobuf" { response.headers.add(name: "Content-Encoding", value: "snappy") }
                return response
            }
            return .text(.notFound, "404 page not found\n")
        }
    }

    static let labels = Labels(["__name__": "up", "job": "node"])

    static func goodChunk() -> ReadResponseEncoder.XORChunk {
        let c = ChunkData.encode((0..<10).map { Sample(Int64($0) * 15_000, 1) })[0]
        return .init(minTime: c.minTime, maxTime: c.maxTime, bytes: c.bytes)
    }

    static let streamed = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"

    /// The broken answers, by name.
    static func answer(_ kind: String) -> (String, [UInt8], HTTPResponseStatus) {
        let good = ReadResponseEncoder.chunkedFrame([(labels, [goodChunk()])], queryIndex: 0)
        switch kind {
        case "good": return (streamed, good, .ok)
        case "garbage": return (streamed, Array("<html>oops</html>".utf8), .ok)
        case "truncated frame": return (streamed, Array(good.dropLast(5)), .ok)
        case "bad CRC":
            var b = good
            b[3] ^= 0xFF
            return (streamed, b, .ok)
        case "chunk that does not decode":
            var chunk = goodChunk()
            chunk.bytes = Array(chunk.bytes.prefix(chunk.bytes.count / 2))
            return (streamed, ReadResponseEncoder.chunkedFrame([(labels, [chunk])], queryIndex: 0), .ok)
        case "oversized": return (streamed, good + [UInt8](repeating: 0, count: 2 << 20), .ok)
        case "samples garbage": return ("application/x-protobuf", Snappy.encode([0x0A, 0xFF, 0x01]), .ok)
        case "HTTP 500": return ("text/plain", Array("storage is on fire".utf8), .internalServerError)
        default: return ("text/html", Array("<html></html>".utf8), .ok)
        }
    }

    static func withEndpoints<T: Sendable>(
        _ kinds: [String], _ body: @Sendable ([Endpoint], HTTPClient) async throws -> T
    ) async throws -> T {
        var servers: [HTTPServer] = []
        var endpoints: [Endpoint] = []
        for kind in kinds {
            let (type, bytes, status) = answer(kind)
            let server = HTTPServer(host: "127.0.0.1", port: 0, responder: FakeEndpoint(contentType: type, body: bytes, status: status), threads: 1, logger: Logger(label: "test"))
            let port = try await server.start()
            servers.append(server)
            endpoints.append(try Endpoint("127.0.0.1:\(port)"))
        }
        let client = HTTPClient()
        defer { Task { await client.shutdown() } }
        let result = try await body(endpoints, client)
        for s in servers { await s.shutdown() }
        return result
    }

    static func select(_ querier: FanoutQuerier) async throws -> SeriesSet {
        let matchers = [try Matcher(.equal, "__name__", "up")]
        return try await runOnOwnThread { () throws(StorageError) in
            try querier.select(matchers, hints: SelectHints(start: 0, end: 200_000))
        }
    }

    @Test(arguments: ["garbage", "truncated frame", "bad CRC", "chunk that does not decode", "oversized", "samples garbage", "HTTP 500",
                      "wrong content type"])
    func aBrokenEndpointIsAWarningAndTheRestIsAnswered(_ kind: String) async throws {
        try await Self.withEndpoints(["good", kind]) { endpoints, client in
            var options = FanoutOptions()
            options.maxResponseBytes = 1 << 20
            options.timeoutMs = 10_000
            let set = try await Self.select(FanoutQuerier(endpoints: endpoints, client: client, options: options))
            #expect(set.series.map(\.labels) == [Self.labels], "\(kind)")
            #expect(try set.series.first?.samples().count == 10, "\(kind): the good endpoint's samples, all of them")
            #expect(set.warnings.count == 1, "\(kind): \(set.warnings)")
            #expect(set.warnings.first?.hasPrefix(endpoints[1].address) == true, "\(kind): \(set.warnings)")

            options.partialResponse = false
            await #expect(throws: StorageError.self, "\(kind)") {
                _ = try await Self.select(FanoutQuerier(endpoints: endpoints, client: client, options: options))
            }
        }
    }

    /// An endpoint that accepts connections and never answers costs its timeout, then is a warning.
    @Test func aSilentEndpointIsAWarningWithinItsTimeout() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        try await Self.withEndpoints(["good"]) { endpoints, client in
            var options = FanoutOptions()
            // Long enough for the good endpoint on a loaded CI machine.
            options.timeoutMs = 5_000
            let all = endpoints + [try Endpoint("127.0.0.1:\(silent.port)")]
            let clock = ContinuousClock()
            let started = clock.now
            let set = try await Self.select(FanoutQuerier(endpoints: all, client: client, options: options))
            let took = clock.now - started
            #expect(set.series.count == 1, "\(set.warnings)")
            #expect(set.warnings.count == 1 && set.warnings[0].contains("127.0.0.1:\(silent.port)"), "\(set.warnings)")
            #expect(took >= .seconds(5) && took < .seconds(60), "took \(took)")
        }
    }

    /// Endpoints whose external labels or time range cannot match a selection are not asked.
    @Test func endpointsAreChosenByExternalLabelsAndTime() throws {
        let e = try Endpoint("127.0.0.1:1")
        let eu = try Matcher(.equal, "cluster", "eu"), us = try Matcher(.equal, "cluster", "us")
        #expect(e.mayHold([us], start: 0, end: 1), "nothing known yet: asked")
        e.recordInfo(Endpoint.Info(externalLabels: Labels(["cluster": "eu"]), minTime: 10_000), at: 0)
        #expect(e.mayHold([eu, try Matcher(.equal, "job", "x")], start: 0, end: 20_000))
        #expect(!e.mayHold([us], start: 0, end: 20_000))
        #expect(!e.mayHold([try Matcher(.regexNoMatch, "cluster", "e.")], start: 0, end: 20_000))
        #expect(!e.mayHold([eu], start: 0, end: 9_999), "ends before the endpoint's oldest sample")
        // The matchers on external labels are answered here, not sent.
        let sent = RemoteReader.request([eu, try Matcher(.equal, "job", "x")], start: 0, end: 1, externalLabels: Labels(["cluster": "eu"]))
        let decoded = try Snappy.decode(sent, limit: 1 << 20).withUnsafeBytes { try ReadRequest.decode($0) }
        #expect(decoded.queries.first?.matchers.map(\.1) == ["job"])
    }
}
