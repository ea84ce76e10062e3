import HearthModel
import HearthStorage
import HearthTSDB
import HearthTestSupport
import HearthWAL
import HearthFileIO
import Logging
import Testing

func quietLogger() -> Logger {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}

func openDB(_ path: String, snapshot: Bool = true, sync: WALSyncMode = .none) throws -> DB {
    var o = DB.Options(path: path)
    o.snapshotOnShutdown = snapshot
    o.walSyncMode = sync
    return try DB(options: o, logger: quietLogger())
}

func series(_ name: String, _ extra: [String: String] = [:]) -> Labels {
    var d = extra
    d["__name__"] = name
    return Labels(d)
}

func all(_ db: DB, _ matchers: [Matcher] = [try! Matcher(.regexMatch, "__name__", ".+")]) -> [Labels: [Sample]] {
    var out: [Labels: [Sample]] = [:]
    // Whatever is served, including around damage (the corruption tests use this too).
    let set = try! db.querier().select(matchers, hints: SelectHints(start: .min, end: .max))
    for s in set.series { out[s.labels] = try! s.samples() }
    return out
}

@Suite(.serialized) struct HeadTests {
    @Test func appendCommitAndRead() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let app = db.appender()
        let a = series("up", ["job": "a"]), b = series("up", ["job": "b"])
        let ra = try app.append(0, a, 1000, 1)
        try app.append(ra, a, 2000, 0)
        try app.append(0, b, 1000, StaleMarker.value)
        #expect(all(db).isEmpty, "nothing is visible before commit")
        try app.commit()
        let got = all(db)
        #expect(got[a] == [Sample(1000, 1), Sample(2000, 0)])
        #expect(got[b]?.count == 1)
        #expect(StaleMarker.isStale(got[b]![0].value))
        #expect(db.head.numSeries == 2)
        #expect(db.head.minTime == 1000 && db.head.maxTime == 2000)
        try db.close()
    }

    @Test func rollbackDiscardsSamples() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let app = db.appender()
        try app.append(0, series("x"), 1000, 1)
        app.rollback()
        #expect(all(db).values.allSatisfy { $0.isEmpty })
        // The series' pending state is cleared: an older sample is accepted afterwards.
        let app2 = db.appender()
        try app2.append(0, series("x"), 500, 2)
        try app2.commit()
        #expect(all(db)[series("x")] == [Sample(500, 2)])
        try db.close()
    }

    @Test func orderingErrorsAreDistinctAndNameTheSeries() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let s = series("m", ["i": "1"])
        let app = db.appender()
        try app.append(0, s, 10_000, 5)
        try app.commit()
        let app2 = db.appender()
        #expect(throws: AppendError.outOfOrder(series: s, timestamp: 9_000, newest: 10_000)) {
            try app2.append(0, s, 9_000, 1)
        }
        #expect(throws: AppendError.duplicateTimestamp(series: s, timestamp: 10_000)) {
            try app2.append(0, s, 10_000, 6)
        }
        try app2.append(0, s, 10_000, 5)  // exact duplicate: accepted silently
        try app2.append(0, s, 11_000, 1)
        // Within one batch too.
        #expect(throws: AppendError.outOfOrder(series: s, timestamp: 10_500, newest: 11_000)) {
            try app2.append(0, s, 10_500, 1)
        }
        try app2.commit()
        #expect(all(db)[s] == [Sample(10_000, 5), Sample(11_000, 1)])
        // Too old: more than half a chunk range before the head's newest sample.
        let app3 = db.appender()
        let old: Int64 = 11_000 - 3600 * 1000 - 1
        #expect(throws: AppendError.tooOld(series: series("other"), timestamp: old, minValidTime: 11_000 - 3600 * 1000)) {
            try app3.append(0, series("other"), old, 1)
        }
        let err = AppendError.outOfOrder(series: s, timestamp: 9_000, newest: 10_000).description
        #expect(err.contains("m{i=\"1\"}") && err.contains("9000") && err.contains("10000"))
        try db.close()
    }

    /// Chunk sizes follow Prometheus's cutting: at 15 s scrapes a 2 h range holds 480 samples and
    /// is cut into four chunks of 120; at 1 s the end-time prediction (made at 30 samples) spreads
    /// 7200 samples over 62 chunks of 117 (7,200,000 ms / 62 = 116,129 ms per chunk).
    @Test(arguments: [(Int64(15_000), 120), (Int64(1000), 117)])
    func chunksAreCutAsPrometheusCutsThem(_ interval: Int64, _ expectedSize: Int) throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let s = series("cut")
        var ref: UInt64 = 0
        let n = Int(3 * 7_200_000 / interval)
        for i in 0..<n {
            let app = db.appender()
            ref = try app.append(ref, s, Int64(i) * interval, Double(i))
            try app.commit()
        }
        let data = try db.querier().completeSelection([try Matcher(.equal, "__name__", "cut")], minTime: .min, maxTime: .max)
        #expect(data.count == 1)
        let sizes = data[0].chunks.map { c in c.bytes.withUnsafeBytes { Int($0[0]) << 8 | Int($0[1]) } }
        #expect(sizes[0] == expectedSize, "\(sizes)")
        #expect(sizes.allSatisfy { $0 <= 120 }, "\(sizes)")
        #expect(sizes.reduce(0, +) == n)
        #expect(db.head.chunkFilesDiskSize > 0)
        #expect(try data[0].samples() == (0..<n).map { Sample(Int64($0) * interval, Double($0)) })
        // Chunks never cross a chunk-range boundary.
        for c in data[0].chunks { #expect(c.minTime / 7_200_000 == c.maxTime / 7_200_000) }
        try db.close()
    }

    @Test func matchersAndLabelQueries() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let app = db.appender()
        for job in ["api", "web", "db"] {
            for i in 0..<3 {
                try app.append(0, series("req", ["job": job, "i": String(i)]), 1000, 1)
            }
        }
        try app.append(0, series("other", ["zone": "x"]), 1000, 1)
        try app.commit()
        let q = db.querier()
        func count(_ ms: [Matcher]) throws -> Int { try q.completeSelection(ms, minTime: 0, maxTime: 2000).count }
        #expect(try count([try Matcher(.equal, "__name__", "req")]) == 9)
        #expect(try count([try Matcher(.equal, "__name__", "req"), try Matcher(.equal, "job", "api")]) == 3)
        #expect(try count([try Matcher(.equal, "__name__", "req"), try Matcher(.notEqual, "job", "api")]) == 6)
        #expect(try count([try Matcher(.regexMatch, "job", "api|db")]) == 6)
        #expect(try count([try Matcher(.regexMatch, "job", "a.*")]) == 3)
        #expect(try count([try Matcher(.regexNoMatch, "job", "a.*"), try Matcher(.regexMatch, "__name__", ".+")]) == 7)
        #expect(try count([try Matcher(.equal, "job", ""), try Matcher(.regexMatch, "__name__", ".+")]) == 1)
        #expect(try count([try Matcher(.equal, "__name__", "req")]) == 9)
        #expect(try count([try Matcher(.equal, "__name__", "req")]) == q.completeSelection([try Matcher(.equal, "__name__", "req")], minTime: 0, maxTime: 2000).count)
        #expect(try q.completeSelection([try Matcher(.equal, "__name__", "req")], minTime: 5000, maxTime: 9000).isEmpty)
        #expect(try q.labelNames([], hints: LabelHints()).values == ["__name__", "i", "job", "zone"])
        #expect(try q.labelNames([try Matcher(.equal, "__name__", "other")], hints: LabelHints()).values == ["__name__", "zone"])
        #expect(try q.labelValues("job", [], hints: LabelHints()).values == ["api", "db", "web"])
        #expect(try q.labelValues("i", [try Matcher(.equal, "job", "web")], hints: LabelHints()).values == ["0", "1", "2"])
        let sorted = try q.completeSelection([try Matcher(.regexMatch, "__name__", ".+")], minTime: 0, maxTime: 2000).map(\.labels)
        #expect(sorted == sorted.sorted())
        try db.close()
    }

    @Test func parallelAppendersDoNotLoseSamples() async throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    for batch in 0..<50 {
                        let app = db.appender()
                        for s in 0..<20 {
                            // Workers share series 0..<10 with a distinct timestamp range each.
                            let l = series("par", ["s": String(s % 10), "w": s < 10 ? "shared" : String(w)])
                            _ = try? app.append(0, l, Int64(batch * 4 + w) * 1000, Double(w))
                        }
                        try? app.commit()
                    }
                }
            }
        }
        let got = all(db)
        #expect(got.count == 10 + 10 * 4)
        // Each worker's own series got all 50 samples.
        for w in 0..<4 {
            for s in 10..<20 {
                #expect(got[series("par", ["s": String(s % 10), "w": String(w)])]?.count == 50)
            }
        }
        for (_, samples) in got {
            #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        }
        try db.close()
    }
}

