import HearthModel
import Synchronization

/// One of the head's lock stripes. Series refs are grouped in blocks of 64 consecutive refs; a
/// block lives in stripe `block & mask`, contiguously in that stripe's `series` array. Series
/// created together (one scrape, one remote-write request) thus share a stripe and sit next to
/// each other in memory, so a batch appending to them stays in cache. A series' hash lives in
/// stripe `hash & mask`. Locks are taken hash stripe first, then series stripe, never the reverse.
///
/// Each stripe is its own object, so stripes do not share cache lines.
final class Stripe: Sendable {
    struct SeriesState {
        /// Indexed by ``Head/slot(ofRef:)``; a slot whose series is not (or no longer) there is not `alive`.
        var series: [MemSeries] = []

        @inline(__always)
        func isLive(_ i: Int) -> Bool { i < series.count && series[i].alive }
    }

    struct HashState {
        /// The first series with each hash, and the rare others with the same hash.
        var first: [UInt64: UInt64] = [:]
        var collisions: [UInt64: [UInt64]] = [:]
    }

    let series = Mutex(SeriesState())
    let hashes = Mutex(HashState())
}
