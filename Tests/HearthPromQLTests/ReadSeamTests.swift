import HearthChunks
import HearthModel
import HearthPromQL
import HearthPromQLTesting
import HearthStorage
import Testing

/// What the engine does with what a querier tells it: hints in, warnings and failures out.
@Suite struct ReadSeamTests {
    /// A querier that answers with fixed series (or fails) and records the hints it was given.
    final class ScriptedQuerier: Querier, @unchecked Sendable {
        var series: [SeriesData] = []
        var warnings: [String] = []
        var failure: StorageError?
        var hints: [SelectHints] = []

        func select(_ matchers: [Matcher], hints: SelectHints) throws(StorageError) -> SeriesSet {
            self.hints.append(hints)
            if let failure { throw failure }
            return SeriesSet(series, warnings: warnings)
        }

        func labelNames(_ matchers: [Matcher], hints: LabelHints) -> LabelList { LabelList() }
        func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) -> LabelList { LabelList() }
    }

    static let labels = Labels(["__name__": "x", "job": "a"])

    static func series(_ samples: [(Int64, Double)]) -> SeriesData {
        var app = XORAppender()
        for (t, v) in samples { app.append(timestamp: t, value: v) }
        return SeriesData(labels: labels, chunks: [ChunkData(minTime: samples.first!.0, maxTime: samples.last!.0, bytes: app.bytes)],
                          minTime: .min, maxTime: .max)
    }

    @Test func warningsReachTheResult() throws {
        let q = ScriptedQuerier()
        q.series = [Self.series([(0, 1), (60_000, 2)])]
        q.warnings = ["block 01ABC: 1 damaged part left out of the answer"]
        let result = try Engine().evaluate(Engine().parse("x"), start: 60_000, end: 60_000, step: 0, querier: q)
        #expect(result.annotations.warnings == q.warnings)
        guard case .vector(let v) = result.value else { Issue.record("not a vector"); return }
        #expect(v.map(\.f) == [2])
    }

    @Test func aFailedReadFailsTheQuery() throws {
        let q = ScriptedQuerier()
        q.failure = StorageError("endpoint 10.0.0.1:9090: connection refused")
        #expect(throws: QueryError.storage("endpoint 10.0.0.1:9090: connection refused")) {
            try Engine().evaluate(Engine().parse("sum(rate(x[5m]))"), start: 0, end: 600_000, step: 60_000, querier: q)
        }
    }

    @Test func aChunkThatDoesNotDecodeFailsTheQueryInsteadOfShorteningTheSeries() throws {
        let q = ScriptedQuerier()
        var good = Self.series((0..<100).map { (Int64($0) * 15_000, Double($0)) })
        // Cut the chunk short: its header still declares 100 samples.
        good.chunks[0].bytes.removeLast(good.chunks[0].bytes.count / 2)
        q.series = [good]
        for query in ["x", "rate(x[5m])", "x[5m]"] {
            let step: Int64 = query == "x[5m]" ? 0 : 15_000
            let start: Int64 = query == "x[5m]" ? 1_485_000 : 0
            #expect(throws: QueryError.self, "\(query)") {
                try Engine().evaluate(Engine().parse(query), start: start, end: 1_485_000, step: step, querier: q)
            }
        }
    }

    /// Federation, remote read and the rules read samples directly: a chunk that does not
    /// decode is an error there too.
    @Test func samplesOfAChunkThatDoesNotDecodeAreAnError() {
        var cut = Self.series((0..<100).map { (Int64($0) * 15_000, Double($0)) })
        cut.chunks[0].bytes.removeLast(cut.chunks[0].bytes.count / 2)
        #expect(throws: StorageError.self) { try cut.samples() }
        #expect(throws: Never.self) { try Self.series([(0, 1)]).samples() }
    }

    @Test func hintsDescribeTheSelection() throws {
        let q = ScriptedQuerier()
        q.series = [Self.series([(0, 1)])]
        _ = try Engine().evaluate(Engine().parse("rate(x[5m] offset 1m)"), start: 600_000, end: 900_000, step: 30_000, querier: q)
        #expect(q.hints.count == 1)
        let h = try #require(q.hints.first)
        #expect(h.function == "rate")
        #expect(h.range == 300_000)
        #expect(h.step == 30_000)
        #expect(h.start == 600_000 - 60_000 - 300_000 + 1)
        #expect(h.end == 900_000 - 60_000)
    }
}
