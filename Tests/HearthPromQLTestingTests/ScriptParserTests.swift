import Foundation
import HearthModel
import HearthPromQLTesting
import Testing

@Suite struct ScriptParserTests {
    @Test func loadAndEvalBlocks() throws {
        let script = try ScriptParser.parse("""
            # a comment
            load 1m
              my_metric{env="prod"} 5 2+3x2 _ stale _x2 1x2 -1-1x1
              other 1e-3+1x1

            eval instant at 1m sum by (env) (my_metric)
              expect no_warn
              expect fail msg: "boom"
              {env="prod"} 5

            eval range from 0 to 2m step 1m my_metric
              expect info regex: PromQL info: .* \\(1:1\\)
              my_metric{env="prod"} 5 2 5

            eval instant at 50m 1 + 1
              2

            clear
            eval_fail instant at 0 foo(
            """, file: "inline")
        #expect(script.commands.count == 6)
        guard case .load(let load) = script.commands[0] else { Issue.record("load"); return }
        #expect(load.interval == 60_000)
        #expect(load.series[0].labels == Labels(["__name__": "my_metric", "env": "prod"]))
        #expect(load.series[0].points == [.value(5), .value(2), .value(5), .value(8), .missing, .stale, .missing, .missing,
                                          .value(1), .value(1), .value(1), .value(-1), .value(-2)])
        #expect(load.series[1].points == [.value(0.001), .value(1.001)])
        guard case .eval(let e1) = script.commands[1] else { Issue.record("eval"); return }
        #expect(e1.kind == .instant(at: 60_000))
        #expect(e1.query == "sum by (env) (my_metric)")
        #expect(e1.expectations == [.noWarn, .fail(.message("boom"))])
        #expect(e1.results.count == 1)
        guard case .eval(let e2) = script.commands[2] else { Issue.record("eval2"); return }
        #expect(e2.kind == .range(start: 0, end: 120_000, step: 60_000))
        #expect(e2.expectations == [.info(.regex("PromQL info: .* \\(1:1\\)"))])
        guard case .eval(let e3) = script.commands[3] else { Issue.record("eval3"); return }
        #expect(e3.scalar == 2)
        guard case .clear = script.commands[4] else { Issue.record("clear"); return }
        guard case .eval(let e5) = script.commands[5] else { Issue.record("eval_fail"); return }
        #expect(e5.expectsFailure && e5.query == "foo(")
    }

    @Test func theUpstreamCorpusParses() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/promql-tests")
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
            print("../shared/promql-tests is absent; skipping")
            return
        }
        let stable: Set<String> = ["aggregators", "at_modifier", "collision", "functions", "literals", "operators",
                                   "range_queries", "selectors", "staleness", "subquery", "trig_functions",
                                   "name_label_dropping", "histograms"]
        var evals = 0
        var skipped: [String] = []
        for f in files.sorted() where f.hasSuffix(".test") {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            do {
                let script = try ScriptParser.parse(text, file: f)
                evals += script.commands.filter { if case .eval = $0 { return true } else { return false } }.count
            } catch {
                // Stable files must parse; experimental ones may use syntax Hearth does not have yet.
                #expect(!stable.contains(String(f.dropLast(5))), "\(error)")
                skipped.append("\(error)")
            }
        }
        print("upstream test scripts parsed: \(evals) evals; not parsed (experimental syntax): \(skipped)")
        #expect(evals > 2000)
    }
}
