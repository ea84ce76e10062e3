import Foundation
import HearthFuzzTargets
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

    @Test(arguments: FuzzTargets.all.map(\.name))
    func regressionsStayFixed(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        for file in Self.inputs("regressions", name) {
            target(Array(try Data(contentsOf: file)))
        }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func seedCorpusRuns(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = Self.inputs("corpus", name)
        #expect(!seeds.isEmpty, "Fuzz/corpus/\(name) has no seeds")
        for file in seeds { target(Array(try Data(contentsOf: file))) }
    }
}
