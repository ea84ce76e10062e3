import HearthBlock
import HearthFileIO
import HearthModel
import HearthStorage
import HearthTestSupport
import Testing

/// Generated series for block tests: counters, gauges with special floats, stale markers.
enum BlockFixtures {
    static func series(count: Int, samples: Int, start: Int64 = 0, step: Int64 = 15_000) -> [(Labels, [Sample])] {
        var out: [(Labels, [Sample])] = []
        for i in 0..<count {
            let labels = Labels(["__name__": i % 3 == 0 ? "requests_total" : "temperature",
                                 "instance": "host-\(i % 7)", "job": "node", "id": String(i)])
            var list: [Sample] = []
            for k in 0..<samples {
                let t = start + Int64(k) * step + Int64(i % 5)
                var v: Double
                switch (i + k) % 23 {
                case 0: v = .nan
                case 1: v = .infinity
                case 2: v = -.infinity
                case 3: v = StaleMarker.value
                case 4: v = -0.0
                default: v = i % 3 == 0 ? Double(k * (i + 1)) : Double(i) + Double(k).squareRoot() * 1.5
                }
                if i == 1 && k == samples - 1 { v = StaleMarker.value }
                list.append(Sample(t, v))
            }
            out.append((labels, list))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    static func seriesData(_ input: [(Labels, [Sample])]) -> [SeriesData] {
        input.map { l, s in SeriesData(labels: l, chunks: ChunkData.encode(s), minTime: .min, maxTime: .max) }
    }
}

@Suite struct BlockRoundTripTests {
    @Test func ulidTextRoundTripsAndSortsByTime() throws {
        let a = ULID(milliseconds: 1_700_000_000_000)
        let b = ULID(milliseconds: 1_700_000_000_001)
        #expect(a < b)
        #expect(a.description.count == 26)
        #expect(ULID(a.description) == a)
        #expect(ULID(a.description)?.milliseconds == 1_700_000_000_000)
        #expect(ULID("01ARZ3NDEKTSV4RRFFQ69G5FAV")?.description == "01ARZ3NDEKTSV4RRFFQ69G5FAV")
        #expect(ULID("not-a-ulid") == nil)
        #expect(ULID("81ARZ3NDEKTSV4RRFFQ69G5FAV") == nil)  // more than 128 bits
    }

    @Test func metaJSONRoundTrips() throws {
        var meta = BlockMeta(ulid: ULID(), minTime: -5, maxTime: 7_200_000)
        meta.stats.numSamples = 10
        meta.stats.numSeries = 2
        meta.stats.numChunks = 3
        meta.level = 2
        meta.sources = [ULID(), ULID()]
        meta.parents = [.init(ulid: ULID(), minTime: 0, maxTime: 5)]
        #expect(try BlockMeta.parse(meta.encoded()) == meta)
        #expect(throws: BlockError.self) { try BlockMeta.parse(Array("{\"ulid\": 3}".utf8)) }
        #expect(throws: BlockError.self) { try BlockMeta.parse(Array("{".utf8)) }
    }

    @Test func seriesAndSamplesRoundTripThroughABlock() throws {
        let dir = TemporaryDirectory()
        let input = BlockFixtures.series(count: 200, samples: 300)
        let meta = try #require(try BlockWriter.write(parent: dir.path, plan: .init(minTime: 0, maxTime: 7_200_000),
                                                      series: BlockFixtures.seriesData(input)))
        #expect(meta.stats.numSeries == 200)
        #expect(meta.stats.numSamples == 200 * 300)
        // The head's 120-sample chunks (120 + 120 + 60) are joined up to 240 samples.
        #expect(meta.stats.numChunks == 200 * 2)
        let block = try Block(directory: dir.path + "/\(meta.ulid)")
        #expect(block.meta == meta)
        let all = block.select([], minTime: .min, maxTime: .max)
        #expect(all.count == input.count)
        for (got, want) in zip(all, input) {
            #expect(got.labels == want.0)
            #expect(try got.samples() == want.1)
        }
        // Matchers and label APIs.
        let m = try [Matcher(.equal, "instance", "host-3"), Matcher(.regexMatch, "__name__", "req.*")]
        let want = input.filter { $0.0["instance"] == "host-3" && $0.0["__name__"] == "requests_total" }
        #expect(block.select(m, minTime: .min, maxTime: .max).map(\.labels) == want.map(\.0))
        #expect(block.labelNames([], hints: LabelHints()).values == ["__name__", "id", "instance", "job"])
        #expect(block.labelValues("instance", [], hints: LabelHints()).values == (0..<7).map { "host-\($0)" })
        #expect(block.labelValues("__name__", [try Matcher(.equal, "id", "3")], hints: LabelHints()).values == ["requests_total"])
        let absent = try [Matcher(.notEqual, "job", "node")]
        #expect(block.select(absent, minTime: .min, maxTime: .max).isEmpty)
        // A time range outside the block selects nothing; one inside cuts samples.
        #expect(block.select([], minTime: 7_200_000, maxTime: .max).isEmpty)
        let part = block.select([try Matcher(.equal, "id", "10")], minTime: 30_000, maxTime: 60_000)
        #expect(try part.first?.samples().map(\.timestamp) == [30_000, 45_000, 60_000])  // id 10: no jitter (10 % 5)
    }

