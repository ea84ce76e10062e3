import HearthModel
import HearthPromQLParser
import HearthStorage
import Synchronization

/// Reads every selection of a query at once before evaluating it, for a querier that waits on
/// the network (`hearth query`): `a / b` then costs one round of remote reads, not two, and
/// the evaluator keeps its synchronous hot loop.
///
/// Which selections a query makes does not depend on the data, so they are found by evaluating
/// it once over nothing (a querier that records what it is asked and answers empty). The real
/// evaluation then finds each answer ready; anything not read ahead is read when asked, as
/// without prefetching.
enum Prefetch {
    /// A querier answering the selections read ahead, and the rest from `base`.
    static func querier(
        for expr: Expr, start: Int64, end: Int64, step: Int64, base: any Querier, options: EngineOptions,
        deadline: ContinuousClock.Instant
    ) -> (any Querier)? {
        let recorder = Recorder()
        let context = QueryContext(querier: recorder, options: options, queryStart: start, queryEnd: end, queryStep: step, deadline: deadline)
        let evaluator = Evaluator(start: start, end: step == 0 ? start : end, interval: step == 0 ? 1 : step, context: context)
        _ = try? evaluator.eval(expr)
        var wanted: [Selection] = []
        for s in recorder.asked.withLock({ $0 }) where !wanted.contains(s) { wanted.append(s) }
        guard wanted.count > 1 else { return nil }
        let answers = Mutex([Result<SeriesSet, StorageError>?](repeating: nil, count: wanted.count))
        let selections = wanted
        runConcurrentlyOnOwnThreads(wanted.count) { i in
            let answer: Result<SeriesSet, StorageError>
            do throws(StorageError) {
                answer = .success(try base.select(selections[i].matchers, hints: selections[i].hints))
            } catch {
                answer = .failure(error)
            }
            answers.withLock { $0[i] = answer }
        }
        var ready: [Selection: Result<SeriesSet, StorageError>] = [:]
        for (s, a) in zip(wanted, answers.withLock { $0 }) { ready[s] = a }
        return Prefetched(base: base, ready: ready)
    }

    /// One selection: its matchers (as written) and hints.
    struct Selection: Hashable, Sendable {
        var matchers: [Matcher]
        var hints: SelectHints

        static func == (a: Selection, b: Selection) -> Bool {
            a.hints == b.hints && a.matchers.count == b.matchers.count
                && zip(a.matchers, b.matchers).allSatisfy { $0.kind == $1.kind && $0.name == $1.name && $0.value == $1.value }
        }

        func hash(into h: inout Hasher) {
            h.combine(hints)
            for m in matchers {
                h.combine(m.name)
                h.combine(m.kind.rawValue)
                h.combine(m.value)
            }
        }
    }

    /// Records the selections asked for and answers each with nothing.
    final class Recorder: Querier {
        let asked = Mutex<[Selection]>([])

        func select(_ matchers: [Matcher], hints: SelectHints) throws(StorageError) -> SeriesSet {
            asked.withLock { $0.append(Selection(matchers: matchers, hints: hints)) }
            return SeriesSet()
        }

        func labelNames(_ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList { LabelList() }
        func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList { LabelList() }
    }

    /// The answers read ahead, then `base`.
    final class Prefetched: Querier {
        let base: any Querier
        let ready: [Selection: Result<SeriesSet, StorageError>]

        init(base: any Querier, ready: [Selection: Result<SeriesSet, StorageError>]) {
            self.base = base
            self.ready = ready
        }

        var blocksOnRemoteReads: Bool { base.blocksOnRemoteReads }

        func select(_ matchers: [Matcher], hints: SelectHints) throws(StorageError) -> SeriesSet {
            if let answer = ready[Selection(matchers: matchers, hints: hints)] { return try answer.get() }
            return try base.select(matchers, hints: hints)
        }

        func labelNames(_ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList {
            try base.labelNames(matchers, hints: hints)
        }

        func labelValues(_ name: String, _ matchers: [Matcher], hints: LabelHints) throws(StorageError) -> LabelList {
            try base.labelValues(name, matchers, hints: hints)
        }
    }
}
