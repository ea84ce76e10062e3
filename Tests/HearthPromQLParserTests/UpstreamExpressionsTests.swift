import Foundation
import HearthPromQLParser
import Testing

/// Every query of the upstream corpus's stable files that the corpus does not expect to fail
/// must parse, and its canonical form must parse to the same tree. Skipped without ../shared.
@Suite struct UpstreamExpressionsTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/promql-tests")
    static let stableFiles = ["aggregators", "at_modifier", "collision", "functions", "literals", "operators",
                              "range_queries", "selectors", "staleness", "subquery", "trig_functions",
                              "name_label_dropping", "histograms"]

    /// (file, line, query, expected to fail) of each `eval` in a file.
    static func queries(_ file: String) -> [(String, Int, String, Bool)] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent(file + ".test"), encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [(String, Int, String, Bool)] = []
        for (n, line) in lines.enumerated() {
            let l = line.trimmingCharacters(in: .whitespaces)
            guard l.hasPrefix("eval") else { continue }
            // eval[_fail|_warn|_info|_ordered] instant|range at ... [start..end step]? QUERY
            var words = l.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let failsByKeyword = words[0] == "eval_fail"
            words.removeFirst()
            guard let kind = words.first else { continue }
            words.removeFirst()
            if kind == "instant" {
                guard words.first == "at" else { continue }
                words.removeFirst(2)
            } else if kind == "range" {
                guard words.first == "from" else { continue }
                words.removeFirst(6)  // from X to Y step Z
            }
            let query = words.joined(separator: " ")
            // A following "expect fail" line also marks failure.
            let nextLines = lines[(n + 1)...].prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            let failsByExpect = nextLines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("expect fail") }
            out.append((file, n + 1, query, failsByKeyword || failsByExpect))
        }
        return out
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: directory.path),
                   "../shared/promql-tests is absent; skipping the upstream expressions"))
    func stableCorpusExpressionsParse() {
        var total = 0
        var failures: [String] = []
        for file in Self.stableFiles {
            for (f, line, query, fails) in Self.queries(file) where !fails {
                total += 1
                do {
                    let e = try Parser.parse(query, experimentalFunctions: true)
                    let again = try Parser.parse(e.description, experimentalFunctions: true)
                    if again != e { failures.append("\(f).test:\(line): \(query) reprints as \(e)") }
                } catch {
                    failures.append("\(f).test:\(line): \(query): \(error.describe(in: query))")
                }
            }
        }
        print("upstream stable expressions parsed: \(total - failures.count)/\(total)")
        #expect(total > 1000)
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(40).joined(separator: "\n"))")
    }
}
