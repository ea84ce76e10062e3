import HearthChunks
import HearthModel

/// Prometheus's chunk cutting: the end of the chunk range containing `t`.
@inline(__always)
func rangeEnd(_ t: Int64, _ width: Int64) -> Int64 {
    (t / width) * width + width
}

/// Prometheus's `computeChunkEndTime`: once a chunk holds a quarter of its target samples,
/// predict an end time that spreads the rest of the range evenly over ~120-sample chunks.
@inline(__always)
func predictedChunkEnd(start: Int64, current: Int64, max: Int64) -> Int64 {
    let n = Double(max - start) / (Double(current - start + 1) * 4)
    if n <= 1 { return max }
    return start + Int64(Double(max - start) / n.rounded(.down))
}

/// Outcome of checking a sample against a series.
enum Appendability {
    case ok
    /// Exact duplicate of the newest sample: accepted and ignored.
    case duplicate
    case outOfOrder(newest: Int64)
    case differentValue
    case unknownSeries
}

/// One series of the head. Lives inline in its stripe's array and is only touched under the
/// stripe's lock. Completed chunks are on disk, their metas in the stripe's
/// ``MappedChunkArena`` (`space.mapped`); the open chunk's bytes are in the stripe's
/// ``ChunkSpace``. Plain data (no references), so the stripe's array copies cheaply.
struct MemSeries {
    /// Where this series' label ids (name, value, name, value, ... sorted by name, as ids in the
    /// head's symbol table) are in its stripe's `labelIDs` arena: one shared array per stripe
    /// instead of one small allocation per series.
    var labelStart: UInt32 = 0
    var labelIDCount: UInt16 = 0
    /// False for an empty slot of the stripe's array.
    var alive = true
    /// Whether the series record is in the WAL. Until it is, every batch that appends to the
    /// series logs the record too, so its samples can never reach the WAL without it.
    var walLogged = false
    /// When the open chunk will be cut (Prometheus's `nextAt`).
    var nextAt: Int64 = .min
    /// Where this series' completed chunks are listed in `space.mapped`, oldest first.
    var mappedStart: UInt32 = 0
    var mappedCount: UInt32 = 0
    /// Appender `pendingOwner` has an uncommitted sample for this series, at `pendingIndex` of
    /// its buffer: a batch checks its own ordering against it.
    var pendingOwner: UInt32 = 0
    var pendingIndex: UInt32 = 0
    /// The open chunk, closed until the first sample.
    var head = OpenChunk.closed
    /// Whether the series' last chunk was smaller in XOR than in the decimal encoding: its next
    /// chunk is then written in XOR from the start. (Last, where it fits the slot's padding.)
    var xorChunks = false

    init() {}

    /// The metas of the completed chunks, oldest first.
    @inline(__always)
    func mapped(in space: ChunkSpace) -> ArraySlice<MappedChunkMeta> {
        space.mapped[mappedStart, mappedCount]
    }

    /// Time of the newest committed sample, or `.min` if none.
    func maxTime(in space: ChunkSpace) -> Int64 {
        if head.count > 0 { return head.lastTimestamp }
        return mapped(in: space).last?.maxTime ?? .min
    }

    func minTime(in space: ChunkSpace) -> Int64 {
        if let first = mapped(in: space).first { return first.minTime }
        if head.count > 0 { return head.firstTimestamp(in: space) }
        return .max
    }

    /// Checks a sample and, if it can be appended, records it as `owner`'s pending sample at
    /// `index` of its buffer. `pending` is that appender's previous pending sample for this series.
    /// Mutating so that it runs in place in the stripe's array, without copying the series.
    @inline(__always)
    mutating func admit(
        _ t: Int64, _ vbits: UInt64, owner: UInt32, index: Int, pending: (timestamp: Int64, valueBits: UInt64)?,
        space: ChunkSpace
    ) -> Appendability {
        let verdict = appendable(t, vbits, pending: pending, space: space)
        if case .ok = verdict {
            pendingOwner = owner
            pendingIndex = UInt32(truncatingIfNeeded: index)
        }
        return verdict
    }

    /// Checks `t`/`v` against the newest committed sample and the batch's pending one.
    func appendable(
        _ t: Int64, _ vbits: UInt64, pending: (timestamp: Int64, valueBits: UInt64)?, space: ChunkSpace
    ) -> Appendability {
        var newest = Int64.min
        var newestBits: UInt64 = 0
        if head.count > 0 {
            newest = head.lastTimestamp
            newestBits = head.lastValue.bitPattern
        } else if mappedCount > 0, let last = mapped(in: space).last {
            if t <= last.maxTime { return .outOfOrder(newest: last.maxTime) }
        }
        if let pending, pending.timestamp >= newest {
            newest = pending.timestamp
            newestBits = pending.valueBits
        }
        if newest == .min || t > newest { return .ok }
        if t < newest { return .outOfOrder(newest: newest) }
        return vbits == newestBits ? .duplicate : .differentValue
    }

    /// Appends a committed sample, cutting the open chunk to disk when Prometheus would.
    /// Returns false (and appends nothing) if `t` is not after the newest sample.
    @inline(__always)
    mutating func append(
        _ t: Int64, _ v: Double, ref: UInt64, chunkRange: Int64, files: HeadChunkFiles, space: ChunkSpace
    ) throws -> Bool {
        let n = head.count
        if n > 0 {
            let newest = head.lastTimestamp
            if t <= newest { return false }
            if Int(n) == ChunkLimits.samplesPerChunk / 4 {
                nextAt = predictedChunkEnd(start: head.firstTimestamp(in: space), current: newest, max: nextAt)
            }
            if t >= nextAt || Int(n) >= ChunkLimits.samplesPerChunk * 2 {
                try cut(ref: ref, files: files, space: space)
                startChunk(t, chunkRange: chunkRange, space: space)
            }
        } else {
            if mappedCount > 0, let last = mapped(in: space).last, t <= last.maxTime { return false }
            if !head.isOpen { startChunk(t, chunkRange: chunkRange, space: space) }
        }
        head.append(timestamp: t, value: v, in: space)
        return true
    }

    private mutating func startChunk(_ t: Int64, chunkRange: Int64, space: ChunkSpace) {
        head = OpenChunk(in: space, decimal: !xorChunks)
        nextAt = rangeEnd(t, chunkRange)
    }

    /// Writes the open chunk to the chunk files (in XOR), remembers only its location and
    /// returns its segments to the stripe's space.
    mutating func cut(ref: UInt64, files: HeadChunkFiles, space: ChunkSpace) throws {
        guard head.count > 0 else { return }
        let maxTime = head.lastTimestamp
        let minTime = head.firstTimestamp(in: space)
        let (bytes, otherSize) = head.xorBytes(in: space)
        xorChunks = bytes.count <= otherSize
        let chunkRef = try files.write(seriesRef: ref, minTime: minTime, maxTime: maxTime, length: bytes.count) {
            $0.append(contentsOf: bytes)
        }
        space.mapped.append(MappedChunkMeta(ref: chunkRef, minTime: minTime, maxTime: maxTime, sampleCount: head.count),
                            start: &mappedStart, count: &mappedCount)
        head.release(in: space)
    }

    /// Drops the open chunk (its samples are in a block, or the series is going).
    mutating func dropOpenChunk(in space: ChunkSpace) {
        head.release(in: space)
    }
}
