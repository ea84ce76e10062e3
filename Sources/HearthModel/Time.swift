#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time as Prometheus stores it: Unix milliseconds.
public func unixMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

extension Duration {
    /// The duration in seconds, for metrics and API fields.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }

    /// The duration in whole milliseconds, saturating at Int64's bounds.
    public var milliseconds: Int64 {
        let (s, atto) = components
        let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
        if overflow { return s < 0 ? .min : .max }
        let (total, beyond) = ms.addingReportingOverflow(atto / 1_000_000_000_000_000)
        return beyond ? .max : total
    }
}

/// RFC 3339 times as Prometheus and Alertmanager write them in JSON.
public enum RFC3339 {
    /// UTC with milliseconds, trailing zeros dropped (`2026-11-21T10:00:00.5Z`).
    public static func format(_ ms: Int64) -> String {
        let (secs, millis) = floorDivided(ms, 1000)
        let (days, rem) = floorDivided(secs, 86_400)
        let date = CivilDate(daysSinceEpoch: days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var s = "\(date.year)-\(two(date.month))-\(two(date.day))T\(two(rem / 3600)):\(two(rem % 3600 / 60)):\(two(rem % 60))"
        if millis != 0 {
            var f = String(millis)
            while f.count < 3 { f = "0" + f }
            while f.hasSuffix("0") { f.removeLast() }
            s += "." + f
        }
        return s + "Z"
    }

    private static func floorDivided(_ a: Int64, _ d: Int64) -> (Int64, Int64) {
        var q = a / d, r = a % d
        if r < 0 { q -= 1; r += d }
        return (q, r)
    }
}

/// A date of the proleptic Gregorian calendar, from days since 1970-01-01 (Howard Hinnant's
/// days-to-civil algorithm): for RFC 3339 times and PromQL's date functions.
public struct CivilDate: Sendable, Equatable {
    public var year: Int64
    /// 1...12.
    public var month: Int64
    /// 1...31.
    public var day: Int64

    public init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }
}

/// The timestamps Hearth stores and queries, in milliseconds: about 73 million years either
/// side of 1970. Bounding them keeps every time computed from one (a chunk's range end, a
/// block's bounds, a query window moved by an offset) representable; Prometheus takes any
/// Int64 and lets such sums wrap.
public enum StorableTime {
    public static let minimum: Int64 = -(1 << 61)
    public static let maximum: Int64 = 1 << 61
    public static let range = minimum...maximum

    /// `t` moved into ``range``.
    @inline(__always)
    public static func clamp(_ t: Int64) -> Int64 { Swift.min(Swift.max(t, minimum), maximum) }

    /// What a block's time range may span: the storable range rounded out to whole block
    /// ranges (a block's bounds are aligned, so one holding the earliest storable sample starts
    /// before it), with room to spare and still far from Int64's limits.
    public static let blockRange = (minimum * 2)...(maximum * 2)
}

/// Arithmetic on times that users control (query times, offsets, ranges, steps), which must
/// not trap when they sit at the edges of Int64.
extension Int64 {
    /// `self - other`, or the nearest Int64 limit where that overflows.
    @inline(__always)
    public func clampedSubtracting(_ other: Int64) -> Int64 {
        let (r, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : r
    }

    /// `self + other`, or the nearest Int64 limit where that overflows.
    @inline(__always)
    public func clampedAdding(_ other: Int64) -> Int64 {
        let (r, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : r
    }
}
