import HearthModel
import HearthNotifier
import HearthPromQLParser
import HearthRules
import Testing

/// Groups over a real TSDB: order of rules, staleness, notifications and `for` restoration.
@Suite struct RuleGroupTests {
    let t0: Int64 = 1_800_000_000_000
    let minute: Int64 = 60_000

    @Test func laterRulesSeeEarlierResultsAndVanishedSeriesGoStale() throws {
        let h = try RuleHarness()
        let group = RuleGroup(name: "g", file: "f.yml", interval: minute, rules: [
            .recording(RecordingRule(name: "job:up:sum", expr: try Parser.parse("sum by (job) (up)"), labels: Labels())),
            .recording(RecordingRule(name: "job:up:double", expr: try Parser.parse("job:up:sum * 2"), labels: Labels())),
        ])
        try h.write([(metric("up", ["job": "a", "instance": "1"]), t0, 1), (metric("up", ["job": "b", "instance": "1"]), t0, 1)])
        group.evaluate(at: t0, context: h.context)
        #expect(group.rules.allSatisfy { $0.lastStatus.health == .ok })
        let doubled = h.dump([try Matcher(.equal, "__name__", "job:up:double")])
        #expect(doubled == [#"job:up:double{job="a"}"#: [Sample(t0, 2)], #"job:up:double{job="b"}"#: [Sample(t0, 2)]])
        // Job b's input goes stale: its recorded series get staleness markers.
        try h.write([(metric("up", ["job": "a", "instance": "1"]), t0 + minute, 1),
                     (metric("up", ["job": "b", "instance": "1"]), t0 + minute, StaleMarker.value)])
        group.evaluate(at: t0 + minute, context: h.context)
        let sums = h.dump([try Matcher(.equal, "__name__", "job:up:sum")])
        let b = try #require(sums[#"job:up:sum{job="b"}"#])
        #expect(b.count == 2 && StaleMarker.isStale(b[1].value) && b[1].timestamp == t0 + minute)
        #expect(sums[#"job:up:sum{job="a"}"#] == [Sample(t0, 1), Sample(t0 + minute, 1)])
    }

    @Test func failingRuleReportsItsErrorAndOthersRun() throws {
        let h = try RuleHarness()
        let group = RuleGroup(name: "g", file: "f.yml", interval: minute, rules: [
            .recording(RecordingRule(name: "bad", expr: try Parser.parse("up[5m]"), labels: Labels())),
            .recording(RecordingRule(name: "one", expr: try Parser.parse("vector(1)"), labels: Labels())),
        ])
        group.evaluate(at: t0, context: h.context)
        #expect(group.rules[0].lastStatus.health == .err)
        #expect(group.rules[0].lastStatus.lastError == "rule result is not a vector or scalar")
        #expect(group.rules[1].lastStatus.health == .ok)
        #expect(h.dump([try Matcher(.equal, "__name__", "one")]).count == 1)
    }

