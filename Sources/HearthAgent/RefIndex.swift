/// Series refs by a hash of their labels, as an open-addressing table of 4-byte refs: the
/// labels are not held here but compared through the caller (`matches`), so a series costs
/// 4–8 bytes of slots. A `[Int: UInt64]` cost 16 bytes a bucket, and 200k series needed 2^19
/// buckets (8.4 MB, against 2.1 MB here).
///
/// Linear probing, at most 3/4 full; removal shifts later entries back (no tombstones), which
/// needs each entry's hash again (`hashOf`). Refs of 2^32 and more do not fit a slot: the caller
/// keeps those elsewhere.
struct RefIndex {
    static let maxRef = UInt64(UInt32.max)

    private var slots: [UInt32] = []
    private(set) var count = 0

    /// The ref whose labels `matches` accepts, probing from `hash`.
    func find(hash: Int, where matches: (UInt64) -> Bool) -> UInt64? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var i = hash & mask
        while slots[i] != 0 {
            if matches(UInt64(slots[i])) { return UInt64(slots[i]) }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Adds `ref` (not present, at most ``maxRef``).
    mutating func insert(_ ref: UInt64, hash: Int, hashOf: (UInt64) -> Int) {
        precondition(ref != 0 && ref <= Self.maxRef)
        if (count + 1) * 4 > slots.count * 3 { grow(hashOf) }
        place(UInt32(ref), hash: hash)
        count += 1
    }

    /// Replaces `old` (at `hash`) by `new`; false when `old` is not there.
    mutating func replace(_ old: UInt64, by new: UInt64, hash: Int) -> Bool {
        precondition(new != 0 && new <= Self.maxRef)
        guard let i = slot(of: old, hash: hash) else { return false }
        slots[i] = UInt32(new)
        return true
    }

    /// Removes `ref` (at `hash`); false when it is not there.
    mutating func remove(_ ref: UInt64, hash: Int, hashOf: (UInt64) -> Int) -> Bool {
        guard var hole = slot(of: ref, hash: hash) else { return false }
        let mask = slots.count - 1
        slots[hole] = 0
        count -= 1
        // Shift back every later entry of the run that may not sit past the hole.
        var i = (hole + 1) & mask
        while slots[i] != 0 {
            let home = hashOf(UInt64(slots[i])) & mask
            // The entry can move to the hole unless its home lies cyclically in (hole, i].
            let stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !stays {
                slots[hole] = slots[i]
                slots[i] = 0
                hole = i
            }
            i = (i + 1) & mask
        }
        return true
    }

    private func slot(of ref: UInt64, hash: Int) -> Int? {
        guard !slots.isEmpty, ref <= Self.maxRef else { return nil }
        let mask = slots.count - 1
        var i = hash & mask
        while slots[i] != 0 {
            if UInt64(slots[i]) == ref { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    private mutating func place(_ ref: UInt32, hash: Int) {
        let mask = slots.count - 1
        var i = hash & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = ref
    }

    private mutating func grow(_ hashOf: (UInt64) -> Int) {
        let old = slots
        slots = Array(repeating: 0, count: max(64, old.count * 2))
        for ref in old where ref != 0 { place(ref, hash: hashOf(UInt64(ref))) }
    }
}
