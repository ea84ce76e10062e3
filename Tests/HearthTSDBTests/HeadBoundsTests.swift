import HearthModel
import HearthStorage
import HearthTSDB
import HearthTestSupport
import Testing

/// What the head refuses rather than trap on: timestamps outside ``StorableTime`` (chunk ranges
/// and block bounds computed from one would overflow; a remote-write sample near Int64.max
/// crashed the server before), and series with more labels than it can count.
@Suite struct HeadBoundsTests {
    @Test(arguments: [Int64.max, Int64.max - 1, StorableTime.maximum + 1, Int64.min + 1, StorableTime.minimum - 1])
    func samplesOutsideTheStorableRangeAreRefused(_ t: Int64) throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let app = db.appender()
        #expect(throws: AppendError.self) { try app.append(0, series("x"), t, 1) }
        try app.append(0, series("x"), 1000, 1)
        try app.commit()
        #expect(all(db)[series("x")] == [Sample(1000, 1)])
        try db.close()
    }

    @Test func theEdgesOfTheRangeAreStoredAndCompacted() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let app = db.appender()
        try app.append(0, series("a"), StorableTime.minimum, 1)
        try app.append(0, series("b"), StorableTime.maximum, 2)
        try app.commit()
        // The head spans the whole range: compaction cuts a block at each end, no more.
        let written = try db.compactHead()
        #expect(written.count <= 2)
        #expect(all(db).values.flatMap { $0 }.count == 2)
        try db.close()
    }

    @Test func seriesWithTooManyLabelsAreRefused() throws {
        let tmp = TemporaryDirectory()
        let db = try openDB(tmp.path)
        let app = db.appender()
        var many = ["__name__": "wide"]
        for i in 0..<Labels.maximumCount { many["l\(i)"] = "v" }
        #expect(throws: AppendError.self) { try app.append(0, Labels(many), 1000, 1) }
        many.removeValue(forKey: "l0")
        try app.append(0, Labels(many), 1000, 1)
        try app.commit()
        try db.close()
        // The widest series allowed survives a restart, from the snapshot and from the WAL.
        for snapshot in [true, false] {
            let db2 = try openDB(tmp.path, snapshot: snapshot)
            #expect(all(db2)[Labels(many)] == [Sample(1000, 1)], "snapshot \(snapshot): \(db2.openReport.problems) \(db2.openReport.snapshotError ?? "")")
            try db2.close()
        }
    }
}
