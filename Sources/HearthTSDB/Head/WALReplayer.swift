import HearthChunks
import HearthModel
import HearthWAL
import Synchronization

/// Applies WAL records to a head on start-up. Series records recreate series with their
/// original refs (and the completed chunks found on disk for them); sample records append,
/// skipping samples already in a completed chunk.
final class WALReplayer {
    let head: Head
    let mapped: [UInt64: [MappedChunkMeta]]
    var samples: [WALSample] = []
    var unknownRefs = 0

    init(head: Head, mapped: [UInt64: [MappedChunkMeta]]) {
        self.head = head
        self.mapped = mapped
        samples.reserveCapacity(4096)
    }

    func apply(_ payload: UnsafeRawBufferPointer) throws {
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
            samples.removeAll(keepingCapacity: true)
            try WALRecordCodec.decodeSamples(payload, into: &samples)
            for s in samples {
                if try !head.appendCommitted(s.ref, s.timestamp, s.value) { unknownRefs += 1 }
            }
        case nil:
            break
        }
    }
}
