import Dispatch
import Glibc
import HearthHTTPAPI
import HearthModel
import Logging
import HearthPromQL
import HearthRemoteProtocol
import HearthSnappy
import HearthTSDB
import NIOCore
import NIOHTTP1

/// The HTTP API in process: requests generated from the input (every endpoint, its
/// parameters at their edges, remote write and read bodies), answered by the same `API` the
/// server runs, over a real database in a temporary directory. Any status is fine; a trap,
/// a hang or a 5xx other than a refused WAL write is not.
enum HTTPTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget("http-api", "every HTTP API endpoint with generated parameters and bodies, over a real database") { bytes in
            var generator = RequestGenerator(FuzzInput(bytes))
            let request = generator.request()
            FuzzTargets.trace("\(request.method) \(request.uri) \(request.body.readableBytes) bytes")
            let response = Fixture.shared.respond(request)
            if response.status.code >= 500 && response.status != .serviceUnavailable {
                fatalError("\(request.method) \(request.uri) answered \(response.status)")
            }
        },
    ]

    /// A database and the API over it, replaced now and then so that written data stays small.
    final class Fixture: @unchecked Sendable {
        static let shared = Fixture()
        private var db: DB?
        private var api: API?
        private var directory = ""
        private var uses = 0

        func respond(_ request: HTTPRequest) -> HTTPResponse {
            if api == nil || uses >= 2000 { reopen() }
            uses += 1
            let api = self.api!
            let box = ResponseBox()
            let done = DispatchSemaphore(value: 0)
            Task {
                box.response = await api.respond(to: request)
                done.signal()
            }
            done.wait()
            return box.response!
        }

        private func reopen() {
            try? db?.close()
            if !directory.isEmpty { _ = Glibc.system("rm -rf '\(directory)'") }
            var template = Array("/tmp/hearth-fuzz-XXXXXX".utf8CString)
            directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
            var options = DB.Options(path: directory)
            options.head.stripeCount = 16
            db = try! DB(options: options, logger: FuzzTargets.silent)
            var engineOptions = EngineOptions()
            engineOptions.maxSamples = 1_000_000
            engineOptions.timeout = .seconds(2)
            engineOptions.parallelism = 1
            var context = APIContext(db: db!, engine: Engine(options: engineOptions))
            context.enableAdminAPI = true
            api = API(context: context)
            uses = 0
            // A little data for the queries to find.
            let appender = db!.appender()
            for i in 0..<100 {
                _ = try? appender.append(0, Labels(["__name__": "up", "job": "a"]), Int64(i) * 15_000, 1)
            }
            try? appender.commit()
        }
    }

    final class ResponseBox: @unchecked Sendable { var response: HTTPResponse? }
}

/// Builds an HTTP request from fuzz input choices.
struct RequestGenerator {
    var input: FuzzInput

    init(_ input: FuzzInput) { self.input = input }

    static let paths = ["/api/v1/query", "/api/v1/query_range", "/api/v1/series", "/api/v1/labels", "/api/v1/label/job/values",
                        "/api/v1/metadata", "/api/v1/query_exemplars", "/api/v1/format_query", "/api/v1/parse_query",
                        "/api/v1/status/tsdb", "/api/v1/targets", "/api/v1/rules", "/api/v1/alerts", "/api/v1/write", "/api/v1/read",
                        "/federate", "/api/v1/admin/tsdb/delete_series", "/api/v1/admin/tsdb/clean_tombstones",
                        "/api/v1/status/buildinfo", "/api/v1/status/flags", "/metrics", "/-/ready", "/api/v1/label/", "/api/v1/"]
    static let names = ["query", "time", "start", "end", "step", "timeout", "match[]", "limit", "lookback_delta", "stats",
                        "metric", "state", "scrapePool", "type", "rule_name[]", "file[]", "group_limit", "exclude_alerts"]
    static let values = ["", "0", "1", "-1", "1.5", "NaN", "Inf", "-Inf", "+Inf", "1e300", "-1e300", "9223372036854775807",
                         "-9223372036854775808", "9223372036854775808", "1e18", "9.2e15", "2006-01-02T15:04:05Z",
                         "9999-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00Z", "2006-13-45T99:99:99Z", "1m", "1h30m", "292y",
                         "300y", "0s", "1ms", "up", "up[5m]", "{job=\"a\"}", "{__name__=~\".*\"}", "rate(up[1m])", "up{", "x[1m:0s]",
                         "vector(1)[1m:1ms]", "sum(", "\u{0}", "%", "%zz", "a%20b", "10000000000000000000000000000"]

