import HearthBlock
import HearthChunks
import HearthIndex
import HearthModel
import HearthStorage
import HearthWAL
import Synchronization

/// The in-memory block of recent data: every active series, its open chunk on the heap and its
/// completed chunks on disk, plus the inverted index over their labels.
///
/// Appends go through ``HeadAppender`` (one per batch); reads through the ``Querier`` conformance.
/// Series refs are allocated in increasing order and never reused while the head lives.
public final class Head: Sendable {
    public struct Options: Sendable {
        /// Width of a chunk range; chunks never cross its boundaries (Prometheus: the block range,
        /// 2h). At most 2^32 − 1 ms (~49 days).
        public var chunkRange: Int64 = 2 * 3600 * 1000 {
            didSet { chunkRange = Swift.min(Swift.max(chunkRange, 1), Int64(UInt32.max)) }
        }
        /// Number of lock stripes, a power of two.
        public var stripeCount = 4096

        public init() {}
    }

    public let options: Options
    let stripes: [Stripe]
    let mask: UInt64
    let shift: UInt64
    let postings = MemPostings()
    let chunkFiles: HeadChunkFiles
    let symbols = SymbolTable()

    let nextRef = Atomic<UInt64>(1)
    let seriesCount = Atomic<Int>(0)
    let minTimeValue = Atomic<Int64>(.max)
    let maxTimeValue = Atomic<Int64>(.min)
    /// Samples before this time are refused (set by truncation).
    let minValidTimeValue = Atomic<Int64>(.min)
    let appenderIDs = Atomic<UInt32>(1)
    /// Deleted ranges per series ref (admin deletion), applied on read and when the head is
    /// written as a block; persisted in `head.tombstones` by the DB.
    let tombstones = Mutex(Tombstones())
    /// Samples that lost a race with a concurrent appender at commit time and were dropped.
    let outOfOrderAtCommit = Atomic<Int>(0)

    init(options: Options, chunkFiles: HeadChunkFiles) {
        precondition(options.stripeCount > 0 && options.stripeCount & (options.stripeCount - 1) == 0,
                     "stripe count must be a power of two")
        self.options = options
        self.stripes = (0..<options.stripeCount).map { _ in Stripe() }
        self.mask = UInt64(options.stripeCount - 1)
        self.shift = UInt64(options.stripeCount.trailingZeroBitCount)
        self.chunkFiles = chunkFiles
    }

    /// Number of series in the head.
    public var numSeries: Int { seriesCount.load(ordering: .relaxed) }
    /// Time of the oldest sample, `.max` if empty.
    public var minTime: Int64 { minTimeValue.load(ordering: .relaxed) }
    /// Time of the newest sample, `.min` if empty.
    public var maxTime: Int64 { maxTimeValue.load(ordering: .relaxed) }
    public var minValidTime: Int64 { minValidTimeValue.load(ordering: .relaxed) }

    /// The oldest timestamp an appender accepts: Prometheus's
    /// `max(minValidTime, maxTime - chunkRange/2)` once the head has data.
    var appendableMinValidTime: Int64 {
        let mx = maxTime
        let floor = minValidTime
        if mx == .min { return floor }
        return Swift.max(floor, mx - options.chunkRange / 2)
    }

    /// Consecutive refs per block; a block lives in one stripe.
    static let blockBits: UInt64 = 6

    @inline(__always)
    func stripe(ofRef ref: UInt64) -> Stripe { stripes[Int((ref &>> Self.blockBits) & mask)] }

    /// Index of series `ref` in its stripe's array.
    @inline(__always)
    func slot(ofRef ref: UInt64) -> Int {
        Int(truncatingIfNeeded: ((ref &>> Self.blockBits) &>> shift) &<< Self.blockBits | (ref & ((1 &<< Self.blockBits) &- 1)))
    }

    /// The inverse of ``slot(ofRef:)`` for stripe number `stripe`.
    @inline(__always)
    func ref(slot i: Int, stripe: Int) -> UInt64 {
        let block = UInt64(i) &>> Self.blockBits
        return (block &<< shift | UInt64(stripe)) &<< Self.blockBits | (UInt64(i) & ((1 &<< Self.blockBits) &- 1))
    }