    @Test func firingAlertsReachTheNotifier() throws {
        let h = try RuleHarness()
        let alert = AlertingRule(name: "Down", expr: try Parser.parse("up == 0"), holdDuration: minute,
                                 annotations: Labels(["summary": "{{ $labels.instance }} down"]),
                                 externalURL: "http://hearth.test:9090", restored: true)
        let group = RuleGroup(name: "g", file: "f.yml", interval: minute, rules: [.alerting(alert)])
        for i in 0..<3 {
            let t = t0 + Int64(i) * minute
            try h.write([(metric("up", ["instance": "db"]), t, 0)])
            group.evaluate(at: t, context: h.context)
        }
        #expect(alert.ruleState == .firing)
        let sent = h.takeSent()
        #expect(sent.count == 1)
        #expect(sent.first?.labels == Labels(["alertname": "Down", "instance": "db"]))
        #expect(sent.first?.annotations == Labels(["summary": "db down"]))
        let alerts = h.dump([try Matcher(.equal, "__name__", "ALERTS")])
        #expect(alerts[#"ALERTS{alertname="Down", alertstate="pending", instance="db"}"#]?.map(\.timestamp) == [t0, t0 + minute],
                "\(alerts)")
        #expect(alerts[#"ALERTS{alertname="Down", alertstate="firing", instance="db"}"#]?.map(\.timestamp) == [t0 + minute, t0 + 2 * minute])
        // Pending → firing: the pending series went stale when the firing one started.
        let pending = try #require(h.dump([try Matcher(.equal, "alertstate", "pending")]).values.first)
        #expect(pending.count == 2 && StaleMarker.isStale(pending[1].value))
    }

    /// A server restart in the middle of a long `for`: the restarted rule keeps the time
    /// already spent pending (less the downtime), instead of starting over.
    @Test func forStateIsRestoredAfterARestart() throws {
        let h = try RuleHarness()
        let hold = 60 * minute
        func group(restored: Bool) throws -> (RuleGroup, AlertingRule) {
            let a = AlertingRule(name: "Slow", expr: try Parser.parse("latency > 1"), holdDuration: hold, restored: restored)
            return (RuleGroup(name: "g", file: "f.yml", interval: minute, rules: [.alerting(a)]), a)
        }
        let (before, _) = try group(restored: true)
        for i in 0...40 {
            let t = t0 + Int64(i) * minute
            try h.write([(metric("latency"), t, 2)])
            before.evaluate(at: t, context: h.context)
        }
        // Down for 5 minutes; the condition still holds.
        let (after, rule) = try group(restored: false)
        for i in 45...46 {
            let t = t0 + Int64(i) * minute
            try h.write([(metric("latency"), t, 2)])
            after.evaluate(at: t, context: h.context)
        }
        after.restoreForState(now: t0 + 46 * minute, context: h.context)
        #expect(rule.isRestored)
        // Active since t0, plus the 6 minutes between the last write before the stop and the restore.
        #expect(rule.activeAlerts().first?.activeAt == t0 + 6 * minute)
        var firedAt: Int64?
        for i in 47...70 where firedAt == nil {
            let t = t0 + Int64(i) * minute
            try h.write([(metric("latency"), t, 2)])
            after.evaluate(at: t, context: h.context)
            if rule.activeAlerts().first?.state == .firing { firedAt = t }
        }
        #expect(firedAt == t0 + 66 * minute, "fires 60 minutes of condition after it started, not 60 minutes after the restart")
    }

    @Test func restoreNeverFiresBeforeTheGracePeriod() throws {
        let h = try RuleHarness()
        let hold = 30 * minute
        let first = AlertingRule(name: "Slow", expr: try Parser.parse("latency > 1"), holdDuration: hold, restored: true)
        let g1 = RuleGroup(name: "g", file: "f.yml", interval: minute, rules: [.alerting(first)])
        for i in 0...25 {
            try h.write([(metric("latency"), t0 + Int64(i) * minute, 2)])
            g1.evaluate(at: t0 + Int64(i) * minute, context: h.context)
        }
        let second = AlertingRule(name: "Slow", expr: try Parser.parse("latency > 1"), holdDuration: hold, restored: false)
        let g2 = RuleGroup(name: "g", file: "f.yml", interval: minute, rules: [.alerting(second)])
        try h.write([(metric("latency"), t0 + 27 * minute, 2)])
        g2.evaluate(at: t0 + 27 * minute, context: h.context)
        g2.restoreForState(now: t0 + 27 * minute, context: h.context)
        // 4 minutes were left, less than the 10-minute grace period: it fires 10 minutes after the restart.
        #expect(second.activeAlerts().first?.activeAt == t0 + 27 * minute + 10 * minute - hold)
    }

    @Test func evaluationSlotsFollowPrometheus() {
        // Prometheus: offset = xxhash(labels{file, name}) % interval (ns), slots at base + offset.
        let g = RuleGroup(name: "example", file: "/etc/rules.yml", interval: minute, rules: [])
        let offset = g.offsetNanoseconds
        #expect(offset >= 0 && offset < minute * 1_000_000)
        let now: Int64 = 1_800_000_123_456_789
        let slot = g.evaluationTimestamp(before: now)
        #expect(slot <= now && now - slot < minute * 1_000_000)
        #expect((slot - offset) % (minute * 1_000_000) == 0)
    }
}
