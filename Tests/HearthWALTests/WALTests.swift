import HearthFileIO
import HearthModel
import HearthTestSupport
import HearthWAL
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct WALRecordTests {
    @Test func seriesAndSamplesRoundTrip() throws {
        let series = [WALSeries(ref: 1, labels: Labels(["__name__": "up", "job": "a"])),
                      WALSeries(ref: 900_000, labels: Labels(["__name__": "x", "ü": "∑"]))]
        var payload: [UInt8] = []
        WALRecordCodec.encodeSeries(series, into: &payload)
        let decoded = try payload.withUnsafeBytes { try WALRecordCodec.decodeSeries($0) }
        #expect(decoded == series)

        let samples = [WALSample(ref: 5, timestamp: 1000, value: 1.5),
                       WALSample(ref: 2, timestamp: -3, value: StaleMarker.value),
                       WALSample(ref: 1 << 40, timestamp: .max, value: .nan)]
        payload = []
        WALRecordCodec.encodeSamples(samples, into: &payload)
        var out: [WALSample] = []
        try payload.withUnsafeBytes { try WALRecordCodec.decodeSamples($0, into: &out) }
        #expect(out == samples)
    }

    @Test func framingDetectsEveryKindOfDamage() {
        var seg: [UInt8] = []
        for i in 0..<5 {
            let payload = [UInt8](repeating: UInt8(i), count: 10 + i)
            payload.withUnsafeBytes { Segment.appendRecord($0, to: &seg) }
        }
        func count(_ bytes: [UInt8]) -> (Int, Segment.ScanEnd) {
            var n = 0
            let end = bytes.withUnsafeBytes { Segment.scan($0) { _, _ in n += 1 } }
            return (n, end)
        }
        #expect(count(seg).0 == 5)
        #expect(count(seg).1 == .clean)
        #expect(count(seg + [UInt8](repeating: 0, count: 100)).1 == .clean)  // zero padding
        let (n1, e1) = count(Array(seg.dropLast(3)))  // torn payload
        #expect(n1 == 4)
        if case .corrupt = e1 {} else { Issue.record("torn tail not detected") }
        var flipped = seg
        flipped[20] ^= 0x10  // inside the second record
        #expect(count(flipped).0 == 1)
        let (n3, e3) = count(seg + [0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04, 0x05])
        #expect(n3 == 5)
        if case .corrupt = e3 {} else { Issue.record("garbage not detected") }
    }
}

@Suite(.serialized) struct WALTests {
    func open(_ dir: String, size: Int = 4096, after: WALPosition? = nil) throws -> (WAL, [[UInt8]], WALReplayReport) {
        var records: [[UInt8]] = []
        var report = WALReplayReport()
        let wal = try WAL(directory: dir, segmentSize: size, replayingAfter: after, report: &report) {
            records.append(Array($0))
        }
        return (wal, records, report)
    }

    func record(_ i: Int) -> [UInt8] {
        var framed: [UInt8] = []
        payload(i).withUnsafeBytes { Segment.appendRecord($0, to: &framed) }
        return framed
    }

    /// A record payload that starts with a WAL record type, as every real record does (a reader
    /// resynchronizing after damage looks for one).
    func payload(_ i: Int) -> [UInt8] { [UInt8(1 + i % 2)] + (1..<(50 + i % 30)).map { UInt8(truncatingIfNeeded: $0 &+ i) } }

    @Test func replaysEverythingAcrossSegments() throws {
        let tmp = TemporaryDirectory()
        let (wal, _, _) = try open(tmp.path)
        for i in 0..<500 { try wal.log(record(i)) }
        try wal.close()
        let (wal2, records, report) = try open(tmp.path)
        #expect(records == (0..<500).map(payload))
        #expect(report.repaired == nil)
        #expect(try WAL.segmentIndexes(tmp.path).count > 5)
        try wal2.close()
    }

    @Test func replayAfterAPositionSkipsWhatCameBefore() throws {
        let tmp = TemporaryDirectory()
        let (wal, _, _) = try open(tmp.path)
        for i in 0..<10 { try wal.log(record(i)) }
        let pos = wal.position
        for i in 10..<20 { try wal.log(record(i)) }
        try wal.close()
        let (_, records, _) = try open(tmp.path, after: pos)
        #expect(records == (10..<20).map(payload))
    }

