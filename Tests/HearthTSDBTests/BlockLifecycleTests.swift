import HearthBlock
import HearthFileIO
import HearthModel
import HearthStorage
import HearthTSDB
import HearthTestSupport
import Testing

/// A DB with 1-minute blocks, so a few hundred samples span many blocks.
func openSmallBlockDB(_ path: String, retention: Int64 = 0, retentionSize: Int64 = 0) throws -> DB {
    var o = DB.Options(path: path)
    o.head.chunkRange = 60_000
    o.retentionTime = retention
    o.retentionSize = retentionSize
    return try DB(options: o, logger: quietLogger())
}

/// Appends `samples` samples 1 s apart to `n` series, special values mixed in.
func writeTimeline(_ db: DB, series n: Int, from: Int, samples: Int, into expected: inout [Labels: [Sample]]) throws {
    let labels = (0..<n).map { series("timeline", ["id": String($0), "group": String($0 % 3)]) }
    var refs = [UInt64](repeating: 0, count: n)
    for step in from..<(from + samples) {
        let app = db.appender()
        for i in 0..<n {
            let t = Int64(step) * 1000
            var v = Double(i) * 0.25 + Double(step)
            switch (step + i) % 61 {
            case 5: v = StaleMarker.value
            case 9: v = .nan
            case 17: v = -.infinity
            default: break
            }
            refs[i] = try app.append(refs[i], labels[i], t, v)
            expected[labels[i], default: []].append(Sample(t, v))
        }
        try app.commit()
    }
}

@Suite(.serialized) struct BlockLifecycleTests {
    @Test func headIsCompactedIntoBlocksAndEverythingStaysReadable() throws {
        let tmp = TemporaryDirectory()
        var expected: [Labels: [Sample]] = [:]
        let db = try openSmallBlockDB(tmp.path)
        try writeTimeline(db, series: 20, from: 0, samples: 400, into: &expected)
        let written = try db.compactHead()
        // 0-399 s of data; compaction stops once the head spans at most 1.5 ranges (90 s).
        #expect(written.count == 6)
        #expect(written.map(\.minTime) == [0, 60_000, 120_000, 180_000, 240_000, 300_000])
        #expect(written.allSatisfy { $0.stats.numSeries == 20 && $0.stats.numSamples == 20 * 60 })
        #expect(db.head.minTime == 360_000)
        #expect(all(db) == expected)
        // Samples older than the newest block are refused.
        let app = db.appender()
        #expect(throws: (any Error).self) { try app.append(0, series("timeline", ["id": "0", "group": "0"]), 1_000, 1) }
        app.rollback()
        try db.close()
        // Restart: blocks are opened, the WAL checkpoint holds only what the head kept.
        let db2 = try openSmallBlockDB(tmp.path)
        #expect(db2.openReport.blocks == 6)
        #expect(all(db2) == expected)
        try writeTimeline(db2, series: 20, from: 400, samples: 100, into: &expected)
        #expect(all(db2) == expected)
        try db2.close()
        let db3 = try openSmallBlockDB(tmp.path)
        #expect(all(db3) == expected)
        try db3.close()
    }

