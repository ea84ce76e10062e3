import HearthModel
import HearthStorage

/// A read that must be whole, for tests.
public struct IncompleteRead: Error, CustomStringConvertible {
    public var description: String
}

extension Querier {
    /// The series with samples in `[minTime, maxTime]`; a warning (a part left out) throws.
    public func completeSelection(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp) throws -> [SeriesData] {
        let set = try select(matchers, hints: SelectHints(start: minTime, end: maxTime))
        if let w = set.warnings.first { throw IncompleteRead(description: w) }
        return set.series
    }
}