@Suite(.serialized) struct SeriesRecordTests {
    /// Series records in the WAL segment files, in order, with the sample refs that follow them.
    func walRecords(_ dir: String) throws -> [(series: [UInt64], samples: [UInt64])] {
        var out: [(series: [UInt64], samples: [UInt64])] = []
        for seg in try WAL.segmentIndexes(dir) {
            guard let bytes = try FileSystem.readFile(dir + "/" + Segment.name(seg)) else { continue }
            _ = try bytes.withUnsafeBytes { raw in
                try Segment.scan(raw) { _, payload in
                    switch WALRecordCodec.type(of: payload) {
                    case .series: out.append((try WALRecordCodec.decodeSeries(payload).map(\.ref), []))
                    case .samples:
                        var s: [WALSample] = []
                        try WALRecordCodec.decodeSamples(payload, into: &s)
                        out.append(([], s.map(\.ref)))
                    case nil: break
                    }
                }
            }
        }
        return out
    }

    /// Appender A creates a series and has not committed when appender B appends to it and
    /// commits: B's batch must carry the series record, or a crash right then would leave B's
    /// acknowledged samples in the WAL without their series.
    @Test func aBatchLogsSeriesCreatedByAnUncommittedBatch() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let a = db.appender()
        let ref = try a.append(0, series("shared"), 1000, 1)
        let b = db.appender()
        try b.append(0, series("shared"), 2000, 2)
        try b.commit()
        let records = try walRecords(tmp.path + "/wal")
        let firstSeries = records.firstIndex { $0.series.contains(ref) }
        let firstSamples = records.firstIndex { $0.samples.contains(ref) }
        #expect(firstSeries != nil && firstSamples != nil && firstSeries! < firstSamples!)
        a.rollback()
        // Once logged, later batches do not log the series again.
        let c = db.appender()
        try c.append(ref, series("shared"), 3000, 3)
        try c.commit()
        #expect(try walRecords(tmp.path + "/wal").filter { $0.series.contains(ref) }.count == 1)
        try db.close()
    }
}
