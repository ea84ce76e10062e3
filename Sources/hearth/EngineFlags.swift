import ArgumentParser
import HearthModel
import HearthPromQL

/// The query engine's flags, with Prometheus's names: shared by every role that answers PromQL.
struct EngineFlags: ParsableArguments {
    @Option(name: .customLong("query.max-samples"),
            help: "Maximum number of samples a single query can load into memory.")
    var maxSamples = 50_000_000

    @Option(name: .customLong("query.timeout"), help: "Maximum time a query may take before being aborted.")
    var timeout = "2m"

    @Option(name: .customLong("query.max-concurrency"), help: "Maximum number of queries executed concurrently.")
    var maxConcurrency = 20

    @Option(name: .customLong("query.lookback-delta"),
            help: "The maximum lookback duration for retrieving metrics during expression evaluations.")
    var lookbackDelta = "5m"

    func validate() throws {
        for (flag, value) in [("query.timeout", timeout), ("query.lookback-delta", lookbackDelta)] {
            guard let ms = PrometheusDuration.parseMilliseconds(value), ms > 0 else {
                throw ValidationError("invalid --\(flag) \"\(value)\": expected a positive duration such as 2m")
            }
        }
        guard maxSamples > 0, maxConcurrency > 0 else {
            throw ValidationError("--query.max-samples and --query.max-concurrency must be positive")
        }
    }

    var options: EngineOptions {
        var options = EngineOptions()
        options.maxSamples = maxSamples
        options.timeout = .milliseconds(PrometheusDuration.parseMilliseconds(timeout)!)
        options.maxConcurrentQueries = maxConcurrency
        options.lookbackDelta = PrometheusDuration.parseMilliseconds(lookbackDelta)!
        return options
    }

    /// Name and value of each flag, for `status/flags`.
    var flags: [(String, String)] {
        [("query.max-samples", String(maxSamples)), ("query.timeout", timeout),
         ("query.max-concurrency", String(maxConcurrency)), ("query.lookback-delta", lookbackDelta)]
    }
}
