import Dispatch
import HearthChunks
import HearthModel
import HearthWAL
import Synchronization


/// Applies WAL records to a head on start-up. Series records recreate series with their
/// original refs (and the completed chunks found on disk for them); sample records append,
/// skipping samples already in a completed chunk.
///
/// Replay is memory-bound: in WAL order a series gets one sample per scrape round, so every
/// sample would touch a cold series and a cold chunk. Two things make it cache-friendly:
/// - as Prometheus does, samples are applied by several workers in parallel, sharded by ref
///   block, so each series is only ever touched by one worker;
/// - each worker takes a window of samples and sorts it by ref block with a stable radix sort,
///   so the 64 series of a block (adjacent in memory) get all their samples of the window in
///   one visit, each series' samples still in order.
/// The reading thread decodes records and creates series before it hands out the samples that
/// refer to them.
final class WALReplayer {
    let head: Head
    let mapped: [UInt64: [MappedChunkMeta]]
    let workers: Workers
    /// Samples collected per shard until a window is full.
    var pending: [[WALSample]]
    let window: Int

    /// The parallel part: one serial queue per shard.
    final class Workers: Sendable {
        let head: Head
        let queues: [DispatchQueue]
        let group = DispatchGroup()
        /// Bounds the decoded batches in flight, so replay memory stays small.
        let inFlight: DispatchSemaphore
        let dropped = Atomic<Int>(0)
        let unknown = Atomic<Int>(0)
        let failure = Mutex<(any Error)?>(nil)

        init(head: Head, shards: Int) {
            self.head = head
            self.queues = (0..<shards).map { DispatchQueue(label: "hearth.wal-replay.\($0)") }
            self.inFlight = DispatchSemaphore(value: 2 * shards)
        }

        func submit(_ shard: [WALSample], to i: Int) {
            inFlight.wait()
            queues[i].async(group: group) {
                defer { self.inFlight.signal() }
                do {
                    var sorted = shard
                    RadixSort.sortByBlock(&sorted)
                    let (d, u) = try sorted.withUnsafeBufferPointer { try self.head.appendCommitted($0) }
                    self.dropped.add(d, ordering: .relaxed)
                    self.unknown.add(u, ordering: .relaxed)
                } catch {
                    self.failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
    }

    init(head: Head, mapped: [UInt64: [MappedChunkMeta]], shards: Int = max(1, Processors.online),
         window: Int = 1 << 19) {
        self.window = window
        self.head = head
        self.mapped = mapped
        self.workers = Workers(head: head, shards: shards)
        self.pending = [[WALSample]](repeating: [], count: shards)
    }

    var shardCount: Int { workers.queues.count }

    /// Samples dropped because their series was unknown or they were not newer.
    var droppedSamples: Int { workers.dropped.load(ordering: .relaxed) }

    /// Samples dropped because no series record named their ref (it was lost to damage).
    var orphanSamples: Int { workers.unknown.load(ordering: .relaxed) }

    func apply(_ payload: UnsafeRawBufferPointer) throws {
        if let error = workers.failure.withLock({ $0 }) { throw error }
        switch WALRecordCodec.type(of: payload) {
        case .series:
            var scratch: [UInt8] = []
            let list = try WALRecordCodec.decodeSeries(payload)
            if let bad = list.first(where: { !head.acceptsReplayedRef($0.ref) }) {
                throw WALRecordDecodeError(reason: "series ref \(bad.ref) out of range")
            }
            if let bad = list.first(where: { $0.labels.count > Labels.maximumCount || $0.labels.isEmpty }) {
                throw WALRecordDecodeError(reason: "series ref \(bad.ref) with \(bad.labels.count) labels")
            }
            for s in list {
                let hash = s.labels.stableHash(scratch: &scratch)
                let (ref, created) = head.getOrCreate(s.labels, hash: hash, ref: s.ref)
                if created, let chunks = mapped[ref] {
                    let i = head.slot(ofRef: ref)
                    head.stripe(ofRef: ref).series.withLock { st in
                        st.setMappedChunks(chunks.sorted { $0.minTime < $1.minTime }, for: i)
                    }
                }
            }
        case .samples:
            // Work on a local copy of the shard buffers: appending to a class's stored array
            // would pay a dynamic exclusivity check per sample.
            var shards: [[WALSample]] = []
            swap(&shards, &pending)
            defer { swap(&shards, &pending) }
            let n = UInt64(shardCount)
            let workers = self.workers
            let window = self.window
            try WALRecordCodec.forEachSample(payload) { s in
                let i = n == 1 ? 0 : Int((s.ref &>> Head.blockBits) % n)
                shards[i].append(s)
                if shards[i].count >= window {
                    workers.submit(shards[i], to: i)
                    shards[i] = []
                    shards[i].reserveCapacity(window)
                }
            }
        case nil:
            break
        }
    }

    /// Waits for every handed-out batch; rethrows the first failure.
    func finish() throws {
        for i in pending.indices where !pending[i].isEmpty {
            workers.submit(pending[i], to: i)
            pending[i] = []
        }
        workers.group.wait()
        if let error = workers.failure.withLock({ $0 }) { throw error }
    }
}

/// A stable least-significant-digit radix sort of samples by ref block (`ref >> blockBits`),
/// 16 bits per pass: one pass up to 4M series. Linear time, and stable, so each series'
/// samples keep their WAL order.
enum RadixSort {
    static func sortByBlock(_ samples: inout [WALSample]) {
        guard samples.count > 1 else { return }
        var maxRef: UInt64 = 0
        for s in samples where s.ref > maxRef { maxRef = s.ref }
        maxRef &>>= Head.blockBits
        var scratch = [WALSample](repeating: WALSample(ref: 0, timestamp: 0, value: 0), count: samples.count)
        // Only as many buckets as there are blocks (one pass covers up to 65,536 blocks).
        var counts = [Int](repeating: 0, count: Int(Swift.min(maxRef, 0xFFFF)) + 1)
        var shift: UInt64 = 0
        while shift < 64 && (maxRef &>> shift) != 0 {
            samples.withUnsafeBufferPointer { src in
                scratch.withUnsafeMutableBufferPointer { dst in
                    counts.withUnsafeMutableBufferPointer { c in
                        for i in 0..<c.count { c[i] = 0 }
                        // A digit never exceeds min(maxRef, 0xFFFF): in range of `counts` in the
                        // first pass, and a second pass only happens with all 65,536 buckets.
                        for s in src { c[Int((s.ref &>> (shift &+ Head.blockBits)) & 0xFFFF)] &+= 1 }
                        var total = 0
                        for i in 0..<c.count {
                            let n = c[i]
                            c[i] = total
                            total &+= n
                        }
                        for s in src {
                            let d = Int((s.ref &>> (shift &+ Head.blockBits)) & 0xFFFF)
                            dst[c[d]] = s
                            c[d] &+= 1
                        }
                    }
                }
            }
            swap(&samples, &scratch)
            shift &+= 16
        }
    }
}
