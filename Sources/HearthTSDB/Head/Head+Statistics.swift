import HearthChunks
import HearthIndex
import Synchronization

extension Head {
    /// Where the head's memory goes, by structure, in bytes of capacity (not counting malloc's
    /// own overhead). For benchmarks and `status/tsdb`.
    public struct MemoryStatistics: Sendable, CustomStringConvertible {
        public var series = 0
        public var seriesSlots = 0
        public var labelRefBytes = 0
        public var openChunkBytes = 0
        public var openChunkCapacity = 0
        public var mappedChunkMetaBytes = 0
        /// Completed chunks in the chunk files, plus one open chunk per series that has one.
        public var chunks = 0

        public var description: String {
            "series=\(series) series_slot_bytes=\(seriesSlots) label_ref_bytes=\(labelRefBytes) "
                + "open_chunk_bytes=\(openChunkBytes) open_chunk_capacity=\(openChunkCapacity) "
                + "mapped_chunk_meta_bytes=\(mappedChunkMetaBytes)"
        }
    }

    public func memoryStatistics() -> MemoryStatistics {
        var m = MemoryStatistics()
        for stripe in stripes {
            stripe.series.withLock { s in
                m.seriesSlots += s.series.capacity * MemoryLayout<MemSeries>.stride
                m.labelRefBytes += s.labelIDs.capacity * 4
                m.openChunkCapacity += s.chunks.capacityBytes
                m.mappedChunkMetaBytes += s.chunks.mapped.capacityBytes
                for x in s.series where x.alive {
                    m.series += 1
                    m.chunks += Int(x.mappedCount)
                    if x.head.isOpen {
                        m.chunks += 1
                        m.openChunkBytes += x.head.byteCount
                    }
                }
            }
        }
        return m
    }
}

extension Head {
    /// The number of series carrying each label pair, for `status/tsdb`'s cardinality tables.
    public func labelPairCounts() -> [(name: String, value: String, count: Int)] {
        postings.pairCounts()
    }
}