    mutating func request() -> HTTPRequest {
        var path = input.pick(Self.paths)
        if path == "/api/v1/label/" { path += String(decoding: input.bytes(maxLength: 8), as: UTF8.self) + "/values" }
        let post = input.int(3) == 0
        switch path {
        case "/api/v1/write": return write()
        case "/api/v1/read": return read()
        default: break
        }
        var pairs: [(String, String)] = []
        for _ in 0..<input.int(6) {
            let name = input.int(8) == 0 ? String(decoding: input.bytes(maxLength: 6), as: UTF8.self) : input.pick(Self.names)
            var value: String
            switch input.int(4) {
            case 0: value = String(decoding: input.bytes(maxLength: 24), as: UTF8.self)
            case 1:
                var generator = QueryGenerator(input)
                value = generator.query()
                input = generator.input
            default: value = input.pick(Self.values)
            }
            pairs.append((name, value))
        }
        let form = pairs.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        if post {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            return HTTPRequest(method: .POST, uri: path, headers: headers, body: ByteBuffer(bytes: Array(form.utf8)))
        }
        return HTTPRequest(method: .GET, uri: form.isEmpty ? path : path + "?" + form)
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b >> 4, radix: 16) + String(b & 15, radix: 16)
            }
        }
        return out
    }

    static let timestamps: [Int64] = [0, 1, -1, 1_000, 15_000, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1, 1 << 62, -(1 << 62)]
    static let floats: [Double] = [0, 1, -1, .nan, .infinity, -.infinity, 1e308, Double(bitPattern: StaleMarker.bitPattern)]

    mutating func write() -> HTTPRequest {
        var body: [UInt8]
        if input.bool() {
            var series: [(Labels, [Sample])] = []
            for _ in 0..<input.int(4) {
                var dictionary = ["__name__": input.pick(["up", "x", "", "a b", "\u{FFFD}"])]
                for _ in 0..<input.int(3) { dictionary[input.pick(["job", "le", "__x", "", "1a"])] = input.pick(["a", "", "\u{0}"]) }
                let samples = (0..<input.int(4)).map { _ in Sample(input.pick(Self.timestamps), input.pick(Self.floats)) }
                series.append((Labels(dictionary), samples))
            }
            body = WriteRequestEncoder.v1(series)
        } else {
            body = input.rest()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Encoding", value: input.int(8) == 0 ? "gzip" : "snappy")
        headers.add(name: "Content-Type", value: input.bool() ? "application/x-protobuf"
                    : "application/x-protobuf;proto=io.prometheus.write.v2.Request")
        let compressed = input.int(8) == 0 ? body : Snappy.encode(body)
        return HTTPRequest(method: .POST, uri: "/api/v1/write", headers: headers, body: ByteBuffer(bytes: compressed))
    }

    mutating func read() -> HTTPRequest {
        var body: [UInt8]
        if input.bool() {
            var request = ReadRequest()
            for _ in 0..<input.int(3) {
                var q = ReadQuery()
                q.startMs = input.pick(Self.timestamps)
                q.endMs = input.pick(Self.timestamps)
                q.matchers = [(input.pick([.equal, .notEqual, .regexMatch, .regexNoMatch]), input.pick(["__name__", "job", ""]),
                               input.pick(["up", ".*", "", "(", "a|b"]))]
                request.queries.append(q)
            }
            request.acceptedResponseTypes = input.bool() ? [.streamedXORChunks] : [.samples]
            body = request.encode()
        } else {
            body = input.rest()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Encoding", value: "snappy")
        return HTTPRequest(method: .POST, uri: "/api/v1/read", headers: headers, body: ByteBuffer(bytes: Snappy.encode(body)))
    }
}
