import HearthModel
import HearthNotifier
import HearthPromQL
import HearthPromQLParser
import HearthStorage
import Logging
import Synchronization

/// What a group's evaluation needs from the rest of the server.
public struct RuleContext: Sendable {
    public var engine: Engine
    public var storage: any RuleStorage
    /// Receives the alerts to send after each alerting rule's evaluation.
    public var notify: @Sendable ([NotifierAlert]) -> Void
    /// `--web.external-url`: in `generatorURL` and `$externalURL`.
    public var externalURL = ""
    /// `--rules.alert.resend-delay` (ms).
    public var resendDelay: Int64 = 60_000
    /// `--rules.alert.for-grace-period` (ms).
    public var forGracePeriod: Int64 = 600_000
    /// `--rules.alert.for-outage-tolerance` (ms).
    public var outageTolerance: Int64 = 3_600_000
    /// Wall-clock Unix ms (replaceable in tests).
    public var now: @Sendable () -> Int64 = { unixMilliseconds() }
    public var logger = Logger(label: "hearth.rules")

    public init(engine: Engine, storage: any RuleStorage, notify: @escaping @Sendable ([NotifierAlert]) -> Void = { _ in }) {
        self.engine = engine
        self.storage = storage
        self.notify = notify
    }
}

/// A rule group: its rules run in order at each evaluation, each seeing what the earlier ones
/// wrote; series a rule stops returning get a staleness marker.
public final class RuleGroup: Sendable {
    public let name: String
    public let file: String
    /// Milliseconds.
    public let interval: Int64
    public let queryOffset: Int64
    public let limit: Int
    public let rules: [Rule]
    let state: Mutex<State>

    struct State {
        /// Per rule, the series its last successful evaluation wrote.
        var previous: [Set<Labels>]
        var lastEvaluation: Int64 = 0
        var evaluationSeconds = 0.0
    }

    public init(name: String, file: String, interval: Int64, queryOffset: Int64 = 0, limit: Int = 0, rules: [Rule]) {
        self.name = name
        self.file = file
        self.interval = interval
        self.queryOffset = queryOffset
        self.limit = limit
        self.rules = rules
        state = Mutex(State(previous: Array(repeating: [], count: rules.count)))
    }

    public var lastEvaluation: Int64 { state.withLock { $0.lastEvaluation } }
    public var evaluationSeconds: Double { state.withLock { $0.evaluationSeconds } }

    /// Prometheus's slot for the group within its interval (nanoseconds), from a hash of the
    /// file and group name, so groups spread out yet keep their slot across restarts.
    public var offsetNanoseconds: Int64 {
        Int64(Labels(["file": file, "name": name]).stableHash % UInt64(interval * 1_000_000))
    }

    /// The latest evaluation time (ns) at or before `nowNanoseconds`.
    public func evaluationTimestamp(before nowNanoseconds: Int64) -> Int64 {
        let intervalNs = interval * 1_000_000
        let offset = offsetNanoseconds
        let adjusted = nowNanoseconds - offset
        return adjusted - adjusted % intervalNs + offset
    }

