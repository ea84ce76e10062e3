import HearthFileIO
import HearthModel
import HearthStorage
import HearthTSDB
import HearthTestSupport
import HearthWAL
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Writes a deterministic data set: `n` series, `samples` samples each at 15 s, with stale
/// markers and special floats mixed in.
func writeDataSet(_ db: DB, series n: Int, samples: Int) throws -> [Labels: [Sample]] {
    var expected: [Labels: [Sample]] = [:]
    var refs = [UInt64](repeating: 0, count: n)
    let labels = (0..<n).map { series("restart", ["instance": "host-\($0 % 7)", "id": String($0)]) }
    for step in 0..<samples {
        let app = db.appender()
        for i in 0..<n {
            let t = Int64(step) * 15_000
            var v = Double(i * step) / 3
            if step % 50 == 7 { v = StaleMarker.value }
            if step == 3 && i == 0 { v = .infinity }
            refs[i] = try app.append(refs[i], labels[i], t, v)
            expected[labels[i], default: []].append(Sample(t, v))
        }
        try app.commit()
    }
    return expected
}

@Suite(.serialized) struct DurabilityTests {
    @Test func restartFromSnapshotRestoresEverything() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let expected = try writeDataSet(db, series: 50, samples: 300)
        try db.close()
        #expect(FileSystem.exists(tmp.path + "/head.snapshot"))
        let db2 = try openDB(tmp.path)
        #expect(db2.openReport.loadedSnapshot)
        #expect(db2.openReport.walRecords == 0)
        #expect(all(db2) == expected)
        #expect(!FileSystem.exists(tmp.path + "/head.snapshot"), "a snapshot is used once")
        // Appends continue where they left off, with the same refs.
        let app = db2.appender()
        let first = expected.keys.sorted()[0]
        try app.append(0, first, 300 * 15_000, 1)
        try app.commit()
        try db2.close()
        let db3 = try openDB(tmp.path)
        #expect(all(db3)[first]?.last == Sample(300 * 15_000, 1))
        try db3.close()
    }

    /// Snapshots of 20,000 series or more load in parallel parts; the head must be the same.
    @Test func largeSnapshotLoadsInPartsAndRestoresEverything() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let expected = try writeDataSet(db, series: 25_000, samples: 3)
        try db.close()
        let db2 = try openDB(tmp.path)
        #expect(db2.openReport.loadedSnapshot)
        #expect(db2.head.numSeries == 25_000)
        #expect(all(db2) == expected)
        // Label lookups go through the postings the parts built.
        let some = expected.keys.sorted()[12_345]
        let matchers = some.map { try! Matcher(.equal, $0.name, $0.value) }
        #expect(try db2.querier().completeSelection(matchers, minTime: .min, maxTime: .max).map(\.labels) == [some])
        try db2.close()
    }

    @Test func restartFromWALAloneRestoresEverything() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path, snapshot: false)
        let expected = try writeDataSet(db, series: 50, samples: 300)
        try db.close()
        #expect(!FileSystem.exists(tmp.path + "/head.snapshot"))
        let db2 = try openDB(tmp.path, snapshot: false)
        #expect(!db2.openReport.loadedSnapshot)
        #expect(db2.openReport.walRecords > 0)
        #expect(db2.openReport.mappedChunks > 0, "completed chunks come back from the chunk files")
        #expect(all(db2) == expected)
        try db2.close()
    }

    /// Replay sorts windows of samples by ref block; small windows make every path run.
    @Test(arguments: [7, 100, 1000])
    func replayWithSmallWindowsRestoresEverything(_ window: Int) throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path, snapshot: false)
        let expected = try writeDataSet(db, series: 150, samples: 130)
        try db.close()
        try FileSystem.remove(tmp.path + "/chunks_head")
        var o = DB.Options(path: tmp.path)
        o.snapshotOnShutdown = false
        o.walReplayWindow = window
        let db2 = try DB(options: o, logger: quietLogger())
        #expect(all(db2) == expected)
        try db2.close()
    }

    @Test func corruptSnapshotFallsBackToTheWAL() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let expected = try writeDataSet(db, series: 20, samples: 200)
        try db.close()
        let path = tmp.path + "/head.snapshot"
        var bytes = try FileSystem.readFile(path)!
        bytes[bytes.count / 2] ^= 0x55
        try FileSystem.writeFileAtomically(path, bytes)
        let db2 = try openDB(tmp.path)
        #expect(!db2.openReport.loadedSnapshot)
        #expect(db2.openReport.snapshotError != nil)
        #expect(all(db2) == expected)
        try db2.close()
    }

    @Test func snapshotWhoseChunkFilesAreGoneFallsBackToTheWAL() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let expected = try writeDataSet(db, series: 20, samples: 300)
        try db.close()
        try FileSystem.remove(tmp.path + "/chunks_head")
        let db2 = try openDB(tmp.path)
        #expect(!db2.openReport.loadedSnapshot)
        #expect(db2.openReport.snapshotError?.contains("chunk ref") == true)
        #expect(all(db2) == expected)
        try db2.close()
    }

    @Test func corruptedWALSegmentsLoseOnlyTheDamagedRecords() throws {
        for damage in ["truncate", "bitflip", "garbage"] {
            let tmp = TemporaryDirectory()
            let db = try openDB(tmp.path, snapshot: false)
            let expected = try writeDataSet(db, series: 10, samples: 100)
            try db.close()
            let walDir = tmp.path + "/wal"
            let seg = try WAL.segmentIndexes(walDir).map { walDir + "/" + Segment.name($0) }
                .first { (FileSystem.fileSize($0) ?? 0) > 0 }!
            var bytes = try FileSystem.readFile(seg)!
            let cut = bytes.count * 3 / 4
            switch damage {
            case "truncate": bytes = Array(bytes[..<cut])
            case "bitflip": bytes[cut] ^= 0x01
            default: bytes += [0x07, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0xDD, 0x01]
            }
            try FileSystem.writeFileAtomically(seg, bytes)
            // Chunk files would restore older samples regardless; remove them to test the WAL alone.
            try FileSystem.remove(tmp.path + "/chunks_head")
            let db2 = try openDB(tmp.path, snapshot: false)
            let got = all(db2)
            switch damage {
            case "truncate":
                // A torn tail: every series keeps a prefix of its samples, all records before the cut.
                #expect(db2.openReport.walRepaired != nil)
                for (l, samples) in got { #expect(samples == Array(expected[l]!.prefix(samples.count))) }
            case "bitflip":
                // One damaged record in the middle: only its samples are lost, the records after it
                // replay, and the report names the segment and the offset.
                #expect(db2.openReport.walRepaired == nil)
                #expect(db2.openReport.problems.contains { $0.hasPrefix(seg + ": skipped") && $0.contains("offset") },
                        "\(db2.openReport.problems)")
                for (l, samples) in got {
                    let all = expected[l]!
                    #expect(Set(samples.map(\.timestamp)).isSubset(of: Set(all.map(\.timestamp))))
                    #expect(samples.count >= all.count - 1 && samples.last == all.last)
                }
            default:
                #expect(got == expected)
            }
            let total = got.values.reduce(0) { $0 + $1.count }
            #expect(total > 0 && total <= 1000)
            try db2.close()
        }
    }

    /// The crash test: a child process appends batches and reports each acknowledged one; it is
    /// killed with SIGKILL at random moments; after each kill every acknowledged sample is read
    /// back exactly and nothing appears twice.
    @Test func acknowledgedBatchesSurviveSIGKILL() throws {
        try killRounds(20, compacting: false)
    }

    /// The same with 20-second blocks and compaction every 5 batches in the child: kills land
    /// while blocks are written, merged and the head truncated. Nothing acknowledged is lost,
    /// nothing appears twice, no half-written block is served.
    @Test func acknowledgedBatchesSurviveSIGKILLDuringCompaction() throws {
        try killRounds(16, compacting: true)
    }

    func killRounds(_ rounds: Int, compacting: Bool) throws {
        guard let writer = BuiltProducts.executable("hearth-crash-writer") else {
            Issue.record("hearth-crash-writer not built next to the tests (\(BuiltProducts.directory))")
            return
        }
        let tmp = TemporaryDirectory()
        let seriesCount = 40
        var rng = SystemRandomNumberGenerator()
        var lastAcked: Int64 = -1
        // The newest batch a child may have committed without acknowledging it: one past the
        // later of the last acknowledgement and the batch the child started at.
        var mayHaveCommitted: Int64 = -1
        var sawBlocks = false
        for round in 0..<rounds {
            let mode = round % 2 == 0 ? "none" : "group-commit"
            let child = try ChildProcess(writer, [tmp.path, String(seriesCount), mode] + (compacting ? ["compact"] : []))
            var acks: [String] = []
            // Until a first batch is acknowledged there is nothing to check: under a loaded test
            // run a child can still be starting when the random wait ends.
            let start = ContinuousClock.now
            while lastAcked < 0 && !acks.contains(where: { $0.hasPrefix("ACK ") }) && ContinuousClock.now - start < .seconds(30) {
                sleepMilliseconds(10)
                acks += child.readLines()
            }
            sleepMilliseconds(Int.random(in: 150...600, using: &rng))
            acks += child.readLines()
            child.kill(SIGKILL)
            acks += child.readLines()
            let acked = acks.compactMap { $0.hasPrefix("ACK ") ? Int64($0.dropFirst(4)) : nil }
            if let m = acked.max() { lastAcked = max(lastAcked, m) }
            if let start = acks.compactMap({ $0.hasPrefix("START ") ? Int64($0.dropFirst(6)) : nil }).first {
                mayHaveCommitted = max(mayHaveCommitted, max(lastAcked, start - 1) + 1)
            }

            var o = DB.Options(path: tmp.path)
            o.snapshotOnShutdown = false
            if compacting {
                o.head.chunkRange = 20_000
                o.retentionTime = 0
            }
            let db = try DB(options: o, logger: quietLogger())
            sawBlocks = sawBlocks || !db.blocks.isEmpty
            #expect(try FileSystem.list(tmp.path).allSatisfy { !$0.contains(".tmp-for-") }, "round \(round): leftovers")
            let got = try db.querier().completeSelection([try Matcher(.equal, "__name__", "crash_test")], minTime: .min, maxTime: .max)
            #expect(got.count == seriesCount, "round \(round)")
            for s in got {
                let id = Int(s.labels["series"]!)!
                let samples = try s.samples()
                // Batches 0...lastAcked are all there, in order, once each; beyond them at most
                // the batch that was in flight when a child was killed.
                #expect(samples.count >= Int(lastAcked) + 1, "round \(round) series \(id): \(samples.count) samples, acked \(lastAcked)")
                #expect(samples.count <= Int(max(lastAcked, mayHaveCommitted)) + 1,
                        "round \(round) series \(id): \(samples.count) samples, acked \(lastAcked), in flight \(mayHaveCommitted)")
                for (b, sample) in samples.enumerated() {
                    let want = b % 97 == 13 ? StaleMarker.value : Double(id) * 1000 + Double(b) * 0.5
                    if sample.timestamp != Int64(b) * 1000 || sample.value.bitPattern != want.bitPattern {
                        Issue.record("round \(round) series \(id) batch \(b): got \(sample)")
                        break
                    }
                }
            }
            try db.close()
        }
        #expect(lastAcked > 100, "the writer made progress")
        if compacting { #expect(sawBlocks, "the writer compacted") }
    }
}