    @Test func writerCutsChunksToTheBlockRange() throws {
        let dir = TemporaryDirectory()
        let input = BlockFixtures.series(count: 3, samples: 100, step: 60_000)
        let meta = try #require(try BlockWriter.write(parent: dir.path, plan: .init(minTime: 1_800_000, maxTime: 3_600_000),
                                                      series: BlockFixtures.seriesData(input)))
        let block = try Block(directory: dir.path + "/\(meta.ulid)")
        for (got, want) in zip(block.select([], minTime: .min, maxTime: .max), input) {
            #expect(try got.samples() == want.1.filter { $0.timestamp >= 1_800_000 && $0.timestamp < 3_600_000 })
        }
        // Nothing in range: no block.
        #expect(try BlockWriter.write(parent: dir.path, plan: .init(minTime: 1 << 40, maxTime: 1 << 41),
                                      series: BlockFixtures.seriesData(input)) == nil)
        #expect(try FileSystem.list(dir.path) == ["\(meta.ulid)"])
    }

    @Test func tombstonesHideSamplesAndPersist() throws {
        let dir = TemporaryDirectory()
        let input = BlockFixtures.series(count: 30, samples: 200)
        let meta = try #require(try BlockWriter.write(parent: dir.path, plan: .init(minTime: 0, maxTime: 7_200_000),
                                                      series: BlockFixtures.seriesData(input)))
        let path = dir.path + "/\(meta.ulid)"
        let block = try Block(directory: path)
        let affected = try block.delete([try Matcher(.equal, "instance", "host-2")], minTime: 150_000, maxTime: 600_000)
        #expect(affected == input.filter { $0.0["instance"] == "host-2" }.count)
        try block.delete([try Matcher(.equal, "id", "5")], minTime: .min, maxTime: .max)
        for reopened in [block, try Block(directory: path)] {
            let got = reopened.select([], minTime: .min, maxTime: .max)
            let want = input.compactMap { l, s -> (Labels, [Sample])? in
                if l["id"] == "5" { return nil }
                if l["instance"] == "host-2" { return (l, s.filter { $0.timestamp < 150_000 || $0.timestamp > 600_000 }) }
                return (l, s)
            }
            #expect(got.map(\.labels) == want.map(\.0))
            for (g, w) in zip(got, want) { #expect(try g.samples() == w.1) }
        }
        #expect(try Tombstones.read(directory: path).count == affected + 1)
    }

    @Test func tombstoneFileRoundTripsAndRejectsDamage() throws {
        var t = Tombstones()
        t.add(7, DeletedInterval(10, 20))
        t.add(7, DeletedInterval(21, 30))  // adjacent: merged
        t.add(7, DeletedInterval(100, 200))
        t.add(3, DeletedInterval(.min, .max))
        #expect(t[7] == [DeletedInterval(10, 30), DeletedInterval(100, 200)])
        var bytes = t.encoded()
        #expect(try Tombstones.decode(bytes) == t)
        bytes[6] ^= 0x40
        #expect(throws: BlockError.self) { try Tombstones.decode(bytes) }
        #expect(throws: BlockError.self) { try Tombstones.decode([1, 2, 3]) }
    }

    @Test func damagedIndexIsAnErrorNotACrash() throws {
        let dir = TemporaryDirectory()
        let meta = try #require(try BlockWriter.write(parent: dir.path, plan: .init(minTime: 0, maxTime: 7_200_000),
                                                      series: BlockFixtures.seriesData(BlockFixtures.series(count: 20, samples: 50))))
        let path = dir.path + "/\(meta.ulid)/index"
        let original = try #require(try FileSystem.readFile(path))
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<200 {
            var bytes = original
            switch trial % 3 {
            case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            case 1: bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            default: bytes.replaceSubrange(5..<9, with: [0xFF, 0xFF, 0xFF, 0xFF])
            }
            try FileSystem.writeFileAtomically(path, bytes)
            if let block = try? Block(directory: dir.path + "/\(meta.ulid)") {
                _ = block.select([try Matcher(.regexMatch, "id", "1.*")], minTime: .min, maxTime: .max)
                _ = block.labelValues("id", [], hints: LabelHints()).values
            }
        }
    }
}
