import Glibc
import HearthEncoding
import HearthModel

/// Series of a target's previous scrapes by the bytes of their sample line's name and label
/// block, so that a steady-state scrape finds each series' storage ref with one hash and one
/// byte comparison: no strings, no label sets, no allocation.
///
/// Also the scrape's staleness bookkeeping: each entry remembers the scrape that last saw it.
struct SeriesCache {
    struct Entry {
        var hash: UInt64
        var keyStart: Int
        var keyLength: Int
        /// Storage ref (0 until the first successful append).
        var ref: UInt64
        /// Labels after target labels and metric relabeling; nil when relabeling dropped the series.
        var labels: Labels?
        /// The last scrape (iteration number) that contained the series.
        var lastSeen: UInt32
    }

    private(set) var entries: [Entry] = []
    /// Open addressing: index into `entries` + 1, 0 for empty.
    private var slots: [Int32] = Array(repeating: 0, count: 64)
    private var arena: [UInt8] = []

    var count: Int { entries.count }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 { XXHash64.hash(bytes) }

    /// The entry index for `key`, or nil.
    func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        return arena.withUnsafeBytes { arenaBytes -> Int? in
            while true {
                let s = Int(slots[i])
                if s == 0 { return nil }
                let e = entries[s - 1]
                if e.hash == hash, e.keyLength == key.count,
                   memcmpEqual(arenaBytes.baseAddress! + e.keyStart, key.baseAddress, key.count) {
                    return s - 1
                }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds a new entry (the key must not be present) and returns its index.
    mutating func insert(_ key: UnsafeRawBufferPointer, hash: UInt64, ref: UInt64, labels: Labels?, seen: UInt32) -> Int {
        if (entries.count + 1) * 2 > slots.count { grow() }
        let start = arena.count
        arena.append(contentsOf: key)
        entries.append(Entry(hash: hash, keyStart: start, keyLength: key.count, ref: ref, labels: labels, lastSeen: seen))
        place(entries.count - 1)
        return entries.count - 1
    }

    /// In place (`_modify`), so updating an entry's ref or scrape mark copies no labels.
    subscript(_ i: Int) -> Entry {
        get { entries[i] }
        _modify { yield &entries[i] }
    }

    private mutating func place(_ index: Int) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: entries[index].hash) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = Int32(index + 1)
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for i in entries.indices { place(i) }
    }

    /// Drops entries not seen since `oldest` (series gone for good), compacting the key arena.
    mutating func evict(olderThan oldest: UInt32) {
        guard entries.contains(where: { $0.lastSeen < oldest }) else { return }
        var newArena: [UInt8] = []
        var kept: [Entry] = []
        kept.reserveCapacity(entries.count)
        for var e in entries where e.lastSeen >= oldest {
            let start = newArena.count
            newArena.append(contentsOf: arena[e.keyStart..<(e.keyStart + e.keyLength)])
            e.keyStart = start
            kept.append(e)
        }
        arena = newArena
        entries = kept
        var size = 64
        while size < entries.count * 2 + 2 { size *= 2 }
        slots = Array(repeating: 0, count: size)
        for i in entries.indices { place(i) }
    }

    mutating func removeAll() {
        entries.removeAll()
        arena.removeAll()
        slots = Array(repeating: 0, count: 64)
    }
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer?, _ n: Int) -> Bool {
    guard n > 0, let b else { return true }
    return memcmp(a, b, n) == 0
}
