import HearthEncoding
import HearthModel

/// Series of a target's previous scrapes by the bytes of their sample line's name and label
/// block, so that a steady-state scrape finds each series' storage ref with one hash and one
/// comparison: no strings, no label sets, no allocation.
///
/// Keys are a `BytesDigest` of those bytes (96 bits), not the bytes (which cost about as much
/// memory as the series' labels), as in the server's remote-write `SeriesRefCache`.
///
/// Also the scrape's staleness bookkeeping: each entry remembers the scrape that last saw it.
struct SeriesCache {
    typealias Key = BytesDigest

    /// 24 bytes: a target's series cost this and a slot (4 bytes, at most half full) here.
    struct Entry {
        /// The key: its xxhash64, and its CRC32C mixed with its length (96 bits in all).
        var hash: UInt64
        var check: UInt32
        /// The last scrape (iteration number) that contained the series.
        var lastSeen: UInt32
        /// The storage ref, or `droppedMark` when metric relabeling dropped the series.
        private var refOrMark: UInt64

        static let droppedMark = UInt64.max

        init(key: Key, ref: UInt64, lastSeen: UInt32, dropped: Bool) {
            hash = key.hash
            check = Self.check(key)
            self.lastSeen = lastSeen
            refOrMark = dropped ? Self.droppedMark : ref
        }

        @inline(__always) static func check(_ key: Key) -> UInt32 {
            UInt32(truncatingIfNeeded: key.check >> 32) ^ UInt32(truncatingIfNeeded: key.check) &* 0x9E37_79B1
        }

        @inline(__always) func matches(_ key: Key) -> Bool { hash == key.hash && check == Self.check(key) }

        /// Metric relabeling dropped the series.
        var dropped: Bool { refOrMark == Self.droppedMark }

        /// Storage ref (0 until the first successful append). The labels are not kept here: the
        /// storage has them, and they are derived again from the line when it needs them.
        var ref: UInt64 {
            get { dropped ? 0 : refOrMark }
            set { if !dropped { refOrMark = newValue } }
        }
    }

    private(set) var entries: [Entry] = []
    /// Open addressing: index into `entries` + 1, 0 for empty.
    private var slots: [Int32] = Array(repeating: 0, count: 64)

    var count: Int { entries.count }

    /// The entry index for `key`, or nil.
    func find(_ key: Key) -> Int? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: key.hash) & mask
        while true {
            let s = Int(slots[i])
            if s == 0 { return nil }
            if entries[s - 1].matches(key) { return s - 1 }
            i = (i + 1) & mask
        }
    }

    /// Adds a new entry (the key must not be present) and returns its index.
    mutating func insert(_ key: Key, ref: UInt64, dropped: Bool, seen: UInt32) -> Int {
        if (entries.count + 1) * 2 > slots.count { grow() }
        entries.append(Entry(key: key, ref: ref, lastSeen: seen, dropped: dropped))
        place(entries.count - 1)
        return entries.count - 1
    }

    /// In place (`_modify`).
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

    /// Gives back the room `entries` grew into beyond what it holds (up to half of it): called
    /// after a scrape that added nothing, as a target's series rarely change once scraped.
    mutating func trimCapacity() {
        guard entries.capacity > entries.count + entries.count / 8 + 16 else { return }
        var exact: [Entry] = []
        exact.reserveCapacity(entries.count)
        exact.append(contentsOf: entries)
        entries = exact
    }

    /// Drops entries not seen since `oldest` (series gone for good).
    mutating func evict(olderThan oldest: UInt32) {
        guard entries.contains(where: { $0.lastSeen < oldest }) else { return }
        entries.removeAll { $0.lastSeen < oldest }
        var size = 64
        while size < entries.count * 2 + 2 { size *= 2 }
        slots = Array(repeating: 0, count: size)
        for i in entries.indices { place(i) }
    }

    mutating func removeAll() {
        entries.removeAll()
        slots = Array(repeating: 0, count: 64)
    }
}
