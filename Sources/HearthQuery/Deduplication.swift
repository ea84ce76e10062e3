import HearthChunks
import HearthModel
import HearthStorage

/// Merges the series of HA replicas: series whose labels differ only in replica labels
/// (`--query.replica-label`) become one series without those labels.
///
/// The samples follow one replica at a time, the way Thanos's penalty deduplication does:
/// the next sample is the earliest any replica has, but a replica that was not followed must
/// wait, after the sample just taken, twice the interval between the last two samples taken
/// (at the start, twice the followed replica's own interval). So while the followed replica keeps scraping, another replica's
/// samples (scraped at other offsets in the same interval) never interleave with its own; when
/// it stops, the next replica takes over after about one interval. A staleness marker from the
/// followed replica is passed on only when no other replica goes on.
public enum Deduplication {
    /// What a replica must wait before its first sample can follow another replica's, before an
    /// interval is known (ms): scrape intervals are seconds long.
    public static let initialPenalty: Int64 = 5_000

    /// `series` (sorted by labels) with the replica labels removed and replicas merged; the
    /// result sorted by labels. Series without replica labels pass through unchanged; a group
    /// of one keeps its chunks as they are.
    ///
    /// Replicas' samples are decoded to be merged: at most `maxSamples` of them (the query's
    /// `--query.max-samples`), or the read fails as the engine would.
    public static func merge(_ series: [SeriesData], replicaLabels: Set<String>, maxSamples: Int = .max) throws(StorageError) -> [SeriesData] {
        guard !replicaLabels.isEmpty else { return series }
        var groups: [Labels: [SeriesData]] = [:]
        for s in series {
            let key = s.labels.contains { replicaLabels.contains($0.name) }
                ? Labels(sorted: s.labels.filter { !replicaLabels.contains($0.name) }) : s.labels
            groups[key, default: []].append(s)
        }
        var out: [SeriesData] = []
        out.reserveCapacity(groups.count)
        var decoded = 0
        for (labels, members) in groups {
            if members.count == 1 {
                var only = members[0]
                only.labels = labels
                out.append(only)
                continue
            }
            var replicas: [[Sample]] = []
            for m in members {
                replicas.append(try samples(of: m))
                decoded += replicas[replicas.count - 1].count
                if decoded > maxSamples {
                    throw StorageError("query processing would load too many samples into memory in query execution (deduplicating \(labels))")
                }
            }
            let merged = followingOneReplica(replicas)
            let first = members[0]
            out.append(SeriesData(labels: labels, chunks: ChunkData.encode(merged), minTime: first.minTime, maxTime: first.maxTime))
        }
        return out.sorted { $0.labels < $1.labels }
    }

    /// Every sample of a series in its time range; a chunk that does not decode is the
    /// endpoint's error, not a shorter series.
    static func samples(of series: SeriesData) throws(StorageError) -> [Sample] {
        var out: [Sample] = []
        var ts: [Int64] = [], vs: [Double] = []
        for chunk in series.chunks where chunk.maxTime >= series.minTime && chunk.minTime <= series.maxTime {
            ts.removeAll(keepingCapacity: true)
            vs.removeAll(keepingCapacity: true)
            guard chunk.encoding == .xor || chunk.encoding == .decimal else {
                throw StorageError("series \(series.labels): a \(chunk.encoding) chunk cannot be deduplicated yet")
            }
            do {
                try chunk.bytes.withUnsafeBytes { raw in
                    if chunk.encoding == .xor {
                        try decodeXORChunk(raw, timestamps: &ts, values: &vs)
                    } else {
                        try decodeChunk(raw, as: DecimalDecoder.self, timestamps: &ts, values: &vs)
                    }
                }
            } catch {
                throw StorageError("series \(series.labels): a chunk from \(chunk.minTime) to \(chunk.maxTime) does not decode: \(error)")
            }
            for i in ts.indices where ts[i] >= series.minTime && ts[i] <= series.maxTime {
                if let last = out.last, ts[i] <= last.timestamp { continue }
                out.append(Sample(ts[i], vs[i]))
            }
        }
        return out
    }

