/// The times the engine evaluates at, and arithmetic on times that cannot trap.
///
/// Query times, offsets, ranges, steps and `@` timestamps all come from users. The engine
/// evaluates only within ``range`` (about 73 million years either side of 1970, far beyond any
/// data and within which no sum of a time and a step overflows), and derives selection bounds
/// with `clampedSubtracting` and `clampedAdding` (HearthModel), which
/// stop at Int64's limits instead of trapping.
public enum QueryTime {
    public static let minimum: Int64 = -(1 << 61)
    public static let maximum: Int64 = 1 << 61
    public static let range = minimum...maximum

    /// `t` moved into ``range``.
    @inline(__always)
    static func clamp(_ t: Int64) -> Int64 { Swift.min(Swift.max(t, minimum), maximum) }
}
