import HearthModel
import HearthNotifier
import HearthPromQL
import HearthPromQLParser
import HearthTemplate
import Synchronization

/// `alert:`: every series the expression returns is an alert instance that is pending, fires
/// once it has held for `for`, keeps firing for `keep_firing_for` after it stops, and resolves;
/// Prometheus's state machine (`rules/alerting.go`), with times in Unix milliseconds.
public final class AlertingRule: Sendable {
    public let name: String
    public let expr: Expr
    /// `for` (ms).
    public let holdDuration: Int64
    /// `keep_firing_for` (ms).
    public let keepFiringFor: Int64
    /// The label and annotation templates as written.
    public let labels: Labels
    public let annotations: Labels
    let labelTemplates: [(name: String, template: Result<Template, TemplateError>)]
    let annotationTemplates: [(name: String, template: Result<Template, TemplateError>)]
    /// `.ExternalLabels` for the templates, built once.
    let externalLabelsValue: TemplateValue
    let externalURL: String
    let state: Mutex<State> = Mutex(State())

    /// How long a resolved alert is still sent to Alertmanager (as resolved).
    static let resolvedRetention: Int64 = 15 * 60 * 1000

    struct State {
        var active: [Labels: Alert] = [:]
        var status = RuleStatus()
        /// Until `for` state is restored after a start, no `ALERTS` series are written.
        var restored = false
    }

    /// Variables Prometheus defines before every label and annotation template.
    public static let definitions = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

    public init(name: String, expr: Expr, holdDuration: Int64 = 0, keepFiringFor: Int64 = 0, labels: Labels = Labels(),
                annotations: Labels = Labels(), externalLabels: Labels = Labels(), externalURL: String = "", restored: Bool = false) {
        self.name = name
        self.expr = expr
        self.holdDuration = holdDuration
        self.keepFiringFor = keepFiringFor
        self.labels = labels
        self.annotations = annotations
        self.externalLabelsValue = .stringMap(externalLabels.map { ($0.name, $0.value) })
        self.externalURL = externalURL
        let parse = { (text: String) -> Result<Template, TemplateError> in
            Result { () throws(TemplateError) in
                try Template(Self.definitions + text, name: "__alert_" + name, functions: PrometheusTemplateFunctions.names)
            }
        }
        labelTemplates = labels.map { ($0.name, parse($0.value)) }
        annotationTemplates = annotations.map { ($0.name, parse($0.value)) }
        state.withLock { $0.restored = restored }
    }

    /// Advances every instance to evaluation time `ts` given the expression's result, and
    /// returns the `ALERTS` and `ALERTS_FOR_STATE` samples to store (at `ts - queryOffset`).
    /// `functions` are the template functions for this evaluation (by default Prometheus's,
    /// with no query engine behind `query`).
    public func evaluate(_ vector: Vector, at ts: Int64, queryOffset: Int64 = 0, limit: Int = 0,
                         functions: [String: TemplateFunction]? = nil) throws(RuleError) -> [RuleSample] {
        let functions = functions ?? PrometheusTemplateFunctions.make(
            query: { _ throws(RuleError) in throw RuleError("no query engine available") }, externalURL: externalURL, now: ts)
        var fresh: [Labels: Alert] = [:]
        for sample in vector {
            let data = templateData(labels: sample.labels, value: sample.f)
            func expand(_ t: Result<Template, TemplateError>) -> String {
                do {
                    return try t.get().execute(data: data, functions: functions)
                } catch {
                    return "<error expanding template: \(error)>"
                }
            }
            var dict: [String: String] = [:]
            for l in sample.labels where l.name != Labels.metricName { dict[l.name] = l.value }
            for (name, t) in labelTemplates {
                let v = expand(t)
                dict[name] = v.isEmpty ? nil : v
            }
            dict["alertname"] = name
            let alertLabels = Labels(dict)
            var notes: [String: String] = [:]
            for (name, t) in annotationTemplates { notes[name] = expand(t) }
            guard fresh[alertLabels] == nil else {
                throw RuleError("vector contains metrics with the same labelset after applying alert labels")
            }
            fresh[alertLabels] = Alert(state: .pending, labels: alertLabels, annotations: Labels(notes), value: sample.f, activeAt: ts)
        }
        let result = state.withLock { s -> Result<[RuleSample], RuleError> in
            for (key, a) in fresh {
                if var existing = s.active[key], existing.state != .inactive {
                    existing.value = a.value
                    existing.annotations = a.annotations
                    s.active[key] = existing
                } else {
                    s.active[key] = a
                }
            }
            var out: [RuleSample] = []
            var activeOrPending = 0
            for key in Array(s.active.keys) {
                var a = s.active[key]!
                if fresh[key] == nil {
                    var keepFiring = false
                    if a.state == .firing && keepFiringFor > 0 {
                        let since = a.keepFiringSince ?? ts
                        a.keepFiringSince = since
                        keepFiring = ts - since < keepFiringFor
                    }
                    // A resolved alert stays a while, so that Alertmanager hears it resolved.
                    let remove = a.state == .pending || (a.resolvedAt.map { ts - $0 > Self.resolvedRetention } ?? false)
                    if a.state != .inactive && !keepFiring {
                        a.state = .inactive
                        a.resolvedAt = ts
                    }
                    s.active[key] = remove ? nil : a
                    if !keepFiring { continue }
                } else {
                    a.keepFiringSince = nil
                }
                activeOrPending += 1
                if a.state == .pending && ts - a.activeAt >= holdDuration {
                    a.state = .firing
                    a.firedAt = ts
                }
                if a.state == .firing && ts - a.activeAt < holdDuration {
                    // `for` grew on reload: back to pending.
                    a.state = .pending
                    a.firedAt = nil
                    a.lastSentAt = nil
                    a.keepFiringSince = nil
                }
                s.active[key] = a
                if s.restored {
                    out.append(alertsSample(a, t: ts - queryOffset))
                    out.append(forStateSample(a.labels, t: ts - queryOffset, v: Double(a.activeAt.floorDiv1000)))
                }
            }
            if limit > 0 && activeOrPending > limit {
                s.active = [:]
                return .failure(RuleError("exceeded limit of \(limit) with \(activeOrPending) alerts"))
            }
            return .success(out)
        }
        return try result.get()
    }