    /// The penalty merge of several replicas' samples (each in time order).
    public static func followingOneReplica(_ replicas: [[Sample]]) -> [Sample] {
        var cursor = [Int](repeating: 0, count: replicas.count)
        // The earliest time each replica may contribute next.
        var allowedFrom = [Int64](repeating: .min, count: replicas.count)
        var out: [Sample] = []
        out.reserveCapacity(replicas.map(\.count).max() ?? 0)
        var lastTaken = Int64.min
        // Between the last two samples taken.
        var lastInterval = initialPenalty / 2
        while true {
            var chosen = -1
            var chosenTime = Int64.max
            for r in replicas.indices {
                // Skip what this replica may not contribute: what is not after the last sample
                // taken, and what falls in its penalty.
                while cursor[r] < replicas[r].count {
                    let t = replicas[r][cursor[r]].timestamp
                    guard t < allowedFrom[r] || (!out.isEmpty && t <= lastTaken) else { break }
                    cursor[r] += 1
                }
                guard cursor[r] < replicas[r].count else { continue }
                let t = replicas[r][cursor[r]].timestamp
                if t < chosenTime {
                    chosen = r
                    chosenTime = t
                }
            }
            guard chosen >= 0 else { return out }
            // Twice the interval just seen; at the start, the chosen replica's own next interval
            // (so that the first samples do not alternate either).
            let next = cursor[chosen] + 1 < replicas[chosen].count ? replicas[chosen][cursor[chosen] + 1].timestamp : nil
            let interval = !out.isEmpty ? span(lastTaken, chosenTime) : next.map { span(chosenTime, $0) } ?? initialPenalty / 2
            let penalty = interval > Int64.max / 4 ? Int64.max / 2 : 2 * interval
            if StaleMarker.isStale(replicas[chosen][cursor[chosen]].value), !out.isEmpty,
               let (other, at) = continuation(of: replicas, excluding: chosen, after: lastTaken, within: lastInterval) {
                // The followed replica stopped scraping (a reload, a target it lost) while
                // another goes on: follow that one from just after the last sample taken,
                // instead of ending the series.
                cursor[chosen] += 1
                cursor[other] = at
                allowedFrom[other] = .min
                continue
            }
            for r in replicas.indices where r != chosen {
                allowedFrom[r] = chosenTime.addingReportingOverflow(penalty).overflow ? .max : chosenTime + penalty
            }
            allowedFrom[chosen] = .min
            if !out.isEmpty { lastInterval = span(lastTaken, chosenTime) }
            out.append(replicas[chosen][cursor[chosen]])
            cursor[chosen] += 1
            lastTaken = chosenTime
        }
    }

    /// Another replica whose first sample after `after` is a real one (not a staleness
    /// marker) and comes within three intervals: its index and that sample's position.
    static func continuation(of replicas: [[Sample]], excluding stopped: Int, after: Int64, within interval: Int64) -> (Int, Int)? {
        let limit = after.addingReportingOverflow(interval > Int64.max / 4 ? Int64.max / 2 : 3 * interval)
        for r in replicas.indices where r != stopped {
            // The first sample after `after` (binary search: samples are in time order).
            var low = 0, high = replicas[r].count
            while low < high {
                let mid = (low + high) / 2
                if replicas[r][mid].timestamp <= after { low = mid + 1 } else { high = mid }
            }
            guard low < replicas[r].count, !StaleMarker.isStale(replicas[r][low].value) else { continue }
            if limit.overflow || replicas[r][low].timestamp <= limit.partialValue { return (r, low) }
        }
        return nil
    }

    /// `b - a` for `a <= b`, saturated (timestamps from peers are arbitrary Int64s).
    static func span(_ a: Int64, _ b: Int64) -> Int64 {
        let (d, overflow) = b.subtractingReportingOverflow(a)
        return overflow ? .max : d
    }
}
