import HearthConfig
import HearthModel
import HearthStorage
import HearthPromQL
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs the rule groups of the configuration's `rule_files`, each on its own schedule, and
/// swaps them on reload keeping the state of unchanged rules (Prometheus's rules manager).
public final class RuleManager: Sendable {
    let context: RuleContext
    private let state: Mutex<State> = Mutex(State())

    private struct State {
        var groups: [RuleGroup] = []
        var tasks: [ObjectIdentifier: Task<Void, Never>] = [:]
        var loaded = false
    }

    public init(context: RuleContext) {
        self.context = context
    }

    /// The running groups, in file order.
    public var groups: [RuleGroup] { state.withLock { $0.groups } }

    /// Loads the configuration's rule files and runs them; on a problem nothing changes and
    /// the problem is thrown. The first load restores alerts' `for` state from storage. Groups
    /// being replaced finish their evaluation in progress before their state is taken over.
    public func apply(_ config: Config) async throws(RuleLoadError) {
        let first = state.withLock { !$0.loaded }
        let c = context
        let fresh = try RuleLoader.load(patterns: config.ruleFiles, global: config.global, engine: context.engine,
                                        externalURL: context.externalURL, restored: !first)
        let (old, oldTasks) = state.withLock { s in
            defer { s.loaded = true }
            return (s.groups, s.tasks)
        }
        for t in oldTasks.values { t.cancel() }
        for t in oldTasks.values { await t.value }
        var oldByKey: [String: RuleGroup] = [:]
        for g in old { oldByKey[g.file + "\u{0}" + g.name] = g }
        var stale: Set<Labels> = []
        var tasks: [ObjectIdentifier: Task<Void, Never>] = [:]
        for g in fresh {
            let key = g.file + "\u{0}" + g.name
            if let previous = oldByKey.removeValue(forKey: key) {
                stale.formUnion(g.copyState(from: previous))
            }
            tasks[ObjectIdentifier(g)] = Task { [c] in await Self.run(g, restore: first, context: c) }
        }
        for (_, removed) in oldByKey {
            removed.markStale(at: c.now(), context: c)
        }
        if !stale.isEmpty {
            let app = c.storage.appender()
            let now = c.now()
            for labels in stale { _ = try? app.append(0, labels, now, StaleMarker.value) }
            do { try app.commit() } catch {
                c.logger.warning("staleness markers of removed rules not written", metadata: ["err": "\(error)"])
            }
        }
        state.withLock {
            $0.groups = fresh
            $0.tasks = tasks
        }
        if !old.isEmpty || !fresh.isEmpty {
            c.logger.info("rules loaded", metadata: ["groups": "\(fresh.count)", "rules": "\(fresh.reduce(0) { $0 + $1.rules.count })"])
        }
    }

    /// Stops every group's evaluations and waits for evaluations in progress.
    public func stop() async {
        let tasks = state.withLock { s in
            defer { s.tasks = [:] }
            return Array(s.tasks.values)
        }
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
    }

    /// A group's schedule: its first slot after now, then every interval, counting the slots
    /// missed when an evaluation overran. With `restore`, the `for` state is restored after
    /// the second evaluation (the first may see too little data).
    static func run(_ g: RuleGroup, restore: Bool, context c: RuleContext) async {
        let intervalNs = g.interval * 1_000_000
        var next = g.evaluationTimestamp(before: wallNanoseconds()) + intervalNs
        var evaluations = 0
        while !Task.isCancelled {
            let wait = next - wallNanoseconds()
            if wait > 0 {
                do { try await Task.sleep(for: .nanoseconds(wait)) } catch { return }
            }
            g.evaluate(at: next / 1_000_000, context: c)
            evaluations += 1
            if restore && evaluations == 2 { g.restoreForState(now: c.now(), context: c) }
            let missed = max(0, (wallNanoseconds() - next) / intervalNs)
            if missed > 0 { c.logger.warning("rule group missed evaluations", metadata: ["group": "\(g.name)", "missed": "\(missed)"]) }
            next += intervalNs * (missed + 1)
        }
    }

    static func wallNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
