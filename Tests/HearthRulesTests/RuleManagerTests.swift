import Foundation
import HearthConfig
import HearthModel
import HearthPromQLParser
import HearthRules
import HearthTestSupport
import Synchronization
import Testing

/// Loading and reloading rule files.
@Suite struct RuleManagerTests {
    let t0: Int64 = 1_800_000_000_000

    @Test func reloadKeepsStateAndABrokenFileChangesNothing() async throws {
        let h = try RuleHarness()
        let dir = TemporaryDirectory("hearth-rule-manager")
        let rules = dir.path + "/rules.yml"
        func config(_ text: String) throws -> Config {
            try text.write(toFile: rules, atomically: true, encoding: .utf8)
            return try Config(yaml: "global: {evaluation_interval: 1h}\nrule_files: ['\(rules)']\n")
        }
        let manager = RuleManager(context: h.context)
        try await manager.apply(try config("""
            groups:
              - name: g
                rules:
                  - alert: Always
                    expr: vector(1)
                    for: 10m
                  - record: one
                    expr: vector(1)
            """))
        #expect(manager.groups.map { $0.rules.map(\.name) } == [["Always", "one"]])
        let group = try #require(manager.groups.first)
        #expect(group.file == rules && group.interval == 3_600_000)
        group.evaluate(at: t0, context: h.context)
        guard case .alerting(let before) = group.rules[0] else { Issue.record("not an alert"); return }
        #expect(before.activeAlerts().first?.activeAt == t0)

        // A broken file: an error naming the problem, and the running rules stay.
        await #expect(throws: RuleLoadError.self) {
            try await manager.apply(try config("groups:\n  - name: g\n    rules:\n      - alert: Always\n        expr: vector(1\n"))
        }
        #expect(manager.groups.first === group)

        // A changed file, a minute later: the unchanged alert keeps its pending state; the new rule starts fresh.
        h.clock.withLock { $0 = t0 + 60_000 }
        try await manager.apply(try config("""
            groups:
              - name: g
                rules:
                  - alert: Always
                    expr: vector(1)
                    for: 10m
                  - record: two
                    expr: vector(2)
            """))
        let reloaded = try #require(manager.groups.first)
        #expect(reloaded !== group)
        guard case .alerting(let after) = reloaded.rules[0] else { Issue.record("not an alert"); return }
        #expect(after.activeAlerts().first?.activeAt == t0)
        #expect(after.isRestored, "rules loaded on reload do not wait for a restore")
        // The removed recording rule's series got a staleness marker.
        let one = h.dump([try Matcher(.equal, "__name__", "one")]).values.first ?? []
        #expect(one.count == 2 && StaleMarker.isStale(one[1].value))
        await manager.stop()
    }
}
