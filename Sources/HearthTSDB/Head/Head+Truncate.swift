import HearthChunks
import HearthEncoding
import HearthFileIO
import HearthIndex
import HearthModel
import Logging
import HearthWAL
import Synchronization

extension Head {
    /// What a truncation removed.
    public struct TruncationReport: Sendable {
        public var removedSeries = 0
        public var removedChunks = 0
    }

    /// Drops every chunk that ends before `minTime` and every series left without samples,
    /// and refuses samples before `minTime` from now on. Called once the data before `minTime`
    /// is safely in a block.
    func truncate(before minTime: Int64) throws -> TruncationReport {
        var report = TruncationReport()
        raiseFloor(to: minTime)
        var empty: [UInt64] = []
        forEachSeries { ref, s, space in
            // Chunks are in time order: the ones to drop are a prefix.
            let expired = s.mapped(in: space).prefix { $0.maxTime < minTime }.count
            space.mapped.dropFirst(UInt32(expired), start: &s.mappedStart, count: &s.mappedCount)
            report.removedChunks += expired
            if s.head.count > 0, s.head.lastTimestamp < minTime {
                s.dropOpenChunk(in: space)
                report.removedChunks += 1
            }
            if s.mappedCount == 0 && s.head.count == 0 && s.pendingOwner == 0 { empty.append(ref) }
        }
        // Remove empty series under hash stripe → series stripe order, checking again that no
        // appender gave them a sample in between.
        var scratch: [UInt8] = []
        var removed: [(UInt64, Labels)] = []
        for ref in empty {
            guard let labels = labelsOf(ref) else { continue }
            let hash = labels.stableHash(scratch: &scratch)
            let gone: Bool = stripes[Int(hash & mask)].hashes.withLock { h in
                let i = slot(ofRef: ref)
                let stillEmpty = stripe(ofRef: ref).series.withLock { s -> Bool in
                    guard s.isLive(i), s.series[i].mappedCount == 0, s.series[i].head.count == 0,
                          s.series[i].pendingOwner == 0 else { return false }
                    s.remove(i)
                    return true
                }
                guard stillEmpty else { return false }
                if h.first[hash] == ref {
                    if var others = h.collisions[hash], !others.isEmpty {
                        h.first[hash] = others.removeFirst()
                        h.collisions[hash] = others.isEmpty ? nil : others
                    } else {
                        h.first[hash] = nil
                    }
                } else {
                    h.collisions[hash]?.removeAll { $0 == ref }
                    if h.collisions[hash]?.isEmpty == true { h.collisions[hash] = nil }
                }
                return true
            }
            if gone { removed.append((ref, labels)) }
        }
        if !removed.isEmpty {
            let byRef = Dictionary(removed, uniquingKeysWith: { a, _ in a })
            postings.remove(Set(byRef.keys)) { byRef[$0] }
            seriesCount.add(-removed.count, ordering: .relaxed)
        }
        report.removedSeries = removed.count
        pruneTombstones(before: minTime)
        // Chunk files no series refers to any more.
        var referenced = Set<Int>()
        forEachSeries { _, s, space in for m in s.mapped(in: space) { referenced.insert(Int(m.ref >> 32)) } }
        try chunkFiles.removeFiles(notIn: referenced)
        recomputeTimeRange()
        return report
    }

    /// Refuses samples before `minTime` from now on (never lowers the floor).
    func raiseFloor(to minTime: Int64) {
        var current = minValidTimeValue.load(ordering: .relaxed)
        while current < minTime {
            let (done, was) = minValidTimeValue.compareExchange(expected: current, desired: minTime, ordering: .relaxed)
            if done { break }
            current = was
        }
    }

    /// Whether series `ref` is in the head.
    func contains(_ ref: UInt64) -> Bool {
        let i = slot(ofRef: ref)
        return stripe(ofRef: ref).series.withLock { $0.isLive(i) }
    }
}

extension DB {
    /// Removes data before `minTime` from the head and from the WAL: the head drops old chunks
    /// and empty series, then the WAL's closed segments are replaced by a checkpoint that keeps
    /// the series still in the head and their samples from `minTime` on.
    ///
    /// The blocks milestone calls this after writing the head's oldest range to a block.
    @discardableResult
    public func truncateHead(before minTime: Int64) throws -> Head.TruncationReport {
        let report = try head.truncate(before: minTime)
        // Persist the floor first: chunk files may still hold older chunks of live series.
        var floor: [UInt8] = []
        BigEndian.append(UInt64(bitPattern: head.minValidTime), to: &floor)
        try FileSystem.writeFileAtomically(options.path + "/" + DB.floorFileName, floor)
        let last = try wal.cutSegment()
        var scratch: [WALSample] = []
        try wal.checkpoint(through: last) { payload in
            switch WALRecordCodec.type(of: payload) {
            case .series:
                let kept = try WALRecordCodec.decodeSeries(payload).filter { head.contains($0.ref) }
                guard !kept.isEmpty else { return nil }
                var out: [UInt8] = []
                WALRecordCodec.encodeSeries(kept, into: &out)
                return out
            case .samples:
                scratch.removeAll(keepingCapacity: true)
                try WALRecordCodec.decodeSamples(payload, into: &scratch)
                let kept = scratch.filter { $0.timestamp >= minTime && head.contains($0.ref) }
                guard !kept.isEmpty else { return nil }
                var out: [UInt8] = []
                WALRecordCodec.encodeSamples(kept, into: &out)
                return out
            case nil:
                return nil
            }
        }
        logger.info("head truncated", metadata: [
            "min_time": "\(minTime)", "removed_series": "\(report.removedSeries)",
            "removed_chunks": "\(report.removedChunks)", "checkpoint": "\(last)",
        ])
        return report
    }
}
