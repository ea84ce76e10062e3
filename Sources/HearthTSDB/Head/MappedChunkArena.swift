/// The metas of a stripe's completed chunks (those in the head chunk files): every series' list
/// back to back in one array, a series holding only where its list starts and how long it is.
/// As an array per series, a list of one or two metas cost a 32-byte header and malloc's
/// rounding besides its 24 bytes per meta.
///
/// Lists grow at the end (a cut) and shrink at the front (truncation). A list that does not end
/// the array moves to the end when it grows; the space it leaves, like a dropped front, is
/// counted as dead, and the stripe rebuilds the array once most of it is dead
/// (``Stripe/SeriesState/compactMappedChunks()``). Only touched under its stripe's series lock.
struct MappedChunkArena {
    private(set) var metas: [MappedChunkMeta] = []
    /// Metas no list refers to any more.
    private(set) var dead = 0

    /// The list starting at `start` with `count` metas.
    @inline(__always)
    subscript(start: UInt32, count: UInt32) -> ArraySlice<MappedChunkMeta> {
        metas[Int(start)..<(Int(start) + Int(count))]
    }

    /// Appends `meta` to the list at `start`/`count`, moving the list to the end of the array
    /// unless it is there already.
    mutating func append(_ meta: MappedChunkMeta, start: inout UInt32, count: inout UInt32) {
        let s = Int(start), n = Int(count)
        if n == 0 || s + n != metas.count {
            reserve(n + 1)
            let moved = metas.count
            if n > 0 {
                for k in s..<(s + n) { metas.append(metas[k]) }
                dead += n
            }
            start = UInt32(moved)
        } else {
            reserve(1)
        }
        metas.append(meta)
        count += 1
    }

    /// Replaces the list at `start`/`count` by `list` (loading a snapshot, replaying the WAL).
    mutating func set(_ list: [MappedChunkMeta], start: inout UInt32, count: inout UInt32) {
        release(count: &count)
        guard !list.isEmpty else { return }
        reserve(list.count)
        start = UInt32(metas.count)
        metas.append(contentsOf: list)
        count = UInt32(list.count)
    }

    /// Drops the first `k` metas of a list.
    mutating func dropFirst(_ k: UInt32, start: inout UInt32, count: inout UInt32) {
        let k = min(k, count)
        start += k
        count -= k
        dead += Int(k)
    }

    /// Forgets a whole list (its series is going).
    mutating func release(count: inout UInt32) {
        dead += Int(count)
        count = 0
    }

    /// Whether most of the array is dead: time to rebuild it.
    var wantsCompaction: Bool { dead > 1024 && dead * 2 > metas.count }

    /// Rebuilds the array from the live lists: `lists` calls its argument with each series'
    /// `start` and `count`, which it updates.
    mutating func compact(_ lists: ((inout UInt32, inout UInt32) -> Void) -> Void) {
        var kept: [MappedChunkMeta] = []
        kept.reserveCapacity(metas.count - dead)
        lists { start, count in
            let from = Int(start)
            start = UInt32(kept.count)
            kept.append(contentsOf: metas[from..<(from + Int(count))])
        }
        metas = kept
        dead = 0
    }

    /// Grows the capacity by an eighth at a time, as the stripe's other arenas do.
    private mutating func reserve(_ n: Int) {
        if metas.count + n > metas.capacity {
            metas.reserveCapacity(metas.count + Swift.max(n * 8, metas.count >> 3))
        }
    }

    /// Bytes of capacity.
    var capacityBytes: Int { metas.capacity * MemoryLayout<MappedChunkMeta>.stride }
}
