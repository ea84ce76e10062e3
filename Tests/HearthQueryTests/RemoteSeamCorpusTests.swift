import Foundation
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthPromQL
import HearthPromQLTesting
import HearthQuery
import HearthStorage
import HearthTestSupport
import Logging
import Synchronization
import Testing

/// The upstream PromQL corpus (`../shared/promql-tests`) evaluated twice: over the loaded data
/// directly, and through the remote seam (the data served by Hearth's HTTP API and remote-read
/// handler on a loopback port, read back by `hearth query`'s fan-out). Every case must fare the
/// same both ways.
@Suite struct RemoteSeamCorpusTests {
    static let upstream = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/promql-tests")

    /// The storage the in-process server serves: the script's current one.
    final class Served: Sendable {
        let storage = Mutex(MemoryStorage())
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: upstream.path),
                   "../shared/promql-tests is absent; skipping the PromQL corpus through the remote seam"))
    func upstreamCorpusFaresTheSameThroughRemoteRead() async throws {
        let served = Served()
        let context = APIContext(querier: { _ in served.storage.withLock { $0 } }, engine: Engine())
        let server = HTTPServer(host: "127.0.0.1", port: 0, responder: API(context: context), threads: 1, logger: Logger(label: "test"))
        let port = try await server.start()
        let client = HTTPClient()
        let fanout = FanoutQuerier(endpoints: [try Endpoint("127.0.0.1:\(port)")], client: client, options: FanoutOptions())
        let files = ((try? FileManager.default.contentsOfDirectory(at: Self.upstream, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "test" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        let outcome = try await onOwnThread { () throws -> (local: Int, remote: Int, total: Int, differing: [String]) in
            let local = ScriptRunner(engine: Engine(options: ScriptRunner.testEngineOptions()))
            var remote = local
            remote.reader = { storage in
                served.storage.withLock { $0 = storage }
                return fanout
            }
            var passedLocally = 0, passedRemotely = 0, total = 0
            var differing: [String] = []
            for url in files {
                guard let script = try? ScriptParser.parse(String(contentsOf: url, encoding: .utf8), file: url.lastPathComponent) else { continue }
                let here = local.run(script), there = remote.run(script)
                passedLocally += here.passed
                passedRemotely += there.passed
                total += here.total
                let failedHere = Set(here.failures.map(\.line)), failedThere = Set(there.failures.map(\.line))
                for line in failedHere.symmetricDifference(failedThere).sorted() {
                    let failure = (there.failures + here.failures).first { $0.line == line }
                    differing.append("\(url.lastPathComponent):\(line) \(failedThere.contains(line) ? "fails only remotely" : "fails only locally"): \(failure?.message ?? "")")
                }
            }
            return (passedLocally, passedRemotely, total, differing)
        }
        await client.shutdown()
        await server.shutdown()
        print("promql corpus: \(outcome.local)/\(outcome.total) cases pass locally, \(outcome.remote)/\(outcome.total) through remote read")
        #expect(outcome.total > 1000)
        #expect(outcome.differing.isEmpty, "\(outcome.differing.prefix(20))")
    }
}
