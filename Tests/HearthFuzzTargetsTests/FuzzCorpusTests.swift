import Foundation
import HearthFuzzTargets
import HearthTestSupport
import Testing

/// Every fuzz target over its seed corpus (`Fuzz/corpus/<target>/`) and over every input that
/// ever crashed it (`Fuzz/regressions/<target>/`): the crashes the fuzzers found stay fixed,
/// and each target still runs, in the normal test suite and without libFuzzer.
@Suite struct FuzzCorpusTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: String) -> [URL] {
        let dir = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { dir.appendingPathComponent($0) }
    }

    /// Targets run as libFuzzer runs them: on a thread of their own, which may block (the HTTP
    /// target waits for the API's task), never on the tests' cooperative threads.
    static func run(_ target: FuzzTarget, _ files: [URL]) async throws {
        let inputs = try files.map { Array(try Data(contentsOf: $0)) }
        try await onOwnThread { for input in inputs { target(input) } }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func regressionsStayFixed(_ name: String) async throws {
        let target = try #require(FuzzTargets.named(name))
        try await Self.run(target, Self.inputs("regressions", name))
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func seedCorpusRuns(_ name: String) async throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = Self.inputs("corpus", name)
        #expect(!seeds.isEmpty, "Fuzz/corpus/\(name) has no seeds")
        try await Self.run(target, seeds)
    }
}
