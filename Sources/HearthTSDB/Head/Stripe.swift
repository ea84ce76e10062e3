import HearthModel
import Synchronization

/// One of the head's lock stripes. A series lives in stripe `ref & mask`, at index `ref >> shift`
/// of `series`; its hash lives in stripe `hash & mask`. Locks are taken hash stripe first, then
/// series stripe, never the other way round.
///
/// Each stripe is its own object, so stripes do not share cache lines.
final class Stripe: Sendable {
    struct SeriesState {
        /// Indexed by `ref >> shift`; a slot whose series is not (or no longer) there has `alive == false`.
        var series: [MemSeries] = []
        var alive: [Bool] = []
    }

    struct HashState {
        /// The first series with each hash, and the rare others with the same hash.
        var first: [UInt64: UInt64] = [:]
        var collisions: [UInt64: [UInt64]] = [:]
    }

    let series = Mutex(SeriesState())
    let hashes = Mutex(HashState())
}
