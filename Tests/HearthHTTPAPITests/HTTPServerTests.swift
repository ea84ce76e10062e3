import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HearthHTTPAPI
import HearthPromQL
import HearthTestSupport
import HearthTSDB
import Logging
import Testing

/// The NIO server over a real socket: body limits, compression, and that it keeps serving.
@Suite struct HTTPServerTests {
    @Test func limitsCompressionAndKeepsServing() async throws {
        let dir = TemporaryDirectory("hearth-http")
        var options = DB.Options(path: dir.path)
        options.head.stripeCount = 16
        let db = try DB(options: options)
        defer { try? db.close() }
        let server = HTTPServer(host: "127.0.0.1", port: 0, responder: API(context: APIContext(db: db, engine: Engine())),
                                limits: { var l = HTTPLimits(); l.maxBodyBytes = 1 << 16; l.bulkBodyBytes = [:]; return l }(), threads: 1, logger: Logger(label: "test"))
        let port = try await server.start()
        let base = "http://127.0.0.1:\(port)"

        // A body over the limit: 413, whatever its content.
        var request = URLRequest(url: URL(string: base + "/api/v1/write")!)
        request.httpMethod = "POST"
        request.httpBody = Data(repeating: 0x41, count: 1 << 17)
        request.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
        var (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as! HTTPURLResponse).statusCode == 413)
        #expect(String(decoding: data, as: UTF8.self).contains("exceeds the limit"))

        // A query with a syntax error: 400 with Prometheus's JSON; the server still serves.
        (data, response) = try await URLSession.shared.data(from: URL(string: base + "/api/v1/query?query=rate(x%5B5m)")!)
        #expect((response as! HTTPURLResponse).statusCode == 400)
        #expect(String(decoding: data, as: UTF8.self).contains("\"errorType\":\"bad_data\""))

        // gzip for clients that accept it (URLSession sends Accept-Encoding and inflates).
        request = URLRequest(url: URL(string: base + "/api/v1/status/buildinfo")!)
        request.setValue("gzip", forHTTPHeaderField: "Accept-Encoding")
        (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        #expect(http.statusCode == 200)
        #expect(http.value(forHTTPHeaderField: "Content-Encoding") == "gzip")
        #expect(String(decoding: data, as: UTF8.self).hasPrefix("{\"status\":\"success\""))

        (_, response) = try await URLSession.shared.data(from: URL(string: base + "/-/healthy")!)
        #expect((response as! HTTPURLResponse).statusCode == 200)
        await server.shutdown()
    }
}
