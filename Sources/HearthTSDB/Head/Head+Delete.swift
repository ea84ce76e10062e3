import HearthBlock
import HearthModel
import Synchronization

extension Head {
    /// Marks the samples in `[minTime, maxTime]` of the series matching `matchers` deleted.
    /// Returns the updated tombstones for the caller to persist, and how many series matched.
    func delete(_ matchers: [Matcher], minTime: Int64, maxTime: Int64) -> (Tombstones, Int) {
        let refs = postings(for: matchers)
        return tombstones.withLock { t in
            var n = 0
            for ref in refs {
                let overlaps = withSeries(ref) { s, _, space in s.minTime(in: space) <= maxTime && s.maxTime(in: space) >= minTime }
                guard overlaps == true else { continue }
                t.add(ref, DeletedInterval(minTime, maxTime))
                n += 1
            }
            return (t, n)
        }
    }

    /// Drops deletions that end before `minTime` or name series no longer in the head.
    func pruneTombstones(before minTime: Int64) {
        tombstones.withLock { t in
            guard !t.isEmpty else { return }
            var kept = Tombstones()
            for (ref, list) in t.intervals where contains(ref) {
                for iv in list where iv.maxTime >= minTime { kept.add(ref, iv) }
            }
            t = kept
        }
    }
}
