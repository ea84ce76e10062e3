import HearthChunks
import HearthEncoding
import HearthFileIO
import HearthModel
import HearthStorage

/// Writes blocks: chunks into segment files, then the index, tombstones and meta.json, all into
/// `<ulid>.tmp-for-creation`, synced, then renamed into place. A crash at any point leaves at
/// most a temporary directory, which ``BlockWriter/removeTemporaryDirectories(in:)`` clears at
/// the next open; a block directory is visible only once complete.
public enum BlockWriter {
    public static let temporarySuffix = ".tmp-for-creation"
    /// Twice the head's chunk size: Prometheus and promtool read chunks of any sample count.
    public static let defaultMaxSamplesPerChunk = 240

    /// What a block is made of and where it comes from.
    public struct Plan: Sendable {
        public var minTime: Int64
        /// Exclusive.
        public var maxTime: Int64
        public var level = 1
        /// The level-1 blocks the data came from (the new block's own ULID if empty).
        public var sources: [ULID] = []
        public var parents: [BlockMeta.Parent] = []
        /// Consecutive XOR chunks of a series are joined while they hold at most this many
        /// samples together. The head cuts chunks at ~120 samples so that appends and recent
        /// reads stay cheap; in an immutable block each chunk costs a segment header, a
        /// checksum, a full first timestamp and value, and an index entry, so fewer, fuller
        /// chunks take less disk. 0 keeps chunks as they come.
        public var maxSamplesPerChunk = BlockWriter.defaultMaxSamplesPerChunk

        public init(minTime: Int64, maxTime: Int64) {
            self.minTime = minTime
            self.maxTime = maxTime
        }
    }

    /// Writes `series` (sorted by labels) cut to `[plan.minTime, plan.maxTime)` as a block
    /// under `parent`. Returns nil, writing nothing, when no sample falls in the range.
    /// `crashPoint` lets tests stop between steps.
    public static func write(
        parent: String, plan: Plan, series: [SeriesData], ulid: ULID = ULID(),
        crashPoint: ((String) throws -> Void)? = nil
    ) throws -> BlockMeta? {
        let final = parent + "/\(ulid)"
        let tmp = final + temporarySuffix
        try FileSystem.remove(tmp)
        try FileSystem.createDirectory(tmp)
        var meta = BlockMeta(ulid: ulid, minTime: plan.minTime, maxTime: plan.maxTime)
        meta.level = plan.level
        if !plan.sources.isEmpty { meta.sources = plan.sources }
        meta.parents = plan.parents

        var writer = try ChunkSegmentWriter(directory: tmp + "/chunks")
        var indexSeries: [(labels: Labels, chunks: [IndexChunkMeta])] = []
        indexSeries.reserveCapacity(series.count)
        for s in series {
            // Head chunks in the decimal encoding go to disk as XOR, as Prometheus reads them.
            let chunks = join(cut(s.chunks.map(\.portable), minTime: plan.minTime, maxTime: plan.maxTime), upTo: plan.maxSamplesPerChunk)
            if chunks.isEmpty { continue }
            var metas: [IndexChunkMeta] = []
            metas.reserveCapacity(chunks.count)
            for c in chunks {
                let ref = try c.bytes.withUnsafeBytes { raw throws(BlockError) in try writer.write(encoding: c.encoding, raw) }
                metas.append(IndexChunkMeta(minTime: c.minTime, maxTime: c.maxTime, ref: ref))
                meta.stats.numChunks += 1
                if c.bytes.count >= 2 { meta.stats.numSamples += UInt64(c.bytes[0]) << 8 | UInt64(c.bytes[1]) }
            }
            meta.stats.numSeries += 1
            indexSeries.append((s.labels, metas))
        }
        try writer.close()
        guard meta.stats.numSeries > 0 else {
            try FileSystem.remove(tmp)
            return nil
        }
        try crashPoint?("chunks")
        try BlockFiles.writeFile(tmp + "/index", IndexWriter.encode(indexSeries))
        try crashPoint?("index")
        try BlockFiles.writeFile(tmp + "/" + Tombstones.fileName, Tombstones().encoded())
        try BlockFiles.writeFile(tmp + "/" + BlockMeta.fileName, meta.encoded())
        try FileSystem.syncDirectory(tmp + "/chunks")
        try FileSystem.syncDirectory(tmp)
        try crashPoint?("meta")
        try FileSystem.rename(tmp, to: final)
        try FileSystem.syncDirectory(parent)
        return meta
    }

    /// The chunks cut to `[minTime, maxTime)`, in order and without overlaps. Chunks wholly
    /// inside are kept byte for byte; others are re-encoded with the samples inside.
    static func cut(_ chunks: [ChunkData], minTime: Int64, maxTime: Int64) -> [ChunkData] {
        var ordered = chunks
        for k in ordered.indices.dropFirst() where ordered[k].minTime <= ordered[k - 1].maxTime {
            ordered = SeriesData.mergeChunks(chunks)
            break
        }
        var out: [ChunkData] = []
        for c in ordered {
            if c.maxTime < minTime || c.minTime >= maxTime { continue }
            if c.minTime >= minTime && c.maxTime < maxTime {
                out.append(c)
            } else if c.encoding == .xor {
                let kept = c.decodedSamples().filter { $0.timestamp >= minTime && $0.timestamp < maxTime }
                out.append(contentsOf: ChunkData.encode(kept))
            }
        }
        return out
    }

    /// Joins runs of consecutive XOR chunks holding at most `limit` samples together.
    static func join(_ chunks: [ChunkData], upTo limit: Int) -> [ChunkData] {
        guard limit > 0, chunks.count > 1 else { return chunks }
        func count(_ c: ChunkData) -> Int { c.bytes.count >= 2 ? Int(c.bytes[0]) << 8 | Int(c.bytes[1]) : 0 }
        var out: [ChunkData] = []
        var run: [ChunkData] = []
        var runCount = 0
        func flush() {
            if run.count == 1 {
                out.append(run[0])
            } else if run.count > 1 {
                let samples = run.flatMap { $0.decodedSamples() }
                // A chunk that does not decode is kept as it is, never dropped.
                if samples.count == runCount {
                    out.append(contentsOf: ChunkData.encode(samples, perChunk: limit))
                } else {
                    out.append(contentsOf: run)
                }
            }
            run = []
            runCount = 0
        }
        for c in chunks {
            if c.encoding != .xor || runCount + count(c) > limit { flush() }
            if c.encoding != .xor {
                out.append(c)
                continue
            }
            run.append(c)
            runCount += count(c)
        }
        flush()
        return out
    }

    /// Removes directories a crashed write left behind.
    public static func removeTemporaryDirectories(in parent: String) throws {
        for name in try FileSystem.list(parent) where name.hasSuffix(temporarySuffix) || name.hasSuffix(".tmp-for-deletion") {
            try FileSystem.remove(parent + "/" + name)
        }
    }
}
