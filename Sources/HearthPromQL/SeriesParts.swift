import Dispatch
import Synchronization

/// Splits the series of one selector into contiguous parts and works on the parts on several
/// threads at once, so that one large query uses every core (as VictoriaMetrics does; Prometheus
/// evaluates on one). Parts are contiguous and their outputs are concatenated in part order, so
/// the result is the same series in the same order as a single pass.
enum SeriesParts {
    /// How many parts `count` series are worth with `parallelism` threads: one below
    /// `minimumPerPart` series per part, where a thread's start-up would cost more than it saves.
    static func partCount(_ count: Int, parallelism: Int, minimumPerPart: Int) -> Int {
        max(1, min(parallelism, count / max(1, minimumPerPart)))
    }

    /// Runs `body` once per part of `0..<count`, on `parts` threads (the caller's among them),
    /// and returns the results in part order.
    static func run<R: Sendable>(count: Int, parts: Int, _ body: @Sendable (Range<Int>) -> R) -> [R] {
        if parts <= 1 { return [body(0..<count)] }
        let results = Mutex<[R?]>(Array(repeating: nil, count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let lower = count * p / parts
            let upper = count * (p + 1) / parts
            let r = body(lower..<upper)
            results.withLock { $0[p] = r }
        }
        return results.withLock { $0.map { $0! } }
    }
}
