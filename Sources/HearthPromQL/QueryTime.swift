import HearthModel

/// The times the engine evaluates at: the storable range (HearthModel's ``StorableTime``).
///
/// Query times, offsets, ranges, steps and `@` timestamps all come from users. The engine
/// evaluates only within this range, within which no sum of a time and a step overflows, and
/// derives selection bounds with `clampedSubtracting` and `clampedAdding` (HearthModel), which
/// stop at Int64's limits instead of trapping.
public enum QueryTime {
    public static let minimum = StorableTime.minimum
    public static let maximum = StorableTime.maximum
    public static let range = StorableTime.range

    @inline(__always)
    static func clamp(_ t: Int64) -> Int64 { StorableTime.clamp(t) }
}
