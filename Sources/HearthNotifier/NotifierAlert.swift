import HearthModel

/// An alert as sent to Alertmanager (`POST /api/v2/alerts`): Prometheus's `notifier.Alert`.
public struct NotifierAlert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    /// Unix milliseconds; 0 leaves the field out.
    public var startsAt: Int64
    /// When the alert resolved, or until when it is valid if not resent (Unix ms).
    public var endsAt: Int64
    public var generatorURL: String

    public init(labels: Labels, annotations: Labels, startsAt: Int64, endsAt: Int64, generatorURL: String) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    /// Whether the alert has ended at `now`.
    public func isResolved(at now: Int64) -> Bool { endsAt != 0 && endsAt <= now }
}

/// The v2 API's request body: a JSON array of alerts.
enum AlertsJSON {
    static func encode(_ alerts: ArraySlice<NotifierAlert>) -> [UInt8] {
        var out = "["
        for (i, a) in alerts.enumerated() {
            if i > 0 { out += "," }
            out += "{\"labels\":"
            appendObject(a.labels, to: &out)
            out += ",\"annotations\":"
            appendObject(a.annotations, to: &out)
            if a.startsAt != 0 { out += ",\"startsAt\":\"" + RFC3339.format(a.startsAt) + "\"" }
            if a.endsAt != 0 { out += ",\"endsAt\":\"" + RFC3339.format(a.endsAt) + "\"" }
            if !a.generatorURL.isEmpty { out += ",\"generatorURL\":"; appendString(a.generatorURL, to: &out) }
            out += "}"
        }
        out += "]"
        return Array(out.utf8)
    }

    static func appendObject(_ labels: Labels, to out: inout String) {
        out += "{"
        for (i, l) in labels.enumerated() {
            if i > 0 { out += "," }
            appendString(l.name, to: &out)
            out += ":"
            appendString(l.value, to: &out)
        }
        out += "}"
    }

    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    let hex = Array("0123456789abcdef".utf8)
                    out += "\\u00" + String(decoding: [hex[Int(c.value >> 4)], hex[Int(c.value & 15)]], as: UTF8.self)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }
}
