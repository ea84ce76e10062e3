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
/// stripe's lock. Completed chunks are on disk (`mapped`); only the open chunk is on the heap.
struct MemSeries {
    /// Where this series' label ids (name, value, name, value, ... sorted by name, as ids in the
    /// head's symbol table) are in its stripe's `labelIDs` arena: one shared array per stripe
    /// instead of one small allocation per series.
    var labelStart: UInt32 = 0
    var labelIDCount: UInt16 = 0
    /// The open chunk, nil until the first sample.
    var head: XORAppender?
    /// When the open chunk will be cut (Prometheus's `nextAt`).
    var nextAt: Int64 = .min
    var mapped: [MappedChunkMeta] = []
    /// Appender `pendingOwner` has an uncommitted sample for this series, at `pendingIndex` of
    /// its buffer: a batch checks its own ordering against it.
    var pendingOwner: UInt32 = 0
    var pendingIndex: UInt32 = 0
    /// False for an empty slot of the stripe's array.
    var alive = true
    /// Whether the series record is in the WAL. Until it is, every batch that appends to the
    /// series logs the record too, so its samples can never reach the WAL without it.
    var walLogged = false

    init() {}

    /// Time of the first sample of the open chunk.
    var headMinTime: Int64 { head?.firstTimestamp ?? 0 }

    /// Time of the newest committed sample, or `.min` if none.
    var maxTime: Int64 {
        if let head, head.count > 0 { return head.lastTimestamp }
        return mapped.last?.maxTime ?? .min
    }

    var minTime: Int64 {
        if let first = mapped.first { return first.minTime }
        if let head, head.count > 0 { return headMinTime }
        return .max
    }

    /// Checks a sample and, if it can be appended, records it as `owner`'s pending sample at
    /// `index` of its buffer. `pending` is that appender's previous pending sample for this series.
    /// Mutating so that it runs in place in the stripe's array, without copying the series.
    @inline(__always)
    mutating func admit(
        _ t: Int64, _ vbits: UInt64, owner: UInt32, index: Int, pending: (timestamp: Int64, valueBits: UInt64)?
    ) -> Appendability {
        let verdict = appendable(t, vbits, pending: pending)
        if case .ok = verdict {
            pendingOwner = owner
            pendingIndex = UInt32(truncatingIfNeeded: index)
        }
        return verdict
    }

    /// Checks `t`/`v` against the newest committed sample and the batch's pending one.
    func appendable(_ t: Int64, _ vbits: UInt64, pending: (timestamp: Int64, valueBits: UInt64)?) -> Appendability {
        var newest = Int64.min
        var newestBits: UInt64 = 0
        if let head, head.count > 0 {
            newest = head.lastTimestamp
            newestBits = head.lastValue.bitPattern
        } else if let last = mapped.last {
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
    mutating func append(
        _ t: Int64, _ v: Double, ref: UInt64, chunkRange: Int64, files: HeadChunkFiles
    ) throws -> Bool {
        if let n = head?.count, n > 0 {
            let newest = head!.lastTimestamp
            if t <= newest { return false }
            if Int(n) == ChunkLimits.samplesPerChunk / 4 {
                nextAt = predictedChunkEnd(start: headMinTime, current: newest, max: nextAt)
            }
            if t >= nextAt || Int(n) >= ChunkLimits.samplesPerChunk * 2 {
                let previousSize = head!.byteCount
                try cut(ref: ref, files: files)
                startChunk(t, chunkRange: chunkRange, expectedSize: previousSize)
            }
        } else {
            if let last = mapped.last, t <= last.maxTime { return false }
            startChunk(t, chunkRange: chunkRange)
        }
        // Mutated in place through the optional: no copy of the chunk buffer.
        head!.append(timestamp: t, value: v)
        return true
    }

    private mutating func startChunk(_ t: Int64, chunkRange: Int64, expectedSize: Int = 128) {
        // A fresh buffer per chunk, sized like the previous chunk: it usually lands in the block
        // the previous buffer just freed. (Reusing that buffer kept a larger capacity than the
        // next chunk needed; growing a fresh one from 128 bytes, or from half the previous size,
        // left the heap full of holes: 1,277 instead of 1,162 resident bytes per series.)
        head = XORAppender(reservingCapacity: expectedSize)
        nextAt = rangeEnd(t, chunkRange)
    }

    /// Writes the open chunk to the chunk files and remembers only its location.
    mutating func cut(ref: UInt64, files: HeadChunkFiles) throws {
        guard let n = head?.count, n > 0 else { return }
        let maxTime = head!.lastTimestamp
        let minTime = headMinTime
        let chunkRef = try files.write(seriesRef: ref, minTime: minTime, maxTime: maxTime, chunk: head!)
        mapped.append(MappedChunkMeta(ref: chunkRef, minTime: minTime, maxTime: maxTime, sampleCount: n))
        head = nil
    }
}
