import HearthModel
import HearthRemoteProtocol
import HearthSnappy
import HearthTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile requests against a running `hearth server`: every query API parameter at NaN,
/// ±Inf, ±1e300, the Int64 limits, empty and malformed; queries nested 100,000 deep, with
/// 20,000 matchers or 20,000-term chains; pathological regular expressions; oversized heads,
/// URLs and bodies; malformed HTTP; bad remote-write and remote-read bodies; connections past
/// the limit. Each is answered as Prometheus 3.14 answers it (a 4xx for bad input, and for the
/// few that are valid, what Prometheus answers) and the server keeps serving after every one.
@Suite(.serialized) struct HostileRequestTests {
    struct Case: CustomStringConvertible {
        var name: String
        var request: [UInt8]
        /// The status expected: Prometheus's answer.
        var status: Int

        var description: String { name }
    }

    static let badValues = ["NaN", "Inf", "-Inf", "+Inf", "1e300", "-1e300", "-9223372036854775808", "9223372036854775807",
                            "abc", "1e", "--1", "%00", "\u{FFFD}"]

    static func get(_ path: String, _ params: [(String, String)]) -> [UInt8] {
        RawHTTP.request("GET", path + "?" + params.map { "\(RawHTTP.escape($0.0))=\(RawHTTP.escape($0.1))" }.joined(separator: "&"))
    }

