/// Prometheus duration syntax (`15d`, `2h30m`, `500ms`): a sequence of number-unit pairs.
public enum PrometheusDuration {
    /// Prometheus's `model.Duration` text: `1h30m`, `1d`, `1w`, `1y`, `500ms`, `0s` (queries
    /// print durations this way, and targets carry `__scrape_interval__` in it).
    public static func format(milliseconds ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var rest = ms
        var out = ""
        for (unit, size) in [("y", Int64(31_536_000_000)), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000),
                             ("m", 60_000), ("s", 1000), ("ms", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }

    public static func parseMilliseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [
            ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
            ("w", 7 * 86_400_000), ("y", 365 * 86_400_000),
        ]
        var rest = Substring(text)
        var total: Int64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let n = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) })
            else { return nil }
            rest = rest.dropFirst(unit.count)
            let (product, overflow) = n.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            total += product
        }
        return total
    }
}