    @Test func adjacentBlocksAreMergedIntoLargerRanges() throws {
        let tmp = TemporaryDirectory()
        var expected: [Labels: [Sample]] = [:]
        let db = try openSmallBlockDB(tmp.path)
        try writeTimeline(db, series: 10, from: 0, samples: 800, into: &expected)
        let report = try db.compact()
        #expect(report.headBlocks.count == 12)
        // 1m blocks → 3m and then 9m ranges; the newest block is left alone.
        #expect(!report.mergedBlocks.isEmpty)
        let metas = db.blocks.map(\.meta)
        #expect(metas.contains { $0.maxTime - $0.minTime == 540_000 && $0.level >= 3 })
        #expect(metas.last?.maxTime == 720_000)
        for (a, b) in zip(metas, metas.dropFirst()) { #expect(a.maxTime <= b.minTime, "blocks overlap") }
        let merged = try #require(metas.first { $0.level > 1 })
        #expect(merged.sources.count == Int((merged.maxTime - merged.minTime) / 60_000))
        #expect(all(db) == expected)
        // Replaced blocks are gone from disk.
        let dirs = try FileSystem.list(tmp.path).filter { ULID($0) != nil }
        #expect(Set(dirs) == Set(metas.map { "\($0.ulid)" }))
        try db.close()
        let db2 = try openSmallBlockDB(tmp.path)
        #expect(all(db2) == expected)
        try db2.close()
    }

    @Test func overlappingBlocksAreMergedVertically() throws {
        let tmp = TemporaryDirectory()
        let a = series("v", ["k": "a"]), b = series("v", ["k": "b"])
        let first = [Sample(0, 1), Sample(10_000, 2), Sample(20_000, 3)]
        let second = [Sample(10_000, 2), Sample(15_000, 9), Sample(30_000, 4)]
        _ = try BlockWriter.write(parent: tmp.path, plan: .init(minTime: 0, maxTime: 60_000), series: [
            SeriesData(labels: a, chunks: ChunkData.encode(first), minTime: .min, maxTime: .max),
        ])
        _ = try BlockWriter.write(parent: tmp.path, plan: .init(minTime: 5_000, maxTime: 65_000), series: [
            SeriesData(labels: a, chunks: ChunkData.encode(second), minTime: .min, maxTime: .max),
            SeriesData(labels: b, chunks: ChunkData.encode(second), minTime: .min, maxTime: .max),
        ])
        let db = try openSmallBlockDB(tmp.path)
        let want: [Labels: [Sample]] = [
            a: [Sample(0, 1), Sample(10_000, 2), Sample(15_000, 9), Sample(20_000, 3), Sample(30_000, 4)],
            b: second,
        ]
        #expect(all(db) == want, "read-time merge")
        let merged = try db.compactBlocks()
        #expect(merged.count == 1)
        #expect(db.blocks.count == 1)
        #expect(db.blocks[0].meta.minTime == 0 && db.blocks[0].meta.maxTime == 65_000)
        #expect(all(db) == want, "after vertical compaction")
        try db.close()
    }

    @Test func retentionDeletesOldestBlocksByTimeAndBySize() throws {
        let tmp = TemporaryDirectory()
        var expected: [Labels: [Sample]] = [:]
        let db = try openSmallBlockDB(tmp.path, retention: 180_000)
        try writeTimeline(db, series: 5, from: 0, samples: 600, into: &expected)
        try db.compactHead()
        let ends = db.blocks.map(\.maxTime)
        let deleted = try db.applyRetention()
        #expect(deleted.count == ends.filter { ends.max()! - $0 >= 180_000 }.count)
        #expect(db.blocks.allSatisfy { ends.max()! - $0.maxTime < 180_000 })
        let oldest = db.blocks.map(\.minTime).min()!
        #expect(all(db) == expected.mapValues { $0.filter { $0.timestamp >= oldest } })
        try db.close()

        let tmp2 = TemporaryDirectory()
        let db2 = try openSmallBlockDB(tmp2.path, retentionSize: 1)
        try writeTimeline(db2, series: 5, from: 0, samples: 600, into: &expected)
        try db2.compactHead()
        #expect(!db2.blocks.isEmpty)
        try db2.applyRetention()
        #expect(db2.blocks.isEmpty, "every block is over a 1-byte limit")
        try db2.close()
    }

    @Test func deletionReachesBlocksAndHeadSurvivesRestartAndCleaning() throws {
        let tmp = TemporaryDirectory()
        var expected: [Labels: [Sample]] = [:]
        let db = try openSmallBlockDB(tmp.path)
        try writeTimeline(db, series: 9, from: 0, samples: 300, into: &expected)
        try db.compactHead()
        #expect(!db.blocks.isEmpty && db.head.minTime < 300_000)
        // Delete group 1 from 50 s to 280 s: spans blocks and the head.
        try db.delete([try Matcher(.equal, "group", "1")], minTime: 50_000, maxTime: 280_000)
        for (l, s) in expected where l["group"] == "1" {
            expected[l] = s.filter { $0.timestamp < 50_000 || $0.timestamp > 280_000 }
        }
        #expect(all(db) == expected)
        try db.close()
        let db2 = try openSmallBlockDB(tmp.path)
        #expect(all(db2) == expected, "deletions persist")
        let cleaned = try db2.cleanTombstones()
        #expect(!cleaned.isEmpty)
        #expect(db2.blocks.allSatisfy { $0.tombstones.isEmpty })
        #expect(all(db2) == expected, "after clean_tombstones")
        // The head's deletion is applied when the head becomes blocks.
        try writeTimeline(db2, series: 9, from: 300, samples: 200, into: &expected)
        try db2.compactHead()
        #expect(all(db2) == expected)
        try db2.close()
    }

    @Test func snapshotHoldsBlocksAndHeadAsBlocks() throws {
        let tmp = TemporaryDirectory()
        var expected: [Labels: [Sample]] = [:]
        let db = try openSmallBlockDB(tmp.path)
        try writeTimeline(db, series: 7, from: 0, samples: 250, into: &expected)
        try db.compactHead()
        let name = try db.snapshot(withHead: true)
        let dir = tmp.path + "/snapshots/" + name
        let blocks = try FileSystem.list(dir).filter { ULID($0) != nil }.map { try Block(directory: dir + "/" + $0) }
        #expect(blocks.count == db.blocks.count + 1)
        var got: [Labels: [Sample]] = [:]
        for s in try MergeQuerier(blocks.sorted { $0.minTime < $1.minTime }).completeSelection([], minTime: .min, maxTime: .max) {
            got[s.labels] = try s.samples()
        }
        #expect(got == expected)
        // Without the head: only the blocks.
        let name2 = try db.snapshot(withHead: false)
        #expect(try FileSystem.list(tmp.path + "/snapshots/" + name2).filter { ULID($0) != nil }.count == db.blocks.count)
        try db.close()
    }

    @Test func interruptedBlockWritesAndCompactionsLoseNothing() throws {
        struct Crash: Error {}
        for point in ["chunks", "index", "meta", "before-truncate", "before-swap"] {
            let tmp = TemporaryDirectory()
            var expected: [Labels: [Sample]] = [:]
            let db = try openSmallBlockDB(tmp.path)
            try writeTimeline(db, series: 6, from: 0, samples: 500, into: &expected)
            if point == "before-swap" {
                try db.compactHead()
                #expect(throws: Crash.self) { try db.compactBlocksForTesting { if $0 == point { throw Crash() } } }
            } else {
                #expect(throws: Crash.self) { try db.compactHeadForTesting { if $0 == point { throw Crash() } } }
            }
            try db.close()
            let db2 = try openSmallBlockDB(tmp.path)
            #expect(try FileSystem.list(tmp.path).allSatisfy { !$0.hasSuffix(BlockWriter.temporarySuffix) }, "\(point)")
            #expect(all(db2) == expected, "\(point)")
            try db2.compact()
            #expect(all(db2) == expected, "\(point), compacted after restart")
            try db2.close()
        }
    }
}
