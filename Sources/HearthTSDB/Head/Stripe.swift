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
        /// Label ids of every series of the stripe, back to back (see `MemSeries.labelStart`).
        var labelIDs: [UInt32] = []
        /// Ids in `labelIDs` that belong to removed series; compacted away when they dominate.
        var deadLabelIDs = 0
        /// The bytes of the stripe's open chunks.
        let chunks = ChunkSpace()

        @inline(__always)
        func isLive(_ i: Int) -> Bool { i < series.count && series[i].alive }

        /// The label ids of the series in slot `i`.
        @inline(__always)
        func labelIDs(of i: Int) -> ArraySlice<UInt32> {
            let start = Int(series[i].labelStart)
            return labelIDs[start..<(start + Int(series[i].labelIDCount))]
        }

        /// Stores a series' label ids in the arena, growing it by an eighth at a time.
        mutating func storeLabelIDs(_ ids: [UInt32], for i: Int) {
            if labelIDs.count + ids.count > labelIDs.capacity {
                labelIDs.reserveCapacity(labelIDs.count + Swift.max(ids.count * 8, labelIDs.count >> 3))
            }
            series[i].labelStart = UInt32(labelIDs.count)
            series[i].labelIDCount = UInt16(ids.count)
            labelIDs.append(contentsOf: ids)
        }

        /// Moves every open chunk into the lowest pages of the chunk space and unmaps the
        /// others (see ``ChunkSpace``). Called when most of the space is free, checked after
        /// each run of appends to the stripe (cuts free segments) and after removing a series.
        mutating func compactChunks() {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(chunks.segmentsInUse * ChunkSpace.dataBytes)
            for i in series.indices where series[i].alive && series[i].head.isOpen {
                series[i].head.appendCompleteBytes(to: &bytes, in: chunks)
            }
            chunks.reset(keepingPagesFor: chunks.segmentsInUse)
            var offset = 0
            for i in series.indices where series[i].alive && series[i].head.isOpen {
                offset = series[i].head.rewrite(from: bytes, at: offset, in: chunks)
            }
        }

        /// Replaces the completed-chunk list of slot `i`.
        mutating func setMappedChunks(_ list: [MappedChunkMeta], for i: Int) {
            var (start, count) = (series[i].mappedStart, series[i].mappedCount)
            chunks.mapped.set(list, start: &start, count: &count)
            (series[i].mappedStart, series[i].mappedCount) = (start, count)
        }

        /// Rebuilds the completed-chunk arena from the live lists (see ``MappedChunkArena``).
        mutating func compactMappedChunks() {
            chunks.mapped.compact { move in
                for i in series.indices where series[i].alive && series[i].mappedCount > 0 {
                    var (start, count) = (series[i].mappedStart, series[i].mappedCount)
                    move(&start, &count)
                    (series[i].mappedStart, series[i].mappedCount) = (start, count)
                }
            }
        }

        /// Marks slot `i` empty and, once most of the arena is dead, rebuilds it.
        mutating func remove(_ i: Int) {
            deadLabelIDs += Int(series[i].labelIDCount)
            series[i].dropOpenChunk(in: chunks)
            chunks.mapped.release(count: &series[i].mappedCount)
            series[i] = MemSeries()
            series[i].alive = false
            if chunks.wantsCompaction { compactChunks() }
            if chunks.mapped.wantsCompaction { compactMappedChunks() }
            if deadLabelIDs > 1024 && deadLabelIDs * 2 > labelIDs.count {
                var compacted: [UInt32] = []
                compacted.reserveCapacity(labelIDs.count - deadLabelIDs)
                for j in series.indices where series[j].alive {
                    let ids = labelIDs(of: j)
                    series[j].labelStart = UInt32(compacted.count)
                    compacted.append(contentsOf: ids)
                }
                labelIDs = compacted
                deadLabelIDs = 0
            }
        }
    }

    struct HashState {
        /// The first series with each hash, and the rare others with the same hash.
        var first: [UInt64: UInt64] = [:]
        var collisions: [UInt64: [UInt64]] = [:]
    }

    let series = Mutex(SeriesState())
    let hashes = Mutex(HashState())
}
