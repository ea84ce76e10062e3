import HearthModel
import HearthQuery
import HearthStorage
import Testing

/// Merging HA replicas: one replica followed, never interleaved, and a gap filled by the other.
@Suite struct DeduplicationTests {
    static func scrapes(from: Int64, to: Int64, every: Int64 = 15_000, offset: Int64) -> [Sample] {
        stride(from: from + offset, through: to, by: Int(every)).map { Sample($0, Double($0 / 1000)) }
    }

    @Test func followsOneReplicaAndNeverInterleaves() {
        let a = Self.scrapes(from: 0, to: 600_000, offset: 0)
        let b = Self.scrapes(from: 0, to: 600_000, offset: 7_000)
        let merged = Deduplication.followingOneReplica([a, b])
        #expect(merged == a, "the replica with the first sample is followed throughout")
        #expect(Deduplication.followingOneReplica([b, a]) == a, "whatever the order replicas are listed in")
    }

    @Test func switchesAtAGapAndBack() {
        // A stops between 300 s and 420 s; B scrapes throughout, 7 s later in each interval.
        let a = Self.scrapes(from: 0, to: 300_000, offset: 0) + Self.scrapes(from: 420_000, to: 600_000, offset: 0)
        let b = Self.scrapes(from: 0, to: 600_000, offset: 7_000)
        let merged = Deduplication.followingOneReplica([a, b])
        let times = merged.map(\.timestamp)
        #expect(times == times.sorted() && Set(times).count == times.count)
        var longest: Int64 = 0
        for i in times.indices.dropFirst() { longest = max(longest, times[i] - times[i - 1]) }
        // The gap is covered by B: no hole longer than the penalty (two intervals) plus one.
        #expect(longest <= 45_000, "longest hole \(longest) ms")
        #expect(merged.contains { $0.timestamp == 367_000 }, "B's samples fill A's gap")
        // Within any 15 s window the samples come from one replica: no pair closer than 8 s.
        for i in times.indices.dropFirst() { #expect(times[i] - times[i - 1] >= 7_000) }
    }

    @Test func seriesDifferingOnlyInReplicaLabelsBecomeOne() throws {
        func series(_ replica: String, _ samples: [Sample], job: String = "node") -> SeriesData {
            SeriesData(labels: Labels(["__name__": "up", "job": job, "replica": replica]), chunks: ChunkData.encode(samples),
                       minTime: 0, maxTime: 600_000)
        }
        let a = Self.scrapes(from: 0, to: 600_000, offset: 0)
        let b = Self.scrapes(from: 0, to: 600_000, offset: 5_000)
        let input = [series("a", a), series("b", b), series("a", a, job: "other")].sorted { $0.labels < $1.labels }
        let merged = try Deduplication.merge(input, replicaLabels: ["replica"])
        #expect(merged.map(\.labels) == [Labels(["__name__": "up", "job": "node"]), Labels(["__name__": "up", "job": "other"])])
        #expect(try merged[0].samples() == a)
        #expect(try merged[1].samples() == a)
        // Deduplication decodes; it stops at the query's sample limit.
        #expect(throws: StorageError.self) { try Deduplication.merge(input, replicaLabels: ["replica"], maxSamples: 50) }
        // Without replica labels nothing changes.
        #expect(try Deduplication.merge(input, replicaLabels: []).map(\.labels) == input.map(\.labels))
    }

    /// A replica that stops scraping writes a staleness marker; the other goes on, so the merged
    /// series must not end. When every replica stops, it ends.
    @Test func aStaleMarkerEndsTheSeriesOnlyWhenNoReplicaGoesOn() {
        let a = Self.scrapes(from: 0, to: 300_000, offset: 0) + [Sample(301_000, StaleMarker.value)]
        let b = Self.scrapes(from: 0, to: 600_000, offset: 7_000)
        let merged = Deduplication.followingOneReplica([a, b])
        #expect(!merged.contains { StaleMarker.isStale($0.value) })
        #expect(merged.last?.timestamp == 592_000)
        let times = merged.map(\.timestamp)
        for i in times.indices.dropFirst() { #expect(times[i] - times[i - 1] <= 30_000) }
        let bothStop = Deduplication.followingOneReplica([a, Self.scrapes(from: 0, to: 300_000, offset: 7_000) + [Sample(308_000, StaleMarker.value)]])
        #expect(bothStop.last.map { StaleMarker.isStale($0.value) } == true)
    }

    @Test func extremeTimestampsDoNotTrap() {
        let a = [Sample(.min, 1), Sample(0, 1), Sample(.max, 1)]
        let b = [Sample(.min + 1, 2), Sample(.max - 1, 2)]
        let merged = Deduplication.followingOneReplica([a, b])
        #expect(merged.first?.timestamp == .min)
        #expect(merged.map(\.timestamp) == merged.map(\.timestamp).sorted())
    }
}