    /// Evaluates every rule at `ts` (Unix ms), writes their results and sends alerts.
    public func evaluate(at ts: Int64, context c: RuleContext) {
        let groupStart = ContinuousClock.now
        let wallStart = c.now()
        for (i, rule) in rules.enumerated() {
            let start = ContinuousClock.now
            var status = RuleStatus()
            status.lastEvaluation = c.now()
            do throws(RuleError) {
                let vector = try Self.query(rule.expr, at: ts - queryOffset, c)
                let samples: [RuleSample]
                switch rule {
                case .recording(let r):
                    samples = try r.evaluate(vector, at: ts - queryOffset, limit: limit)
                case .alerting(let a):
                    let functions = PrometheusTemplateFunctions.make(
                        query: { q throws(RuleError) in try Self.templateQuery(q, at: ts, c) }, externalURL: c.externalURL, now: ts)
                    samples = try a.evaluate(vector, at: ts, queryOffset: queryOffset, limit: limit, functions: functions)
                    let alerts = a.alertsToSend(at: ts, resendDelay: c.resendDelay, interval: interval)
                    if !alerts.isEmpty { c.notify(alerts) }
                }
                status.health = .ok
                if let problem = write(samples, rule: i, at: ts - queryOffset, c) {
                    status.health = .err
                    status.lastError = problem
                }
            } catch {
                status.health = .err
                status.lastError = error.message
                c.logger.warning("evaluating rule failed", metadata: ["group": "\(name)", "rule": "\(rule.name)", "err": "\(error.message)"])
            }
            status.evaluationSeconds = (ContinuousClock.now - start).seconds
            rule.setStatus(status)
        }
        state.withLock {
            $0.lastEvaluation = wallStart
            $0.evaluationSeconds = (ContinuousClock.now - groupStart).seconds
        }
    }

    /// Appends a rule's samples and staleness markers for series it no longer returns; returns
    /// why writing failed, if it did.
    private func write(_ samples: [RuleSample], rule i: Int, at t: Int64, _ c: RuleContext) -> String? {
        let app = c.storage.appender()
        var returned: Set<Labels> = []
        var problem: String?
        var refused = 0
        for s in samples {
            do throws(AppendError) {
                try app.append(0, s.labels, s.t, s.v)
                returned.insert(s.labels)
            } catch {
                if error.isCountedByRules { refused += 1 } else { problem = error.description }
            }
        }
        if refused > 0 {
            c.logger.warning("rule evaluation results discarded", metadata: ["group": "\(name)", "rule": "\(rules[i].name)", "num_dropped": "\(refused)"])
        }
        let previous = state.withLock { $0.previous[i] }
        for labels in previous where !returned.contains(labels) {
            // Refusals are expected here when another rule now writes the series.
            _ = try? app.append(0, labels, t, StaleMarker.value)
        }
        do {
            try app.commit()
        } catch {
            c.logger.warning("rule sample appending failed", metadata: ["group": "\(name)", "err": "\(error)"])
            return "\(error)"
        }
        state.withLock { $0.previous[i] = returned }
        return problem
    }

    /// Staleness markers for every series the group wrote (the group was removed).
    public func markStale(at t: Int64, context c: RuleContext) {
        let all = state.withLock { s in
            defer { s.previous = Array(repeating: [], count: rules.count) }
            return s.previous.reduce(into: Set<Labels>()) { $0.formUnion($1) }
        }
        guard !all.isEmpty else { return }
        let app = c.storage.appender()
        for labels in all { _ = try? app.append(0, labels, t, StaleMarker.value) }
        do { try app.commit() } catch {
            c.logger.warning("staleness markers of a removed group not written", metadata: ["group": "\(name)", "err": "\(error)"])
        }
    }

    /// Takes over the state of the group it replaces on reload: the series written (so
    /// staleness continues) and the alerts of rules with the same name and labels. Series of
    /// rules that are gone are returned, to be marked stale.
    func copyState(from old: RuleGroup) -> Set<Labels> {
        var byIdentity: [String: [Int]] = [:]
        for (i, r) in old.rules.enumerated() { byIdentity[r.identity, default: []].append(i) }
        let oldPrevious = old.state.withLock { $0.previous }
        var newPrevious = Array(repeating: Set<Labels>(), count: rules.count)
        for (i, rule) in rules.enumerated() {
            guard let fi = byIdentity[rule.identity]?.first else { continue }
            byIdentity[rule.identity]!.removeFirst()
            newPrevious[i] = oldPrevious[fi]
            rule.setStatus(old.rules[fi].lastStatus)
            if case .alerting(let a) = rule, case .alerting(let fa) = old.rules[fi] {
                let active = fa.state.withLock { $0.active }
                a.state.withLock { $0.active = active }
            }
        }
        state.withLock { $0.previous = newPrevious }
        var gone: Set<Labels> = []
        for indexes in byIdentity.values { for fi in indexes { gone.formUnion(oldPrevious[fi]) } }
        return gone
    }

