import Dispatch
import HearthChunks
import HearthModel
import HearthWAL
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Applies WAL records to a head on start-up. Series records recreate series with their
/// original refs (and the completed chunks found on disk for them); sample records append,
/// skipping samples already in a completed chunk.
///
/// Replay is memory-bound (each sample touches its series and its chunk), so, as Prometheus
/// does, samples are applied by several workers in parallel, sharded by ref block so that each
/// series is only ever touched by one worker and its samples stay in order. The reading thread
/// decodes records and creates series before it hands out the samples that refer to them.
final class WALReplayer {
    let head: Head
    let mapped: [UInt64: [MappedChunkMeta]]
    let workers: Workers
    var decoded: [WALSample] = []

    /// The parallel part: one serial queue per shard.
    final class Workers: Sendable {
        let head: Head
        let queues: [DispatchQueue]
        let group = DispatchGroup()
        /// Bounds the decoded batches in flight, so replay memory stays small.
        let inFlight: DispatchSemaphore
        let dropped = Atomic<Int>(0)
        let failure = Mutex<(any Error)?>(nil)

        init(head: Head, shards: Int) {
            self.head = head
            self.queues = (0..<shards).map { DispatchQueue(label: "hearth.wal-replay.\($0)") }
            self.inFlight = DispatchSemaphore(value: 8 * shards)
        }

        func submit(_ shard: [WALSample], to i: Int) {
            inFlight.wait()
            queues[i].async(group: group) {
                defer { self.inFlight.signal() }
                do {
                    let d = try shard.withUnsafeBufferPointer { try self.head.appendCommitted($0) }
                    self.dropped.add(d, ordering: .relaxed)
                } catch {
                    self.failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
    }

    init(head: Head, mapped: [UInt64: [MappedChunkMeta]], shards: Int = max(1, System.coreCount)) {
        self.head = head
        self.mapped = mapped
        self.workers = Workers(head: head, shards: shards)
        decoded.reserveCapacity(16_384)
    }

    var shardCount: Int { workers.queues.count }

    /// Samples dropped because their series was unknown or they were not newer.
    var droppedSamples: Int { workers.dropped.load(ordering: .relaxed) }

    func apply(_ payload: UnsafeRawBufferPointer) throws {
        if let error = workers.failure.withLock({ $0 }) { throw error }
        switch WALRecordCodec.type(of: payload) {
        case .series:
            var scratch: [UInt8] = []
            for s in try WALRecordCodec.decodeSeries(payload) {
                let hash = s.labels.stableHash(scratch: &scratch)
                let (ref, created) = head.getOrCreate(s.labels, hash: hash, ref: s.ref)
                if created, let chunks = mapped[ref] {
                    let i = head.slot(ofRef: ref)
                    head.stripe(ofRef: ref).series.withLock { st in
                        st.series[i].mapped = chunks.sorted { $0.minTime < $1.minTime }
                    }
                }
            }
        case .samples:
            decoded.removeAll(keepingCapacity: true)
            try WALRecordCodec.decodeSamples(payload, into: &decoded)
            if shardCount == 1 {
                workers.dropped.add(try decoded.withUnsafeBufferPointer { try head.appendCommitted($0) },
                                    ordering: .relaxed)
                return
            }
            var shards = [[WALSample]](repeating: [], count: shardCount)
            for s in decoded {
                shards[Int((s.ref &>> Head.blockBits) % UInt64(shardCount))].append(s)
            }
            for (i, shard) in shards.enumerated() where !shard.isEmpty {
                workers.submit(shard, to: i)
            }
        case nil:
            break
        }
    }

    /// Waits for every handed-out batch; rethrows the first failure.
    func finish() throws {
        workers.group.wait()
        if let error = workers.failure.withLock({ $0 }) { throw error }
    }
}

/// The number of online CPUs.
enum System {
    static var coreCount: Int {
        #if canImport(Glibc)
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        if n > 0 { return n }
        #endif
        return 1
    }
}
