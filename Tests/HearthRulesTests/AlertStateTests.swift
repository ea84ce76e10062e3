import HearthModel
import HearthNotifier
import HearthPromQL
import HearthPromQLParser
import HearthRules
import Testing

/// The alerting rule's state machine, driven with synthetic results and a fake clock.
@Suite struct AlertStateTests {
    let t0: Int64 = 1_800_000_000_000
    let minute: Int64 = 60_000

    func rule(for hold: Int64 = 5 * 60_000, keepFiringFor: Int64 = 0, labels: Labels = Labels(), annotations: Labels = Labels()) throws -> AlertingRule {
        AlertingRule(name: "HighLoad", expr: try Parser.parse("load > 1"), holdDuration: hold, keepFiringFor: keepFiringFor,
                     labels: labels, annotations: annotations, externalURL: "http://hearth.test:9090", restored: true)
    }

    func vector(_ instances: [String], value: Double = 2, at t: Int64) -> Vector {
        instances.map { VectorSample(labels: metric("load", ["instance": $0]), t: t, f: value) }
    }

    @Test func pendingFiresAfterForThenResolves() throws {
        let r = try rule()
        _ = try r.evaluate(vector(["a"], at: t0), at: t0)
        #expect(r.activeAlerts().map(\.state) == [.pending])
        #expect(r.alertsToSend(at: t0, resendDelay: minute, interval: minute).isEmpty, "pending alerts are not sent")
        _ = try r.evaluate(vector(["a"], at: t0 + 4 * minute), at: t0 + 4 * minute)
        #expect(r.activeAlerts().map(\.state) == [.pending])
        _ = try r.evaluate(vector(["a"], at: t0 + 5 * minute), at: t0 + 5 * minute)
        let firing = try #require(r.activeAlerts().first)
        #expect(firing.state == .firing)
        #expect(firing.activeAt == t0)
        #expect(firing.firedAt == t0 + 5 * minute)
        #expect(firing.labels == Labels(["alertname": "HighLoad", "instance": "a"]))
        let sent = r.alertsToSend(at: t0 + 5 * minute, resendDelay: minute, interval: minute)
        #expect(sent.count == 1)
        #expect(sent.first?.startsAt == t0 + 5 * minute)
        #expect(sent.first?.endsAt == t0 + 5 * minute + 4 * minute)
        #expect(sent.first?.generatorURL == "http://hearth.test:9090/graph?g0.expr=load+%3E+1&g0.tab=1")

        // The condition clears: resolved, sent once as resolved, kept 15 minutes.
        _ = try r.evaluate([], at: t0 + 6 * minute)
        #expect(r.activeAlerts().isEmpty)
        #expect(r.allAlerts().map(\.state) == [.inactive])
        let resolved = r.alertsToSend(at: t0 + 6 * minute, resendDelay: minute, interval: minute)
        #expect(resolved.map(\.endsAt) == [t0 + 6 * minute])
        _ = try r.evaluate([], at: t0 + 21 * minute)
        #expect(r.allAlerts().count == 1, "still retained at exactly 15 minutes")
        _ = try r.evaluate([], at: t0 + 22 * minute)
        #expect(r.allAlerts().isEmpty)
    }

    @Test func pendingAlertThatClearsIsForgotten() throws {
        let r = try rule()
        _ = try r.evaluate(vector(["a"], at: t0), at: t0)
        _ = try r.evaluate([], at: t0 + minute)
        #expect(r.allAlerts().isEmpty)
        #expect(r.alertsToSend(at: t0 + minute, resendDelay: minute, interval: minute).isEmpty)
        // It starts over when it comes back.
        _ = try r.evaluate(vector(["a"], at: t0 + 2 * minute), at: t0 + 2 * minute)
        #expect(r.activeAlerts().first?.activeAt == t0 + 2 * minute)
    }

    @Test func keepFiringForHoldsAFiringAlert() throws {
        let r = try rule(for: 0, keepFiringFor: 2 * minute)
        _ = try r.evaluate(vector(["a"], at: t0), at: t0)
        #expect(r.activeAlerts().map(\.state) == [.firing])
        _ = try r.evaluate([], at: t0 + minute)
        #expect(r.activeAlerts().map(\.state) == [.firing])
        #expect(r.activeAlerts().first?.keepFiringSince == t0 + minute)
        _ = try r.evaluate([], at: t0 + 2 * minute)
        #expect(r.activeAlerts().map(\.state) == [.firing])
        _ = try r.evaluate([], at: t0 + 3 * minute)
        #expect(r.activeAlerts().isEmpty)
        #expect(r.allAlerts().first?.resolvedAt == t0 + 3 * minute)
    }

