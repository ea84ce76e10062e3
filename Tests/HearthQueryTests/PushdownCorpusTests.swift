import Dispatch
import Foundation
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthPromQLTesting
import HearthQuery
import HearthStorage
import HearthTestSupport
import Logging
import Synchronization
import Testing

/// Every query of the upstream PromQL corpus (`../shared/promql-tests`) that
/// ``Pushdown/plan(_:endpoints:hidden:)`` hands to an endpoint must get the answer the
/// fan-out gives: the data is served by an in-process Hearth API with external labels, the
/// fan-out reads it over remote read (which attaches them), the plan's query goes to the
/// endpoint's query API (where the stored series lack them).
@Suite struct PushdownCorpusTests {
    static let external = Labels(["cluster": "corpus", "zone": "a$1"])

    @Test(.enabled(if: FileManager.default.fileExists(atPath: RemoteSeamCorpusTests.upstream.path),
                   "../shared/promql-tests is absent; skipping the PromQL corpus through pushdown"))
    func pushedDownQueriesAnswerAsTheFanOutDoes() async throws {
        let served = RemoteSeamCorpusTests.Served()
        var context = APIContext(querier: { _ in served.storage.withLock { $0 } }, engine: Engine(options: ScriptRunner.testEngineOptions()))
        context.externalLabels = { Self.external }
        let server = HTTPServer(host: "127.0.0.1", port: 0, responder: API(context: context), threads: 1, logger: Logger(label: "test"))
        let port = try await server.start()
        let client = HTTPClient()
        let endpoint = try Endpoint("127.0.0.1:\(port)")
        let fanout = FanoutQuerier(endpoints: [endpoint], client: client, options: FanoutOptions())
        let files = ((try? FileManager.default.contentsOfDirectory(at: RemoteSeamCorpusTests.upstream, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "test" }.sorted { $0.lastPathComponent < $1.lastPathComponent }

        struct Tally {
            var evaluations = 0, planned = 0, answered = 0
            var differing: [String] = []
        }
        let tally = Mutex(Tally())
        try await onOwnThread { () throws in
            var runner = ScriptRunner(engine: Engine(options: ScriptRunner.testEngineOptions()))
            runner.reader = { storage in
                served.storage.withLock { $0 = storage }
                return fanout
            }
            runner.observe = { expr, start, end, step, storage, result in
                guard storage.histogramSeries.isEmpty else { return }
                tally.withLock { $0.evaluations += 1 }
                guard let plan = Pushdown.plan(expr, endpoints: [(endpoint.address, Self.external)], hidden: []) else { return }
                tally.withLock { $0.planned += 1 }
                let answer = Self.blocking {
                    await Pushdown.send(plan, endpoint: endpoint, start: start, end: end, step: step == 0 ? nil : step,
                                        timeoutMs: 30_000, maxResponseBytes: 64 << 20, client: client)
                }
                let expected = try? result.get()
                guard let answer else {
                    // The endpoint refused it: only right where the engine here fails too.
                    if expected != nil { tally.withLock { $0.differing.append("\(expr): refused by the endpoint, answered here") } }
                    return
                }
                tally.withLock { $0.answered += 1 }
                guard let expected else {
                    tally.withLock { $0.differing.append("\(expr): answered by the endpoint, fails here") }
                    return
                }
                let got = Self.points(ofAnswer: answer), want = Self.points(of: expected.value)
                if got != want {
                    tally.withLock { $0.differing.append("\(expr) [\(start), \(end), \(step)] → \(plan.query): got \(got.prefix(3)), want \(want.prefix(3))") }
                }
            }
            for url in files {
                guard let script = try? ScriptParser.parse(String(contentsOf: url, encoding: .utf8), file: url.lastPathComponent) else { continue }
                _ = runner.run(script)
            }
        }
        await client.shutdown()
        await server.shutdown()
        let t = tally.withLock { $0 }
        print("promql corpus through pushdown: \(t.planned) of \(t.evaluations) evaluations planned, \(t.answered) answered by the endpoint, \(t.differing.count) differing")
        #expect(t.planned > 1000)
        #expect(t.differing.isEmpty, "\(t.differing.prefix(20))")
    }

    /// A sample of an answer: labels, time (ms) and value, comparable across the two answers.
    struct Point: Hashable, Comparable, CustomStringConvertible {
        var labels: String
        var t: Int64
        var value: String

        static func < (a: Point, b: Point) -> Bool { (a.labels, a.t, a.value) < (b.labels, b.t, b.value) }
        var description: String { "\(labels)@\(t)=\(value)" }
    }

    static func canonical(_ v: Double) -> String { v.isNaN ? "NaN" : "\(v)" }

    static func points(of value: QueryValue) -> [Point] {
        switch value {
        case .scalar(let t, let f): return [Point(labels: "", t: t, value: canonical(f))]
        case .string(let t, let s): return [Point(labels: "string", t: t, value: s)]
        case .vector(let v): return v.map { Point(labels: $0.labels.description, t: $0.t, value: canonical($0.f)) }.sorted()
        case .matrix(let m):
            return m.flatMap { s in s.floats.map { Point(labels: s.labels.description, t: $0.t, value: canonical($0.f)) } }.sorted()
        }
    }

    static func points(ofAnswer body: [UInt8]) -> [Point] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let data = object["data"] as? [String: Any], let type = data["resultType"] as? String else { return [] }
        func point(_ labels: String, _ pair: Any?) -> Point? {
            guard let pair = pair as? [Any], pair.count == 2, let t = pair[0] as? Double, let v = pair[1] as? String else { return nil }
            let value = type == "string" ? v : canonical(Double(v) ?? .nan)
            return Point(labels: labels, t: Int64((t * 1000).rounded()), value: value)
        }
        func labels(_ m: Any?) -> String { Labels((m as? [String: String]) ?? [:]).description }
        switch type {
        case "scalar": return point("", data["result"]).map { [$0] } ?? []
        case "string": return point("string", data["result"]).map { [$0] } ?? []
        case "vector":
            return ((data["result"] as? [[String: Any]]) ?? []).compactMap { point(labels($0["metric"]), $0["value"]) }.sorted()
        default:
            return ((data["result"] as? [[String: Any]]) ?? []).flatMap { s in
                ((s["values"] as? [Any]) ?? []).compactMap { point(labels(s["metric"]), $0) }
            }.sorted()
        }
    }

    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let box = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await body()
            box.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }
}