    static func post(_ path: String, _ params: [(String, String)]) -> [UInt8] {
        let form = params.map { "\(RawHTTP.escape($0.0))=\(RawHTTP.escape($0.1))" }.joined(separator: "&")
        return RawHTTP.request("POST", path, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8))
    }

    static func remoteWrite(_ body: [UInt8], encoding: String = "snappy") -> [UInt8] {
        RawHTTP.request("POST", "/api/v1/write", headers: [("Content-Type", "application/x-protobuf"), ("Content-Encoding", encoding),
                                                          ("X-Prometheus-Remote-Write-Version", "0.1.0")], body: body)
    }

    static var cases: [Case] {
        var out: [Case] = []
        // Times, durations and limits at their edges, as query-string and form parameters.
        for v in badValues {
            out.append(Case(name: "query time=\(v)", request: get("/api/v1/query", [("query", "up"), ("time", v)]), status: 400))
            out.append(Case(name: "query_range start=\(v)", request: get("/api/v1/query_range", [("query", "up"), ("start", v), ("end", "60"), ("step", "15")]), status: 400))
            out.append(Case(name: "query_range end=\(v)", request: post("/api/v1/query_range", [("query", "up"), ("start", "0"), ("end", v), ("step", "15")]), status: 400))
            out.append(Case(name: "query_range step=\(v)", request: get("/api/v1/query_range", [("query", "up"), ("start", "0"), ("end", "60"), ("step", v)]), status: 400))
            out.append(Case(name: "series start=\(v)", request: get("/api/v1/series", [("match[]", "up"), ("start", v)]), status: 400))
            out.append(Case(name: "labels end=\(v)", request: post("/api/v1/labels", [("end", v)]), status: 400))
            out.append(Case(name: "label values start=\(v)", request: get("/api/v1/label/job/values", [("start", v)]), status: 400))
            out.append(Case(name: "query timeout=\(v)", request: get("/api/v1/query", [("query", "up"), ("timeout", v)]),
                            status: 400))
            out.append(Case(name: "query lookback_delta=\(v)", request: get("/api/v1/query", [("query", "up"), ("lookback_delta", v)]), status: 400))
            if v != "9223372036854775807" {
                out.append(Case(name: "series limit=\(v)", request: get("/api/v1/series", [("match[]", "up"), ("limit", v)]), status: 400))
            }
        }
        out += [
            Case(name: "query_range without start", request: get("/api/v1/query_range", [("query", "up"), ("end", "60"), ("step", "15")]), status: 400),
            Case(name: "query_range step=0", request: get("/api/v1/query_range", [("query", "up"), ("start", "0"), ("end", "60"), ("step", "0")]), status: 400),
            Case(name: "query_range step=-1", request: get("/api/v1/query_range", [("query", "up"), ("start", "0"), ("end", "60"), ("step", "-1")]), status: 400),
            Case(name: "query_range step of 0.1 ms", request: get("/api/v1/query_range", [("query", "up"), ("start", "0"), ("end", "60"), ("step", "0.0001")]), status: 400),
            Case(name: "query_range from Int64 min to max seconds", request: get("/api/v1/query_range", [("query", "up"), ("start", "-9223372036854775"), ("end", "9223372036854775"), ("step", "1")]), status: 400),
            Case(name: "query_range 0 to 1e300", request: get("/api/v1/query_range", [("query", "vector(1)"), ("start", "0"), ("end", "1e300"), ("step", "1")]), status: 400),
            Case(name: "query_range end before start", request: get("/api/v1/query_range", [("query", "up"), ("start", "60"), ("end", "0"), ("step", "1")]), status: 400),
            Case(name: "query_range over 11,000 points", request: get("/api/v1/query_range", [("query", "up"), ("start", "0"), ("end", "11001"), ("step", "1")]), status: 400),
            Case(name: "query_range beyond the engine's time range", request: get("/api/v1/query_range", [("query", "vector(1)"), ("start", "9000000000000000"), ("end", "9000000000000060"), ("step", "15")]), status: 400),
            Case(name: "series limit=-1", request: get("/api/v1/series", [("match[]", "up"), ("limit", "-1")]), status: 400),
            Case(name: "series limit=Int64 max", request: get("/api/v1/series", [("match[]", "up"), ("limit", "9223372036854775807")]), status: 200),
            Case(name: "query limit=1e300", request: get("/api/v1/query", [("query", "up"), ("limit", "1e300")]), status: 400),
            Case(name: "series without match[]", request: get("/api/v1/series", []), status: 400),
            Case(name: "series match[] not a selector", request: get("/api/v1/series", [("match[]", "sum(up)")]), status: 400),
            Case(name: "series match[] matching everything empty", request: get("/api/v1/series", [("match[]", "{job=~\".*\"}")]), status: 400),
            Case(name: "query timeout=-1s is not a duration", request: get("/api/v1/query", [("query", "up"), ("timeout", "-1s")]), status: 400),
            Case(name: "query timeout=-1 expires at once", request: get("/api/v1/query", [("query", "up"), ("timeout", "-1")]), status: 503),
            Case(name: "empty time is now", request: get("/api/v1/query", [("query", "up"), ("time", "")]), status: 200),
            // Queries.
            Case(name: "no query", request: get("/api/v1/query", []), status: 400),
            Case(name: "subquery step 0s", request: get("/api/v1/query", [("query", "vector(1)[1m:0s]")]), status: 400),
            Case(name: "subquery step 0", request: get("/api/v1/query", [("query", "vector(1)[1m:0]")]), status: 400),
            Case(name: "range 0s", request: get("/api/v1/query", [("query", "rate(up[0s])")]), status: 400),
            Case(name: "range of 300 years", request: get("/api/v1/query", [("query", "up[300y]")]), status: 400),
            Case(name: "subquery of 290 years at 1 ms", request: get("/api/v1/query", [("query", "max_over_time(vector(1)[290y:1ms])")]), status: 422),
            Case(name: "@ +Inf", request: get("/api/v1/query", [("query", "up @ +Inf")]), status: 400),
            Case(name: "@ 1e300", request: get("/api/v1/query", [("query", "up @ 1e300")]), status: 400),
            Case(name: "@ at the edge with a 292-year offset", request: get("/api/v1/query", [("query", "up @ 9.2e15 offset -292y")]), status: 200),
            Case(name: "offset 1e300", request: get("/api/v1/query", [("query", "up offset 1e300")]), status: 400),
            Case(name: "number out of range", request: get("/api/v1/query", [("query", "1e400")]), status: 400),
            Case(name: "topk with k=1e300", request: get("/api/v1/query", [("query", "topk(1e300, up)")]), status: 422),
            Case(name: "topk with k=NaN", request: get("/api/v1/query", [("query", "topk(NaN, up)")]), status: 422),
            Case(name: "quantile of +Inf", request: get("/api/v1/query", [("query", "quantile(Inf, up)")]), status: 200),
            Case(name: "label_replace with a bad regex", request: get("/api/v1/query", [("query", "label_replace(up, \"a\", \"$1\", \"job\", \"(\")")]), status: 422),
            Case(name: "label name that is not valid UTF-8", request: RawHTTP.request("GET", "/api/v1/query?query=up%7B%FF%3D%22a%22%7D"), status: 400),
            Case(name: "NUL in a query", request: RawHTTP.request("GET", "/api/v1/query?query=up%00"), status: 400),
            Case(name: "nesting 100,000 parentheses deep", request: post("/api/v1/query", [("query", String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000))]), status: 400),
            Case(name: "nesting 100,000 function calls deep", request: post("/api/v1/query", [("query", String(repeating: "abs(", count: 100_000) + "up" + String(repeating: ")", count: 100_000))]), status: 400),
            Case(name: "100,000 unary minus", request: post("/api/v1/query", [("query", String(repeating: "-", count: 100_000) + "1")]), status: 400),
            Case(name: "100,000 nested subqueries", request: post("/api/v1/query", [("query", "up" + String(repeating: "[1m:]", count: 100_000))]), status: 400),
            Case(name: "20,000-term binary chain", request: post("/api/v1/query", [("query", Array(repeating: "up", count: 20_000).joined(separator: " + "))]), status: 400),
            Case(name: "20,000-term or chain", request: post("/api/v1/query", [("query", Array(repeating: "up", count: 20_000).joined(separator: " or "))]), status: 400),
            Case(name: "nesting at the limit still works", request: post("/api/v1/query", [("query", String(repeating: "(", count: 499) + "1" + String(repeating: ")", count: 499))]), status: 200),
            Case(name: "20,000 matchers", request: post("/api/v1/query", [("query", "up{" + (0..<20_000).map { "l\($0)!=\"x\"" }.joined(separator: ",") + "}")]), status: 200),
            Case(name: "20,000 match[] selectors", request: post("/api/v1/series", (0..<20_000).map { ("match[]", "up{i=\"\($0)\"}") }), status: 200),
            Case(name: "regex (a|aa)*b", request: get("/api/v1/query", [("query", "up{job=~\"(a|aa)*b\"}")]), status: 200),
            Case(name: "regex ((a*)*)*", request: get("/api/v1/query", [("query", "up{job=~\"((((a*)*)*)*)*b\"}")]), status: 200),
            Case(name: "regex with a repeat of 1001", request: get("/api/v1/query", [("query", "up{job=~\"a{1001}\"}")]), status: 400),
            Case(name: "regex a{1000}{1000}", request: get("/api/v1/query", [("query", "up{job=~\"(a{1000}){1000}\"}")]), status: 400),
            Case(name: "regex of 100,000 alternatives", request: post("/api/v1/query", [("query", "up{job=~\"" + (0..<100_000).map { "v\($0)" }.joined(separator: "|") + "\"}")]), status: 200),
            Case(name: "regex nested 100,000 groups deep", request: post("/api/v1/query", [("query", "up{job=~\"" + String(repeating: "(", count: 100_000) + "a" + String(repeating: ")", count: 100_000) + "\"}")]), status: 400),
            Case(name: "regex with unbalanced parentheses", request: get("/api/v1/query", [("query", "up{job=~\"(((\"}")]), status: 400),
            Case(name: "format_query nested 100,000 deep", request: post("/api/v1/format_query", [("query", String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000))]), status: 400),
            Case(name: "parse_query chain of 20,000", request: post("/api/v1/parse_query", [("query", Array(repeating: "1", count: 20_000).joined(separator: "+"))]), status: 400),
            // HTTP itself.
            Case(name: "2 MiB header", request: RawHTTP.request("GET", "/-/ready", headers: [("X-Big", String(repeating: "a", count: 2 << 20))]), status: 431),
            Case(name: "2 MiB URL", request: RawHTTP.request("GET", "/api/v1/query?query=" + String(repeating: "a", count: 2 << 20)), status: 431),
            Case(name: "100,000 headers", request: RawHTTP.request("GET", "/-/ready", headers: (0..<100_000).map { ("X-\($0)", "v") }), status: 431),
            Case(name: "11 MiB form body", request: RawHTTP.request("POST", "/api/v1/query", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(("query=up&x=" + String(repeating: "a", count: 11 << 20)).utf8)), status: 413),
            Case(name: "remote write claiming 100 MiB", request: Array("POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\nContent-Encoding: snappy\r\n\r\n".utf8), status: 413),
            Case(name: "chunked body past the limit", request: Array("POST /api/v1/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n".utf8) + (0..<11).flatMap { _ in Array("100000\r\n".utf8) + [UInt8](repeating: 0x61, count: 1 << 20) + Array("\r\n".utf8) } + Array("0\r\n\r\n".utf8), status: 413),
            Case(name: "malformed request line", request: Array("GARBAGE\r\n\r\n".utf8), status: 400),
            Case(name: "bad chunk size", request: Array("POST /api/v1/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8), status: 400),
            Case(name: "NUL in a header", request: Array("GET /-/ready HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n".utf8), status: 400),
            Case(name: "unknown path", request: RawHTTP.request("GET", "/api/v1/nothing"), status: 404),
            Case(name: "method not allowed", request: RawHTTP.request("DELETE", "/api/v1/query?query=up"), status: 405),
            // Remote write and read bodies.
            Case(name: "remote write gzip", request: remoteWrite([1, 2, 3], encoding: "gzip"), status: 415),
            Case(name: "remote write not snappy", request: remoteWrite([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), status: 400),
            Case(name: "remote write snappy bomb (4 GiB claimed)", request: remoteWrite([0x80, 0x80, 0x80, 0x80, 0x10, 0x00]), status: 400),
            Case(name: "remote write protobuf garbage", request: remoteWrite(Snappy.encode([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]))
                 , status: 400),
            Case(name: "remote write without a metric name", request: remoteWrite(Snappy.encode(WriteRequestEncoder.v1([(Labels(["job": "x"]), [Sample(1000, 1)])]))), status: 400),
            Case(name: "remote write sample at Int64 min", request: remoteWrite(Snappy.encode(WriteRequestEncoder.v1([(Labels(["__name__": "x"]), [Sample(Int64.min, 1)])]))), status: 400),
            Case(name: "remote read garbage", request: RawHTTP.request("POST", "/api/v1/read", headers: [("Content-Encoding", "snappy")], body: Snappy.encode([0x0A, 0x05, 0xFF])), status: 400),
            Case(name: "remote read with a bad regex", request: RawHTTP.request("POST", "/api/v1/read", headers: [("Content-Encoding", "snappy")], body: Snappy.encode({
                var r = ReadRequest()
                var q = ReadQuery()
                q.startMs = Int64.min
                q.endMs = Int64.max
                q.matchers = [(.regexMatch, "__name__", "(")]
                r.queries = [q]
                return r.encode()
            }())), status: 400),
            Case(name: "remote read of all time", request: RawHTTP.request("POST", "/api/v1/read", headers: [("Content-Encoding", "snappy")], body: Snappy.encode({
                var r = ReadRequest()
                var q = ReadQuery()
                q.startMs = Int64.min
                q.endMs = Int64.max
                q.matchers = [(.equal, "__name__", "up")]
                r.queries = [q]
                return r.encode()
            }())), status: 200),
            Case(name: "federate with a bad selector", request: get("/federate", [("match[]", "up{")]), status: 400),
            Case(name: "admin API disabled", request: RawHTTP.request("POST", "/api/v1/admin/tsdb/delete_series?match[]=up"), status: 503),
        ]
        return out
    }

    @Test func everyHostileRequestIsAnsweredAndTheServerKeepsServing() async throws {
        guard let hearth = BuiltProducts.executable("hearth") else { throw ChildError("hearth not built") }
        let tmp = TemporaryDirectory("hearth-hostile")
        let port = freeLocalPort()
        let server = try ChildProcess(hearth, ["server", "--storage.tsdb.path=\(tmp.path)/data", "--web.listen-address=127.0.0.1:\(port)",
                                               "--web.max-connections=64", "--query.max-samples=1000000", "--log.level=error"])
        defer { _ = server.kill(SIGKILL) }
        #expect(await Peers.waitForHTTP("http://127.0.0.1:\(port)/-/ready"))
        // A little data, so that queries and reads find something.
        let series = (0..<5).map { i in (Labels(["__name__": "up", "job": "j\(i)"]), (0..<20).map { Sample(Int64($0) * 15_000, 1) }) }
        let status = try await Peers.remoteWrite("http://127.0.0.1:\(port)/api/v1/write", series)
        #expect(status == 204)

        let cases = Self.cases
        #expect(cases.filter { (400..<500).contains($0.status) }.count >= 100)
        for c in cases {
            let response = try await Self.exchange(port, c.request)
            #expect(response?.status == c.status, "\(c.name): got \(response.map { "\($0.status) \($0.body.prefix(200))" } ?? "no response")")
            let ready = try await Self.exchange(port, RawHTTP.request("GET", "/-/ready"))
            try #require(ready?.status == 200, "the server stopped serving after \(c.name)")
        }
        print("hostile requests: \(cases.count) answered as expected (\(cases.filter { (400..<500).contains($0.status) }.count) with a 4xx), the server served after each")

        // Queries stopped by --query.max-samples part way release what they held: twenty of
        // them, each holding about 10 MB when stopped, leave the server's memory where one left it.
        let heavy = Self.get("/api/v1/query", [("query", "max_over_time(vector(1)[600s:1ms]) + max_over_time(vector(2)[600s:1ms])")])
        #expect(try await Self.exchange(port, heavy)?.status == 422)
        let before = Self.residentKilobytes(server.pid)
        for _ in 0..<20 {
            let r = try await Self.exchange(port, heavy)
            #expect(r?.status == 422 && r?.body.contains("query processing would load too many samples") == true)
        }
        let after = Self.residentKilobytes(server.pid)
        print("resident memory around 20 queries stopped by --query.max-samples: \(before / 1024) MB before, \(after / 1024) MB after")
        #expect(after < before + 50 * 1024, "memory grew from \(before) kB to \(after) kB")

        // Past --web.max-connections: the extra connection gets a 503, and service comes back once
        // they close. (The previous exchanges' connections may take a moment to be counted as
        // closed, so the 503 may come one connection early.)
        let held = try await onOwnThread { () -> [Int32] in
            var held: [Int32] = []
            while held.count < 65, let fd = Self.openServedConnection(port) { held.append(fd) }
            return held
        }
        #expect(held.count == 64 || held.count == 63, "\(held.count) connections held open before the 503")
        let refused = try await Self.exchange(port, RawHTTP.request("GET", "/-/ready"))
        #expect(refused?.status == 503)
        #expect(refused?.body == "too many open connections (limit 64)\n")
        for fd in held { close(fd) }
        var served = false
        for _ in 0..<100 where !served {
            served = try await Self.exchange(port, RawHTTP.request("GET", "/-/ready"))?.status == 200
            if !served { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(served)
        nonisolated(unsafe) let child = server
        #expect(try await onOwnThread { child.kill(SIGTERM) } == 0)
    }

    /// One exchange on its own thread: the socket calls block, and a blocked cooperative thread
    /// (there are two on CI's machine) stalls every other test running meanwhile.
    static func exchange(_ port: Int, _ request: [UInt8]) async throws -> RawHTTP.Response? {
        try await onOwnThread { RawHTTP.exchange(port: port, request) }
    }

    /// A keep-alive connection that has had one request answered, so the server has taken it.
    static func openServedConnection(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).hasSuffix("Ready.\n") {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                close(fd)
                return nil
            }
            received += buffer[0..<n]
        }
        return fd
    }

    static func residentKilobytes(_ pid: pid_t) -> Int {
        guard let f = fopen("/proc/\(pid)/status", "r") else { return 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmRSS:") { return Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0 }
        }
        return 0
    }
}