    /// Restores the `for` state of pending and firing alerts after a start, from the
    /// `ALERTS_FOR_STATE` series written before it (Prometheus's `RestoreForState`): an alert
    /// that had been pending keeps the time it already held, minus the downtime, so a long
    /// `for` is not reset; it never fires sooner than the grace period after the restart.
    public func restoreForState(now ts: Int64, context c: RuleContext) {
        let querier = c.storage.querier()
        for rule in rules {
            guard case .alerting(let a) = rule else { continue }
            defer { a.setRestored() }
            if a.holdDuration < c.forGracePeriod { continue }
            var matchers: [Matcher] = []
            for l in a.forStateLabels(nil) where !l.value.contains("{{") {
                if let m = try? Matcher(.equal, l.name, l.value) { matchers.append(m) }
            }
            var byLabels: [Labels: Sample] = [:]
            let selected: SeriesSet
            do {
                selected = try querier.select(matchers, hints: SelectHints(start: ts - c.outageTolerance, end: ts))
            } catch {
                // As Prometheus: the alert starts afresh, and the operator is told.
                c.logger.error("'for' state not restored", metadata: ["alertname": "\(a.name)", "error": "\(error)"])
                continue
            }
            for w in selected.warnings {
                c.logger.warning("'for' state restored from an incomplete read", metadata: ["alertname": "\(a.name)", "warning": "\(w)"])
            }
            for series in selected.series {
                let samples: [Sample]
                do { samples = try series.samples() } catch {
                    c.logger.error("'for' state not restored", metadata: ["alertname": "\(a.name)", "error": "\(error)"])
                    continue
                }
                guard let last = samples.last else { continue }
                byLabels[Labels(sorted: series.labels.filter { $0.name != Labels.metricName })] = last
            }
            if byLabels.isEmpty { continue }
            a.state.withLock { s in
                for key in s.active.keys {
                    guard var alert = s.active[key], let last = byLabels[alert.labels], !StaleMarker.isStale(last.value) else { continue }
                    let downAt = last.timestamp.floorDiv1000 * 1000
                    var restoredActiveAt = Int64(last.value) * 1000
                    let remaining = a.holdDuration - (downAt - restoredActiveAt)
                    if remaining <= 0 {
                        // It was firing: it fires again at the next evaluation if still active.
                    } else if remaining < c.forGracePeriod {
                        restoredActiveAt = ts + c.forGracePeriod - a.holdDuration
                    } else {
                        restoredActiveAt += ts - downAt
                    }
                    alert.activeAt = restoredActiveAt
                    s.active[key] = alert
                    c.logger.debug("'for' state restored", metadata: ["alertname": "\(a.name)", "labels": "\(alert.labels)"])
                }
            }
        }
    }

    // MARK: - Queries

    /// Runs a rule's expression: a vector, or a scalar as one sample without labels.
    static func query(_ expr: Expr, at t: Int64, _ c: RuleContext) throws(RuleError) -> Vector {
        let result: QueryResult
        do {
            result = try c.engine.execute(QueryRequest(.parsed(expr), at: t), querier: c.storage.querier())
        } catch {
            throw RuleError(error.description)
        }
        switch result.value {
        case .vector(let v): return v
        case .scalar(let st, let f): return [VectorSample(labels: Labels(), t: st, f: f)]
        default: throw RuleError("rule result is not a vector or scalar")
        }
    }

    static func templateQuery(_ q: String, at t: Int64, _ c: RuleContext) throws(RuleError) -> [(labels: Labels, value: Double)] {
        let expr: Expr
        do { expr = try c.engine.parse(q) } catch { throw RuleError(error.description) }
        return try query(expr, at: t, c).map { ($0.labels, $0.f) }
    }
}