    /// The series with these labels, if any.
    func lookup(_ labels: Labels, hash: UInt64) -> UInt64? {
        stripes[Int(hash & mask)].hashes.withLock { h in find(labels, hash: hash, in: h) }
    }

    private func find(_ labels: Labels, hash: UInt64, in h: Stripe.HashState) -> UInt64? {
        guard let first = h.first[hash] else { return nil }
        if has(first, labels) { return first }
        for ref in h.collisions[hash] ?? [] where has(ref, labels) { return ref }
        return nil
    }

    /// Whether series `ref` has exactly `labels`.
    private func has(_ ref: UInt64, _ labels: Labels) -> Bool {
        let i = slot(ofRef: ref)
        return stripe(ofRef: ref).series.withLock { s in s.isLive(i) && symbols.equals(s.labelIDs(of: i), labels) }
    }

    /// Label ids of series `ref`, or nil.
    func labelRefs(_ ref: UInt64) -> [UInt32]? {
        let i = slot(ofRef: ref)
        return stripe(ofRef: ref).series.withLock { s in s.isLive(i) ? Array(s.labelIDs(of: i)) : nil }
    }

    /// Labels of series `ref`, or nil once it is gone (refs are never reused).
    public func labelsOf(_ ref: UInt64) -> Labels? {
        labelRefs(ref).map(symbols.labels)
    }

    /// Slots a replayed series may skip ahead in its stripe. Refs are handed out in order, so
    /// a jump this large (a million series created in one stripe while none was logged) means the
    /// record is damaged; placing it would allocate every slot up to it.
    static let maxReplayedSlotGap = 1 << 20

    /// Whether a ref read back from the WAL or a snapshot can be placed.
    func acceptsReplayedRef(_ ref: UInt64) -> Bool {
        guard ref < UInt64.max >> 1 else { return false }
        let i = slot(ofRef: ref)
        return i >= 0 && stripe(ofRef: ref).series.withLock { i < $0.series.count + Self.maxReplayedSlotGap }
    }

    /// Finds or creates the series. `ref` forces the ref of a new series (WAL replay).
    func getOrCreate(_ labels: Labels, hash: UInt64, ref forced: UInt64? = nil) -> (ref: UInt64, created: Bool) {
        stripes[Int(hash & mask)].hashes.withLock { h in
            if let existing = find(labels, hash: hash, in: h) { return (existing, false) }
            let ref: UInt64
            if let forced {
                ref = forced
                // Keep later allocations above every replayed ref.
                var current = nextRef.load(ordering: .relaxed)
                while current <= forced {
                    let (exchanged, original) = nextRef.compareExchange(
                        expected: current, desired: forced + 1, ordering: .relaxed)
                    if exchanged { break }
                    current = original
                }
            } else {
                ref = nextRef.wrappingAdd(1, ordering: .relaxed).oldValue
            }
            let ids = symbols.intern(labels)
            var series = MemSeries()
            // A replayed series came from the WAL, so its record is there already.
            series.walLogged = forced != nil
            insert(series, labelIDs: ids, ref: ref)
            let canonical = symbols.labels(ids)
            if h.first[hash] == nil { h.first[hash] = ref } else { h.collisions[hash, default: []].append(ref) }
            postings.add(ref, labels: canonical)
            seriesCount.add(1, ordering: .relaxed)
            return (ref, true)
        }
    }

    /// Places a series, its label ids, its completed chunks and its open chunk in its slot
    /// (loading a snapshot). `openChunk` has been checked (``XOREncoder/init(restoring:)`` accepts it).
    func insert(
        _ series: MemSeries, labelIDs ids: [UInt32], mapped: [MappedChunkMeta] = [],
        openChunk: HeadChunkEncoder.State? = nil, ref: UInt64
    ) {
        let i = slot(ofRef: ref)
        stripe(ofRef: ref).series.withLock { s in
            if i >= s.series.count {
                let missing = i + 1 - s.series.count
                for _ in 0..<missing {
                    var placeholder = MemSeries()
                    placeholder.alive = false
                    s.series.append(placeholder)
                }
            }
            s.series[i] = series
            s.series[i].alive = true
            s.storeLabelIDs(ids, for: i)
            s.series[i].mappedCount = 0
            s.setMappedChunks(mapped, for: i)
            if let state = openChunk, let chunk = OpenChunk(restoring: state, in: s.chunks) {
                s.series[i].head = chunk
            }
        }
    }

