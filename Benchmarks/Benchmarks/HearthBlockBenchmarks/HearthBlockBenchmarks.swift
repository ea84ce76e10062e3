import Benchmark
#if canImport(Glibc)
import Glibc
#endif
import HearthBlock
import HearthModel
import HearthStorage

/// A block of 100k series (job: 100 values, instance: 10k values), 120 samples each, written
/// once in a temporary directory: the hot paths of reading blocks.
enum Fixture {
    static let series = 100_000
    static let block: Block = {
        var template = Array("/tmp/hearth-block-bench-XXXXXX".utf8CString)
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
        var input: [SeriesData] = []
        for i in 0..<series {
            let labels = Labels(["__name__": "node_metric_\(i % 7)", "job": "job-\(i % 100)",
                                 "instance": "host-\(i % 10_000)", "id": String(i)])
            var samples: [Sample] = []
            for k in 0..<120 { samples.append(Sample(Int64(k) * 15_000, Double(i &* 31 &+ k))) }
            input.append(SeriesData(labels: labels, chunks: ChunkData.encode(samples), minTime: .min, maxTime: .max))
        }
        input.sort { $0.labels < $1.labels }
        let meta = try! BlockWriter.write(parent: dir, plan: .init(minTime: 0, maxTime: 7_200_000), series: input)!
        return try! Block(directory: dir + "/\(meta.ulid)")
    }()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(3), maxIterations: 10_000
    )
    Benchmark("Block: postings for job=X, instance=Y (10 of 100k)") { benchmark in
        let m = [try! Matcher(.equal, "job", "job-42"), try! Matcher(.equal, "instance", "host-4242")]
        _ = Fixture.block
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(Fixture.block.index.postings(for: m)) }
    }
    Benchmark("Block: select 10 of 100k by two equality matchers") { benchmark in
        let m = [try! Matcher(.equal, "job", "job-42"), try! Matcher(.equal, "instance", "host-4242")]
        _ = Fixture.block
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(Fixture.block.select(m, minTime: .min, maxTime: .max)) }
    }
    Benchmark("Block: select job=X (1k of 100k series, 120 samples each)") { benchmark in
        let m = [try! Matcher(.equal, "job", "job-7")]
        _ = Fixture.block
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(Fixture.block.select(m, minTime: .min, maxTime: .max)) }
    }
    Benchmark("Block: label values of instance (10k)") { benchmark in
        _ = Fixture.block
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(Fixture.block.labelValues("instance", [], hints: LabelHints())) }
    }
    Benchmark("Index: encode 10k series") { benchmark in
        var series: [(labels: Labels, chunks: [IndexChunkMeta])] = []
        for i in 0..<10_000 {
            let labels = Labels(["__name__": "m", "job": "job-\(i % 100)", "id": String(i)])
            series.append((labels: labels, chunks: [IndexChunkMeta(minTime: 0, maxTime: 100, ref: UInt64(8 + i * 40))]))
        }
        series.sort { $0.labels < $1.labels }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try! IndexWriter.encode(series)) }
    }
}
