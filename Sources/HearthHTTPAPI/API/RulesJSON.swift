import HearthModel
import HearthPromQLParser
import HearthRules
import HearthTemplate

/// `/api/v1/rules` and `/api/v1/alerts` in Prometheus's JSON shapes.
extension APIResult {
    static func rules(_ p: Parameters, _ groups: [RuleGroup]) throws(APIError) -> APIResult {
        let type = p["type"]?.lowercased() ?? ""
        guard ["", "alert", "record"].contains(type) else { throw .badData("invalid rule type \"\(type)\"") }
        let names = Set(p.all("rule_name[]")), groupNames = Set(p.all("rule_group[]")), files = Set(p.all("file[]"))
        let excludeAlerts = p["exclude_alerts"] == "true"
        return APIResult { w in
            w.beginObject()
            w.key("groups")
            w.beginArray()
            for g in groups where (groupNames.isEmpty || groupNames.contains(g.name)) && (files.isEmpty || files.contains(g.file)) {
                let rules = g.rules.filter { rule in
                    guard names.isEmpty || names.contains(rule.name) else { return false }
                    switch rule {
                    case .alerting: return type != "record"
                    case .recording: return type != "alert"
                    }
                }
                if rules.isEmpty && (!names.isEmpty || !type.isEmpty) { continue }
                w.beginObject()
                w.key("name"); w.string(g.name)
                w.key("file"); w.string(g.file)
                w.key("rules")
                w.beginArray()
                for rule in rules { write(rule, excludeAlerts: excludeAlerts, into: &w) }
                w.endArray()
                w.key("interval"); w.sampleValueNumber(Double(g.interval) / 1000)
                w.key("limit"); w.int(g.limit)
                w.key("evaluationTime"); w.sampleValueNumber(g.evaluationSeconds)
                w.key("lastEvaluation"); w.string(time(g.lastEvaluation))
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
    }

    static func alerts(_ groups: [RuleGroup]) -> APIResult {
        APIResult { w in
            w.beginObject()
            w.key("alerts")
            w.beginArray()
            for g in groups {
                for case .alerting(let a) in g.rules {
                    for alert in a.activeAlerts() { write(alert, into: &w) }
                }
            }
            w.endArray()
            w.endObject()
        }
    }

    private static func write(_ rule: Rule, excludeAlerts: Bool, into w: inout JSONWriter) {
        let status = rule.lastStatus
        w.beginObject()
        switch rule {
        case .alerting(let a):
            w.key("state"); w.string(a.ruleState == .unknown ? "inactive" : a.ruleState.description)
            w.key("name"); w.string(a.name)
            w.key("query"); w.string(a.expr.description)
            w.key("duration"); w.sampleValueNumber(Double(a.holdDuration) / 1000)
            w.key("keepFiringFor"); w.sampleValueNumber(Double(a.keepFiringFor) / 1000)
            w.key("labels"); labels(a.labels, into: &w)
            w.key("annotations"); labels(a.annotations, into: &w)
            w.key("alerts")
            w.beginArray()
            if !excludeAlerts { for alert in a.activeAlerts() { write(alert, into: &w) } }
            w.endArray()
        case .recording(let r):
            w.key("name"); w.string(r.name)
            w.key("query"); w.string(r.expr.description)
            if !r.labels.isEmpty { w.key("labels"); labels(r.labels, into: &w) }
        }
        w.key("health"); w.string(status.health.rawValue)
        if let e = status.lastError { w.key("lastError"); w.string(e) }
        w.key("evaluationTime"); w.sampleValueNumber(status.evaluationSeconds)
        w.key("lastEvaluation"); w.string(time(status.lastEvaluation))
        w.key("type")
        if case .alerting = rule { w.string("alerting") } else { w.string("recording") }
        w.endObject()
    }

    private static func write(_ alert: Alert, into w: inout JSONWriter) {
        w.beginObject()
        w.key("labels"); labels(alert.labels, into: &w)
        w.key("annotations"); labels(alert.annotations, into: &w)
        w.key("state"); w.string(alert.state.description)
        w.key("activeAt"); w.string(RFC3339.format(alert.activeAt))
        if let k = alert.keepFiringSince { w.key("keepFiringSince"); w.string(RFC3339.format(k)) }
        w.key("value"); w.string(GoFormat.formatFloat(alert.value, verb: "e", precision: nil))
        w.endObject()
    }

    private static func labels(_ l: Labels, into w: inout JSONWriter) {
        w.beginObject()
        for x in l {
            w.key(x.name)
            w.string(x.value)
        }
        w.endObject()
    }

    /// Go's zero time for "never".
    private static func time(_ ms: Int64) -> String { ms == 0 ? "0001-01-01T00:00:00Z" : RFC3339.format(ms) }
}