    /// Widens the head's time range to include `[lo, hi]`.
    func extendTimeRange(_ lo: Int64, _ hi: Int64) {
        var cur = minTimeValue.load(ordering: .relaxed)
        while lo < cur {
            let (ok, orig) = minTimeValue.compareExchange(expected: cur, desired: lo, ordering: .relaxed)
            if ok { break }
            cur = orig
        }
        cur = maxTimeValue.load(ordering: .relaxed)
        while hi > cur {
            let (ok, orig) = maxTimeValue.compareExchange(expected: cur, desired: hi, ordering: .relaxed)
            if ok { break }
            cur = orig
        }
    }

    /// Appends committed or replayed samples, taking each stripe's lock once per run of samples
    /// in the same ref block (batches list a scrape's or a request's series together, so runs are
    /// long). Returns how many were dropped (unknown series, or not newer than the newest sample),
    /// and of those how many belonged to no known series (after WAL damage took their record).
    func appendCommitted(
        _ samples: UnsafeBufferPointer<WALSample>, clearPendingOf owner: UInt32 = 0
    ) throws -> (dropped: Int, unknown: Int) {
        let range = options.chunkRange
        let files = chunkFiles
        // Samples below the floor belong to a block already written (or being written).
        let floor = minValidTime
        var dropped = 0
        var unknown = 0
        var i = 0
        while i < samples.count {
            let block = samples[i].ref &>> Self.blockBits
            var end = i &+ 1
            while end < samples.count && samples[end].ref &>> Self.blockBits == block { end &+= 1 }
            let start = i
            dropped &+= try stripe(ofRef: samples[start].ref).series.withLock {
                (s: inout Stripe.SeriesState) throws -> Int in
                // One uniqueness check for the run, not one per sample.
                let space = s.chunks
                defer {
                    if space.wantsCompaction { s.compactChunks() }
                    if space.mapped.wantsCompaction { s.compactMappedChunks() }
                }
                return try s.series.withUnsafeMutableBufferPointer { series throws -> Int in
                    var d = 0
                    for k in start..<end {
                        let sample = samples[k]
                        let slot = slot(ofRef: sample.ref)
                        guard slot >= 0, slot < series.count, series[slot].alive else {
                            d &+= 1
                            unknown &+= 1
                            continue
                        }
                        if owner != 0 && series[slot].pendingOwner == owner { series[slot].pendingOwner = 0 }
                        // Replayed samples were checked when appended; bounds guard against damage.
                        if sample.timestamp < floor || !StorableTime.range.contains(sample.timestamp) {
                            d &+= 1
                            continue
                        }
                        if try !series[slot].append(sample.timestamp, sample.value, ref: sample.ref,
                                                    chunkRange: range, files: files, space: space) {
                            d &+= 1
                        }
                    }
                    return d
                }
            }
            i = end
        }
        return (dropped, unknown)
    }

    /// Calls `body` with every live series and its stripe's chunk space (for snapshots and
    /// truncation), stripe by stripe.
    func forEachSeries(_ body: (UInt64, inout MemSeries, ChunkSpace) throws -> Void) rethrows {
        for (si, stripe) in stripes.enumerated() {
            try stripe.series.withLock { (s: inout Stripe.SeriesState) throws in
                let space = s.chunks
                for i in s.series.indices where s.series[i].alive {
                    try body(ref(slot: i, stripe: si), &s.series[i], space)
                }
            }
        }
    }

    /// Recomputes the time range from the series (after replay).
    func recomputeTimeRange() {
        var lo = Int64.max, hi = Int64.min
        forEachSeries { _, s, space in
            lo = Swift.min(lo, s.minTime(in: space))
            let m = s.maxTime(in: space)
            if m != .min { hi = Swift.max(hi, m) }
        }
        minTimeValue.store(lo, ordering: .relaxed)
        maxTimeValue.store(hi, ordering: .relaxed)
    }
}

extension Head {
    /// Bytes of the completed-chunk files.
    public var chunkFilesDiskSize: Int { chunkFiles.diskSize }
    /// Samples dropped at commit because a concurrent batch appended a newer one first.
    public var outOfOrderDroppedAtCommit: Int { outOfOrderAtCommit.load(ordering: .relaxed) }
}