    @Test func firingAlertsAreResentEveryResendDelay() throws {
        let r = try rule(for: 0)
        var sends: [Int64] = []
        for i in 0..<6 {
            let t = t0 + Int64(i) * 30_000
            _ = try r.evaluate(vector(["a"], at: t), at: t)
            if !r.alertsToSend(at: t, resendDelay: minute, interval: 30_000).isEmpty { sends.append(t - t0) }
        }
        #expect(sends == [0, 90_000])
    }

    @Test func writesAlertsAndForStateSeries() throws {
        let r = try rule(labels: Labels(["severity": "page"]))
        let pending = try r.evaluate(vector(["a"], at: t0 + 1), at: t0 + 1_500, queryOffset: 500)
        #expect(pending == [
            RuleSample(labels: Labels(["__name__": "ALERTS", "alertname": "HighLoad", "alertstate": "pending", "instance": "a", "severity": "page"]),
                       t: t0 + 1_000, v: 1),
            RuleSample(labels: Labels(["__name__": "ALERTS_FOR_STATE", "alertname": "HighLoad", "instance": "a", "severity": "page"]),
                       t: t0 + 1_000, v: Double(t0 / 1000 + 1)),
        ])
        let firing = try r.evaluate(vector(["a"], at: t0 + 5 * minute), at: t0 + 5 * minute + 1_500, queryOffset: 500)
        #expect(firing.first?.labels["alertstate"] == "firing")
    }

    @Test func noAlertsSeriesUntilRestored() throws {
        let r = AlertingRule(name: "X", expr: try Parser.parse("up"), restored: false)
        #expect(try r.evaluate(vector(["a"], at: t0), at: t0).isEmpty)
        #expect(r.activeAlerts().count == 1)
    }

    @Test func templatesExpandAndErrorsShowInTheAnnotation() throws {
        let r = try rule(for: 0, labels: Labels(["severity": "{{ if gt $value 1.5 }}page{{ else }}ticket{{ end }}", "empty": "{{ \"\" }}"]),
                         annotations: Labels(["summary": "{{ $labels.instance }} at {{ $value | humanize }} ({{ $externalURL }})",
                                              "broken": "{{ index $labels 1 }}"]))
        _ = try r.evaluate(vector(["a"], value: 1234567, at: t0) + vector(["b"], value: 1, at: t0), at: t0)
        let alerts = r.activeAlerts()
        #expect(alerts.map { $0.labels["severity"] } == ["page", "ticket"])
        #expect(alerts.allSatisfy { $0.labels["empty"] == nil }, "a label that expands to nothing is dropped")
        #expect(alerts.first?.annotations["summary"] == "a at 1.235M (http://hearth.test:9090)")
        let broken = try #require(alerts.first?.annotations["broken"])
        #expect(broken.hasPrefix("<error expanding template: template: __alert_HighLoad:1:"), "\(broken)")
    }

    @Test func duplicateLabelSetsAndLimitsAreErrors() throws {
        let r = try rule()
        let twice = [VectorSample(labels: metric("a", ["x": "1"]), f: 1), VectorSample(labels: metric("b", ["x": "1"]), f: 1)]
        #expect(throws: RuleError.self) { try r.evaluate(twice, at: t0) }
        let limited = try rule()
        #expect(throws: RuleError.self) { try limited.evaluate(vector(["a", "b", "c"], at: t0), at: t0, limit: 2) }
        #expect(limited.allAlerts().isEmpty, "exceeding the limit drops every alert")
    }

    @Test func recordingRuleRenamesAndLabels() throws {
        let r = RecordingRule(name: "job:load:max", expr: try Parser.parse("max by (job) (load)"), labels: Labels(["tier": "web"]))
        let out = try r.evaluate([VectorSample(labels: Labels(["job": "api", "tier": "db"]), f: 3)], at: t0)
        #expect(out == [RuleSample(labels: Labels(["__name__": "job:load:max", "job": "api", "tier": "web"]), t: t0, v: 3)])
        // Two inputs that differ only in their name collide once renamed.
        #expect(throws: RuleError.self) {
            try r.evaluate([VectorSample(labels: metric("a", ["job": "x"]), f: 1), VectorSample(labels: metric("b", ["job": "x"]), f: 1)], at: t0)
        }
    }
}
