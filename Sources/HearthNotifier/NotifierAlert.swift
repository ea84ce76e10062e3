import HearthEncoding
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
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, a) in alerts.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("{\"labels\":".utf8)
            appendObject(a.labels, to: &out)
            out += Array(",\"annotations\":".utf8)
            appendObject(a.annotations, to: &out)
            if a.startsAt != 0 { out += Array(",\"startsAt\":\"\(RFC3339.format(a.startsAt))\"".utf8) }
            if a.endsAt != 0 { out += Array(",\"endsAt\":\"\(RFC3339.format(a.endsAt))\"".utf8) }
            if !a.generatorURL.isEmpty {
                out += Array(",\"generatorURL\":".utf8)
                GoText.appendJSONString(a.generatorURL, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    static func appendObject(_ labels: Labels, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, l) in labels.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            GoText.appendJSONString(l.name, to: &out)
            out.append(UInt8(ascii: ":"))
            GoText.appendJSONString(l.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