    /// Truncation, bit flips and garbage in the last segment: replay keeps every record
    /// before the damage, repairs the file, and the log keeps working.
    @Test(arguments: ["truncate", "bitflip", "garbage", "zeros"])
    func damagedTailIsRepaired(_ damage: String) throws {
        let tmp = TemporaryDirectory()
        let (wal, _, _) = try open(tmp.path, size: 1 << 20)
        for i in 0..<100 { try wal.log(record(i)) }
        try wal.close()
        let seg = tmp.path + "/" + Segment.name(0)
        var bytes = try FileSystem.readFile(seg)!
        let size = bytes.count
        var intact = 0
        var offset = 0
        for i in 0..<100 {
            let len = record(i).count
            if offset + len > size - 200 { break }
            offset += len
            intact += 1
        }
        switch damage {
        case "truncate": bytes = Array(bytes[..<(offset + 5)])
        // The flipped record is the tail's first; cutting the records after it shows a damaged
        // tail (with records after it, the reader would step over it instead: see below).
        case "bitflip":
            bytes = Array(bytes[..<(offset + record(intact).count)])
            bytes[offset + 12] ^= 0x04
        case "garbage": bytes = Array(bytes[..<offset]) + (0..<300).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        default: bytes = Array(bytes[..<offset]) + [UInt8](repeating: 0, count: 50) + [1, 2, 3]
        }
        try FileSystem.writeFileAtomically(seg, bytes)
        let (wal2, records, report) = try open(tmp.path, size: 1 << 20)
        #expect(records == (0..<intact).map(payload))
        #expect(report.repaired?.position == WALPosition(segment: 0, offset: offset))
        #expect(FileSystem.fileSize(seg) == offset)
        try wal2.log(record(1000))
        try wal2.close()
        let (_, again, report3) = try open(tmp.path, size: 1 << 20)
        #expect(again == (0..<intact).map(payload) + [payload(1000)])
        #expect(report3.repaired == nil)
    }

    /// A record damaged in the middle of the log costs that record only: the records after it,
    /// in its segment and in later ones, still replay, and the damage is reported with its file
    /// and offset. Damage to the payload (the length still points at the next record) and to the
    /// length field (the reader searches for the next intact record) both recover.
    @Test(arguments: [4, 9, 20])
    func damageInTheMiddleCostsOnlyTheDamagedRecord(_ flippedByte: Int) throws {
        let tmp = TemporaryDirectory()
        let (wal, _, _) = try open(tmp.path, size: 1000)
        for i in 0..<100 { try wal.log(record(i)) }
        try wal.close()
        let seg1 = tmp.path + "/" + Segment.name(1)
        var bytes = try FileSystem.readFile(seg1)!
        // The second record of segment 1: bytes 0-3 length, 4-7 CRC, 8... payload.
        let second = Segment.headerSize + Int(bytes[0]) | Int(bytes[1]) << 8
        bytes[second + flippedByte] ^= 0xFF
        try FileSystem.writeFileAtomically(seg1, bytes)
        let (_, records, report) = try open(tmp.path, size: 1000)
        #expect(report.repaired == nil)
        #expect(report.damage.count == 1)
        #expect(report.damage.first?.file == seg1)
        #expect(report.damage.first?.damage.offset == second)
        #expect(records.count == 99)
        let lost = Set((0..<100).map(payload)).subtracting(records)
        #expect(lost.count == 1)
        #expect(try WAL.segmentIndexes(tmp.path).count > 2)
    }

    @Test func groupCommitMakesBatchesDurable() throws {
        let tmp = TemporaryDirectory()
        var report = WALReplayReport()
        let wal = try WAL(directory: tmp.path, syncMode: .groupCommit, report: &report) { _ in }
        for i in 0..<20 {
            let ticket = try wal.log(record(i))
            try wal.waitUntilDurable(ticket)
        }
        try wal.close()
        let (_, records, _) = try open(tmp.path)
        #expect(records.count == 20)
    }

    @Test func checkpointKeepsWhatTheFilterKeepsAndTruncates() throws {
        let tmp = TemporaryDirectory()
        let (wal, _, _) = try open(tmp.path, size: 1000)
        for i in 0..<60 { try wal.log(record(i)) }
        let last = try wal.cutSegment()
        for i in 60..<70 { try wal.log(record(i)) }
        // Keep even-numbered records only.
        try wal.checkpoint(through: last) { p in p[0] % 2 == 0 ? Array(p) : nil }
        try wal.close()
        #expect(try WAL.segmentIndexes(tmp.path).allSatisfy { $0 > last })
        let (_, records, report) = try open(tmp.path, size: 1000)
        #expect(report.checkpoint == last)
        let expected = (0..<60).map(payload).filter { $0[0] % 2 == 0 } + (60..<70).map(payload)
        #expect(records == expected)
    }
}
