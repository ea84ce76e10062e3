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
    /// Label ids in the head's symbol table: name, value, name, value, ... sorted by name.
    var labelRefs: [UInt32]
    /// The open chunk, nil until the first sample.
    var head: XORAppender?
    var headMinTime: Int64 = 0
    /// When the open chunk will be cut (Prometheus's `nextAt`).
    var nextAt: Int64 = .min
    var mapped: [MappedChunkMeta] = []
    /// An uncommitted sample of appender `pendingOwner`, so a batch can check its own ordering.
    var pendingOwner: UInt32 = 0
    var pendingTimestamp: Int64 = 0
    var pendingValueBits: UInt64 = 0
    /// False for an empty slot of the stripe's array.
    var alive = true
    /// Whether the series record is in the WAL. Until it is, every batch that appends to the
    /// series logs the record too, so its samples can never reach the WAL without it.
    var walLogged = false

    init(labelRefs: [UInt32]) {
        self.labelRefs = labelRefs
    }

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

    /// Checks a sample and, if it can be appended, records it as `owner`'s pending sample.
    /// Mutating so that it runs in place in the stripe's array, without copying the series.
    @inline(__always)
    mutating func admit(_ t: Int64, _ vbits: UInt64, owner: UInt32) -> Appendability {
        let verdict = appendable(t, vbits, owner: owner)
        if case .ok = verdict {
            pendingOwner = owner
            pendingTimestamp = t
            pendingValueBits = vbits
        }
        return verdict
    }

    /// Checks `t`/`v` against the newest committed sample and, for appender `owner`, its pending one.
    func appendable(_ t: Int64, _ vbits: UInt64, owner: UInt32) -> Appendability {
        var newest = Int64.min
        var newestBits: UInt64 = 0
        if let head, head.count > 0 {
            newest = head.lastTimestamp
            newestBits = head.lastValue.bitPattern
        } else if let last = mapped.last {
            if t <= last.maxTime { return .outOfOrder(newest: last.maxTime) }
        }
        if pendingOwner == owner && owner != 0 && pendingTimestamp >= newest {
            newest = pendingTimestamp
            newestBits = pendingValueBits
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
                try cut(ref: ref, files: files)
                startChunk(t, chunkRange: chunkRange)
            }
        } else {
            if let last = mapped.last, t <= last.maxTime { return false }
            startChunk(t, chunkRange: chunkRange)
        }
        // Mutated in place through the optional: no copy of the chunk buffer.
        head!.append(timestamp: t, value: v)
        return true
    }

    private mutating func startChunk(_ t: Int64, chunkRange: Int64) {
        head = XORAppender()
        headMinTime = t
        nextAt = rangeEnd(t, chunkRange)
    }

    /// Writes the open chunk to the chunk files and remembers only its location.
    mutating func cut(ref: UInt64, files: HeadChunkFiles) throws {
        guard let chunk = head, chunk.count > 0 else { return }
        let chunkRef = try files.write(seriesRef: ref, minTime: headMinTime, maxTime: chunk.lastTimestamp,
                                       chunk: chunk.bytes)
        mapped.append(MappedChunkMeta(ref: chunkRef, minTime: headMinTime, maxTime: chunk.lastTimestamp,
                                      sampleCount: chunk.count))
        head = nil
    }
}
