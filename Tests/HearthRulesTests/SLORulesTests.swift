import Foundation
import HearthConfig
import HearthModel
import HearthPromQL
import HearthRules
import HearthTestSupport
import Testing

/// `hearth slo generate`'s rules: the workbook's burn rates, valid in Hearth and in promtool.
@Suite struct SLORulesTests {
    static let spec = """
        slos:
          - service: checkout
            objective: 99.9
            labels: {team: payments}
            sli:
              good: sum(rate(http_requests_total{job="checkout",code!~"5.."}[$window]))
              total: sum(rate(http_requests_total{job="checkout"}[$window]))
          - service: search
            name: latency
            objective: 99
            window: 7d
            sli:
              error_ratio: 1 - sum(rate(http_request_duration_seconds_bucket{le="0.3"}[$window])) / sum(rate(http_request_duration_seconds_count[$window]))
        """

    static func generate() throws -> String {
        let engine = Engine()
        return try SLORules.generate(try SLOFile(yaml: spec)) { expr in
            do throws(QueryError) { _ = try engine.parse(expr); return nil } catch { return error.description }
        }
    }

    @Test func generatesWorkbookBurnRates() throws {
        let text = try Self.generate()
        let file = try RuleFile(yaml: text)
        #expect(file.groups.map(\.name) == ["slo-checkout-availability", "slo-search-latency"])
        let checkout = file.groups[0].rules
        #expect(checkout.filter { !$0.isAlert }.map(\.record) == [
            "slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate30m", "slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate2h",
            "slo:sli_error:ratio_rate6h", "slo:sli_error:ratio_rate1d", "slo:sli_error:ratio_rate3d", "slo:sli_error:ratio_rate30d",
            "slo:objective:ratio", "slo:error_budget:ratio", "slo:error_budget_remaining:ratio",
        ])
        let page = try #require(checkout.first { $0.isAlert && $0.labels.contains { $0 == ("severity", "page") } })
        // 14.4 × 0.1% and 6 × 0.1% for a 30-day window.
        #expect(page.expr.contains("slo:sli_error:ratio_rate1h{slo_service=\"checkout\", slo_name=\"availability\"} > 0.0144"))
        #expect(page.expr.contains("slo:sli_error:ratio_rate30m{slo_service=\"checkout\", slo_name=\"availability\"} > 0.006"))
        #expect(page.labels.contains { $0 == ("team", "payments") })
        let ticket = try #require(checkout.first { $0.isAlert && $0.labels.contains { $0 == ("severity", "ticket") } })
        #expect(ticket.expr.contains("> 0.003") && ticket.expr.contains("ratio_rate3d") && ticket.expr.contains("> 0.001"))
        // A 7-day window scales the factors (14.4 × 7/30 = 3.36) and leaves out windows longer than it.
        let search = file.groups[1].rules
        #expect(!search.contains { $0.record == "slo:sli_error:ratio_rate30d" })
        #expect(search.contains { $0.record == "slo:sli_error:ratio_rate7d" })
        #expect(search.contains { $0.isAlert && $0.expr.contains("> 0.0336") })
    }

    @Test func loadsInHearth() throws {
        let dir = TemporaryDirectory("hearth-slo")
        let path = dir.path + "/slo.rules.yml"
        try Self.generate().write(toFile: path, atomically: true, encoding: .utf8)
        let groups = try RuleLoader.load(patterns: [path], global: GlobalConfig(), engine: Engine(), externalURL: "", restored: true)
        #expect(groups.reduce(0) { $0 + $1.rules.count } == 2 * 13)
    }

    @Test(.enabled(if: Promtool.available, "promtool is not installed (apt-get install prometheus); skipping"))
    func passesPromtoolCheckRules() throws {
        let dir = TemporaryDirectory("hearth-slo")
        let path = dir.path + "/slo.rules.yml"
        try Self.generate().write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try runProgram(Promtool.path, ["check", "rules", path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("SUCCESS: 26 rules found"), "\(output)")
    }

    @Test func rejectsBadSpecs() {
        #expect(throws: ConfigError.self) { try SLOFile(yaml: "slos:\n  - service: a\n    objective: 100\n    sli: {error_ratio: x}\n") }
        #expect(throws: ConfigError.self) { try SLOFile(yaml: "slos:\n  - service: a\n    objective: 99\n    sli: {good: x}\n") }
        #expect(throws: ConfigError.self) { try SLOFile(yaml: "slos:\n  - service: a b\n    objective: 99\n    sli: {error_ratio: x}\n") }
        #expect(throws: RuleError.self) {
            try SLORules.generate(try SLOFile(yaml: "slos:\n  - service: a\n    objective: 99\n    sli: {error_ratio: 'sum(rate(x[$window])'}\n")) { e in
                do throws(QueryError) { _ = try Engine().parse(e); return nil } catch { return error.description }
            }
        }
    }
}
