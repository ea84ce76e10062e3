import HearthEncoding

/// Prometheus duration syntax (`15d`, `2h30m`, `500ms`): number-unit pairs, as
/// `prometheus/common`'s `model.ParseDuration` reads them.
public enum PrometheusDuration {
    /// Why a text is not a duration, in `model.ParseDuration`'s words.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case notValid(String)
        case unknownUnit(unit: String, duration: String)
        case outOfRange

        public var description: String {
            switch self {
            case .empty: return "empty duration string"
            case .notValid(let text): return "not a valid duration string: \(GoText.quote(text))"
            case .unknownUnit(let unit, let text): return "unknown unit \(GoText.quote(unit)) in duration \(GoText.quote(text))"
            case .outOfRange: return "duration out of range"
            }
        }
    }

    /// The longest duration Prometheus represents: `time.Duration` counts nanoseconds in an
    /// Int64, so about 292 years, in milliseconds.
    public static let maximumMilliseconds: Int64 = Int64.max / 1_000_000

    /// Prometheus's `model.Duration` text: `1h30m`, `1d`, `1w`, `1y`, `500ms`, `0s` (queries
    /// print durations this way, and targets carry `__scrape_interval__` in it). Negative
    /// durations (offsets) print with a leading `-`.
    public static func format(milliseconds ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var rest = ms.magnitude
        var out = ms < 0 ? "-" : ""
        for (unit, size) in [("y", UInt64(31_536_000_000)), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000),
                             ("m", 60_000), ("s", 1000), ("ms", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }

    /// A duration in milliseconds: units `y w d h m s ms`, largest first, each at most once;
    /// `0` needs no unit; at most ``maximumMilliseconds``.
    public static func parse(_ text: String) throws(ParseError) -> Int64 {
        if text == "0" { return 0 }
        guard !text.isEmpty else { throw .empty }
        let bytes = Array(text.utf8)
        var i = 0
        var total: UInt64 = 0
        var lastUnitRank = 0
        while i < bytes.count {
            let digitsStart = i
            while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            guard i > digitsStart else { throw .notValid(text) }
            var value: UInt64 = 0
            for b in bytes[digitsStart..<i] {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
                guard !o1 && !o2 else { throw .notValid(text) }
                value = s
            }
            let unitStart = i
            while i < bytes.count && !(bytes[i] >= 0x30 && bytes[i] <= 0x39) { i += 1 }
            guard i > unitStart else { throw .notValid(text) }
            let unit = String(decoding: bytes[unitStart..<i], as: UTF8.self)
            guard let (rank, milliseconds) = units[unit] else { throw .unknownUnit(unit: unit, duration: text) }
            guard rank > lastUnitRank else { throw .notValid(text) }
            lastUnitRank = rank
            let (product, overflow) = value.multipliedReportingOverflow(by: milliseconds)
            guard !overflow, product <= UInt64(maximumMilliseconds) else { throw .outOfRange }
            total += product
            guard total <= UInt64(maximumMilliseconds) else { throw .outOfRange }
        }
        return Int64(total)
    }

    /// ``parse(_:)``, or nil for any text it refuses.
    public static func parseMilliseconds(_ text: String) -> Int64? {
        try? parse(text)
    }

    /// Each unit's order (larger units first) and size in milliseconds.
    private static let units: [String: (Int, UInt64)] = [
        "y": (1, 31_536_000_000), "w": (2, 604_800_000), "d": (3, 86_400_000), "h": (4, 3_600_000),
        "m": (5, 60_000), "s": (6, 1000), "ms": (7, 1),
    ]
}
