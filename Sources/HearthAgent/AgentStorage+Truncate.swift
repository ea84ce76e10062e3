import HearthFileIO
import HearthModel
import HearthRemoteWrite
import HearthWAL
import Synchronization

/// What one round of upkeep did.
public struct AgentTruncation: Sendable {
    /// The last segment replaced by a checkpoint, if any.
    public var checkpointedThrough: Int?
    /// Segments dropped to stay within the bounds before every queue had sent them.
    public var droppedSegments = 0
    /// Samples those segments held that some queue had not sent, summed over queues.
    public var droppedSamples = 0
    public var forgottenSeries = 0
}

extension AgentStorage {
    /// The log's upkeep, run periodically. It closes a segment that has been open longer than
    /// ``Options/segmentMaxAge``; drops the oldest segments that break the size or age bound,
    /// telling each queue what it loses (counted and logged); and replaces every segment all
    /// `queues` have delivered by a checkpoint that keeps only the series still in use.
    /// With no queues, nothing waits for the data and it is removed as soon as it is closed.
    public func truncate(queues: [RemoteWriteQueue<AgentStorage>]) throws -> AgentTruncation {
        var result = AgentTruncation()
        var open = wal.position
        let openTooLong = openSegmentSince.withLock { s -> Bool in
            if s.segment != open.segment { s = (open.segment, .now) }
            return ContinuousClock.now - s.since >= options.segmentMaxAge
        }
        let overSize = options.maxBytes > 0 && Int64(wal.diskSize) > options.maxBytes
        if open.offset > 0 && (openTooLong || overSize) {
            try wal.cutSegment()
            open = wal.position
        }
        let closed = try WAL.segmentIndexes(walDirectory).filter { $0 < open.segment }
        guard !closed.isEmpty else { return result }

        // The bounds: the newest closed segment that must go whether or not it was sent.
        var dropThrough = -1
        var reason = ""
        if options.maxAgeMilliseconds > 0 {
            let cutoff = unixMilliseconds() - options.maxAgeMilliseconds
            for s in closed {
                if let m = FileSystem.modificationTime(walDirectory + "/" + Segment.name(s)), m < cutoff {
                    dropThrough = s
                    reason = "older than the age bound"
                }
            }
        }
        if options.maxBytes > 0 {
            var total = Int64(wal.diskSize)
            for s in closed where total > options.maxBytes {
                total -= Int64(FileSystem.fileSize(walDirectory + "/" + Segment.name(s)) ?? 0)
                if s > dropThrough {
                    dropThrough = s
                    reason = "over the size bound"
                }
            }
        }
        let delivered = queues.map(\.delivered).min() ?? open
        let through = min(open.segment - 1, max(dropThrough, delivered.segment - 1))
        guard through >= closed[0] else { return result }

        if dropThrough >= 0 {
            let end = WALPosition(segment: dropThrough + 1, offset: 0)
            for queue in queues where queue.delivered < end {
                let lost = countSamples(from: queue.delivered, to: end)
                queue.drop(before: end, samples: lost, reason: reason)
                result.droppedSamples += lost
            }
            result.droppedSegments = closed.filter { $0 <= dropThrough }.count
        }
        let forgotten = table.withLock { t -> Int in
            var stale: [UInt64] = []
            t.series.forEach { ref, s in if s.lastSegment <= through { stale.append(ref) } }
            // The previous round's forgotten series that no scrape brought back are gone for good.
            for s in t.forgotten.values { t.release(s) }
            var gone: [UInt64: Series] = [:]
            for ref in stale { gone[ref] = t.remove(ref) }
            t.forgotten = gone
            t.compactStoreIfWorthIt()
            return gone.count
        }
        result.forgottenSeries = forgotten
        try wal.checkpoint(through: through) { payload in
            guard WALRecordCodec.type(of: payload) == .series else { return nil }
            let list = (try? WALRecordCodec.decodeSeries(payload)) ?? []
            let live = table.withLock { t in list.filter { t.series[$0.ref] != nil } }
            guard !live.isEmpty else { return nil }
            var out: [UInt8] = []
            WALRecordCodec.encodeSeries(live, into: &out)
            return out
        }
        result.checkpointedThrough = through
        return result
    }

    /// Samples in the log between two positions (what a queue loses when they are dropped).
    func countSamples(from start: WALPosition, to end: WALPosition) -> Int {
        var reader = WALTailReader(directory: walDirectory, from: start)
        var count = 0
        _ = try? reader.read(upTo: end) { payload in
            if WALRecordCodec.type(of: payload) == .samples {
                try WALRecordCodec.forEachSample(payload) { _ in count += 1 }
            }
            return true
        }
        return count
    }
}
