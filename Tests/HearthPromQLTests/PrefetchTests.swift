import Glibc
import HearthModel
@testable import HearthPromQL
import HearthPromQLTesting
import HearthStorage
import Synchronization
import Testing

/// A querier that waits on the network gets every selection of a query at once.
@Suite struct PrefetchTests {
    /// Answers from `storage` like a remote querier: each select waits (up to 5 s) until
    /// `expected` selects are in flight together, and the most seen at once is kept.
    final class SlowRemote: Querier {
        let storage: MemoryStorage
        let expected: Int
        let inFlight = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let calls = Atomic<Int>(0)

        init(_ storage: MemoryStorage, expected: Int) {
            self.storage = storage
            self.expected = expected
        }

        var blocksOnRemoteReads: Bool { true }

        func select(_ matchers: [Matcher], hints: SelectHints) throws(StorageError) -> SeriesSet {
            calls.add(1, ordering: .relaxed)
            let now = inFlight.add(1, ordering: .sequentiallyConsistent).newValue
            _ = peak.max(now, ordering: .sequentiallyConsistent)
            let deadline = ContinuousClock.now + .seconds(5)
            while inFlight.load(ordering: .sequentiallyConsistent) < expected && peak.load(ordering: .sequentiallyConsistent) < expected
                    && ContinuousClock.now < deadline {
                usleep(1000)
            }
            defer { inFlight.subtract(1, ordering: .sequentiallyConsistent) }
            return try storage.select(matchers, hints: hints)
        }

        func labelNames(_ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList { LabelList() }
        func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList { LabelList() }
    }

    static func storage() -> MemoryStorage {
        let s = MemoryStorage()
        for name in ["a", "b", "c"] {
            for i in 0..<3 {
                for t in stride(from: Int64(0), through: 600_000, by: 15_000) {
                    s.append(Labels(["__name__": name, "instance": "h\(i)"]), t, Double(t / 1000 + Int64(i)))
                }
            }
        }
        return s
    }

    @Test func everySelectionIsReadAtOnceAndTheAnswerIsUnchanged() throws {
        let storage = Self.storage()
        let engine = Engine()
        let query = "rate(a[5m]) + on (instance) b + ignoring () sum_over_time(c[2m] offset 1m)"
        for (start, end, step) in [(Int64(600_000), Int64(600_000), Int64(0)), (300_000, 600_000, 30_000)] {
            let remote = SlowRemote(storage, expected: 3)
            let here = try engine.evaluate(engine.parse(query), start: start, end: end, step: step, querier: storage)
            let there = try engine.evaluate(engine.parse(query), start: start, end: end, step: step, querier: remote)
            #expect(remote.peak.load(ordering: .relaxed) == 3, "the three selections were read together")
            #expect(remote.calls.load(ordering: .relaxed) == 3, "and each once")
            #expect(String(describing: here.value) == String(describing: there.value))
        }
    }

    @Test func aFailedReadFailsTheQueryAsWithoutPrefetching() throws {
        final class Failing: Querier {
            var blocksOnRemoteReads: Bool { true }
            func select(_ matchers: [Matcher], hints: SelectHints) throws(StorageError) -> SeriesSet {
                if matchers.contains(where: { $0.value == "b" }) { throw StorageError("b: endpoint down") }
                return SeriesSet()
            }
            func labelNames(_ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList { LabelList() }
            func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList { LabelList() }
        }
        let engine = Engine()
        #expect(throws: QueryError.storage("b: endpoint down")) {
            _ = try engine.evaluate(engine.parse("a + b"), start: 0, end: 0, step: 0, querier: Failing())
        }
    }
}