@Suite(.serialized) struct TruncationTests {
    @Test func truncationDropsOldDataFromHeadAndWALAndSurvivesRestart() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path, snapshot: false)
        // "old" stops at 1h; "live" runs to 3h.
        var refs: [UInt64] = [0, 0]
        for step in 0..<720 {
            let app = db.appender()
            let t = Int64(step) * 15_000
            if t < 3_600_000 { refs[0] = try app.append(refs[0], series("old"), t, Double(step)) }
            refs[1] = try app.append(refs[1], series("live"), t, Double(step))
            try app.commit()
        }
        let cut: Int64 = 2 * 3_600_000
        let report = try db.truncateHead(before: cut)
        #expect(report.removedSeries == 1)
        var got = all(db)
        #expect(got[series("old")] == nil)
        #expect(got[series("live")]!.allSatisfy { $0.timestamp >= cut - 3_600_000 })
        #expect(got[series("live")]!.last == Sample(719 * 15_000, 719))
        #expect(db.head.numSeries == 1)
        // Samples before the cut are refused now.
        let app = db.appender()
        #expect(throws: AppendError.self) { try app.append(0, series("old"), cut - 1, 1) }
        app.rollback()
        #expect(try WAL.latestCheckpoint(tmp.path + "/wal") != nil)
        let liveBefore = got[series("live")]!
        try db.close()

        // After a restart (chunk files and checkpointed WAL), nothing before the cut comes back.
        let db2 = try openDB(tmp.path, snapshot: false)
        got = all(db2)
        #expect(got[series("old")] == nil)
        #expect(got[series("live")]!.allSatisfy { $0.timestamp >= cut - 3_600_000 })
        #expect(got[series("live")]!.last == liveBefore.last)
        try db2.close()

        // From the WAL alone, the checkpoint holds exactly the live samples from the cut on.
        try FileSystem.remove(tmp.path + "/chunks_head")
        let db3 = try openDB(tmp.path, snapshot: false)
        got = all(db3)
        #expect(got[series("old")] == nil)
        #expect(got[series("live")] == liveBefore.filter { $0.timestamp >= cut })
        try db3.close()
    }
}