    /// `ALERTS{alertname, alertstate, ...}` = 1.
    func alertsSample(_ a: Alert, t: Int64) -> RuleSample {
        var dict: [String: String] = [:]
        for l in labels { dict[l.name] = l.value }
        for l in a.labels { dict[l.name] = l.value }
        dict[Labels.metricName] = "ALERTS"
        dict["alertname"] = name
        dict["alertstate"] = a.state.description
        return RuleSample(labels: Labels(dict), t: t, v: 1)
    }

    /// `ALERTS_FOR_STATE{alertname, ...}` = the instance's active-since time in Unix seconds.
    func forStateSample(_ alertLabels: Labels?, t: Int64, v: Double) -> RuleSample {
        RuleSample(labels: forStateLabels(alertLabels), t: t, v: v)
    }

    func forStateLabels(_ alertLabels: Labels?) -> Labels {
        var dict: [String: String] = [:]
        for l in labels { dict[l.name] = l.value }
        for l in alertLabels ?? Labels() { dict[l.name] = l.value }
        dict[Labels.metricName] = "ALERTS_FOR_STATE"
        dict["alertname"] = name
        return Labels(dict)
    }

    /// The alerts to hand to the notifier at `ts`, marked as sent: firing ones every
    /// `resendDelay`, resolved ones once (and again while retained); each valid for four
    /// times the larger of `interval` and `resendDelay`.
    public func alertsToSend(at ts: Int64, resendDelay: Int64, interval: Int64) -> [NotifierAlert] {
        let generator = externalURL + PrometheusTemplateFunctions.tableLink(expr.description)
        return state.withLock { s in
            var out: [NotifierAlert] = []
            for key in s.active.keys.sorted(by: <) {
                var a = s.active[key]!
                guard a.needsSending(at: ts, resendDelay: resendDelay) else { continue }
                a.lastSentAt = ts
                a.validUntil = ts + 4 * max(interval, resendDelay)
                s.active[key] = a
                out.append(NotifierAlert(labels: a.labels, annotations: a.annotations, startsAt: a.firedAt ?? 0,
                                         endsAt: a.resolvedAt ?? a.validUntil!, generatorURL: generator))
            }
            return out
        }
    }

    /// Pending and firing instances (not the resolved ones kept for notification), by labels.
    public func activeAlerts() -> [Alert] {
        state.withLock { s in s.active.values.filter { $0.resolvedAt == nil }.sorted { $0.labels < $1.labels } }
    }

    /// Every instance, the resolved ones kept for notification included.
    public func allAlerts() -> [Alert] {
        state.withLock { s in s.active.values.sorted { $0.labels < $1.labels } }
    }

    /// The highest state of any instance; unknown before the first evaluation.
    public var ruleState: AlertState {
        state.withLock { s in
            if s.status.lastEvaluation == 0 { return .unknown }
            return s.active.values.map(\.state).max() ?? .inactive
        }
    }

    public var lastStatus: RuleStatus { state.withLock { $0.status } }

    public var isRestored: Bool { state.withLock { $0.restored } }

    func setRestored() { state.withLock { $0.restored = true } }

    /// The data Prometheus gives alert templates: `.Labels`, `.ExternalLabels`, `.ExternalURL`, `.Value`.
    func templateData(labels: Labels, value: Double) -> TemplateValue {
        .record("struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }", [
            "Labels": .stringMap(labels.map { ($0.name, $0.value) }),
            "ExternalLabels": externalLabelsValue,
            "ExternalURL": .string(externalURL),
            "Value": .float(value),
        ])
    }
}

extension Int64 {
    /// Unix seconds of a Unix-milliseconds time (Go's `Time.Unix`).
    var floorDiv1000: Int64 { self >= 0 ? self / 1000 : (self - 999) / 1000 }
}
