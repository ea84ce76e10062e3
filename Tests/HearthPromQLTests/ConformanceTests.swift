import Foundation
import HearthPromQL
import HearthPromQLTesting
import Testing

/// Runs PromQL test scripts: the project's own (`testdata/*.test`, which must all pass) and, when
/// `../shared/promql-tests` is present, Prometheus's corpus, printing a pass count per file.
@Suite struct ConformanceTests {
    static let upstream = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/promql-tests")
    static let ours = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("testdata")

    /// The upstream files Prometheus 3 considers stable: every case that does not read native
    /// histograms (not stored yet) must pass, classic histograms in `histograms.test` included.
    static let stableFiles: Set<String> = [
        "aggregators", "at_modifier", "collision", "functions", "literals", "operators", "range_queries",
        "selectors", "staleness", "subquery", "trig_functions", "name_label_dropping", "histograms",
    ]

    /// Cases of the stable files where Hearth deliberately differs, with the reason.
    static let knownDivergences: [String: String] = [
        "aggregators.test:481": "string literals must be valid UTF-8 (a Swift String); Prometheus accepts the bytes and fails at evaluation",
    ]

    static func run(_ url: URL) throws -> ScriptReport {
        let text = try String(contentsOf: url, encoding: .utf8)
        let name = url.lastPathComponent
        let runner = ScriptRunner(engine: Engine(options: ScriptRunner.testEngineOptions()))
        do {
            return runner.run(try ScriptParser.parse(text, file: name))
        } catch {
            var report = ScriptReport(file: name)
            report.total = text.split(separator: "\n").filter { $0.hasPrefix("eval") }.count
            report.failures = [ScriptReport.Failure(line: error.line, query: "", message: "script does not parse: \(error.message)")]
            return report
        }
    }

    static func files(in directory: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "test" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func ownScripts() throws {
        let files = Self.files(in: Self.ours)
        #expect(!files.isEmpty)
        for url in files {
            let report = try Self.run(url)
            print("testdata/\(report.file): \(report.passed)/\(report.total)")
            for f in report.failures { Issue.record("testdata/\(report.file) \(f)") }
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: upstream.path),
                   "../shared/promql-tests is absent; skipping the upstream PromQL corpus"))
    func upstreamCorpus() throws {
        var passed = 0, total = 0
        for url in Self.files(in: Self.upstream) {
            let report = try Self.run(url)
            passed += report.passed
            total += report.total
            let histogramCases = report.failures.filter(\.readsNativeHistograms).count
            print("\(report.file): \(report.passed)/\(report.total)"
                  + (histogramCases > 0 ? " (\(histogramCases) failing cases read native histograms)" : ""))
            let stem = url.deletingPathExtension().lastPathComponent
            let verbose = ProcessInfo.processInfo.environment["HEARTH_PROMQL_VERBOSE"] != nil
            for f in report.failures {
                if verbose { print("  \(f)") }
                // Stable files: every case that does not read native histograms must pass.
                if Self.stableFiles.contains(stem) && !f.readsNativeHistograms
                    && Self.knownDivergences["\(report.file):\(f.line)"] == nil {
                    Issue.record("\(report.file) \(f)")
                }
            }
        }
        print("promql conformance: \(passed)/\(total) cases passed")
    }
}
