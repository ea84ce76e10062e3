import Benchmark
import HearthChunks
import HearthIndex
import HearthModel
import HearthTSDB
import HearthWAL
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Fixed inputs, generated once before any benchmark runs (as Prometheus's chunkenc benchmarks
/// do), so adding a benchmark does not change the others' data.
enum Inputs {
    /// 120 samples of a node-exporter-like counter at 15 s with scrape jitter.
    static let chunkSamples: [(Int64, Double)] = {
        var rng = SplitMix(seed: 42)
        var t: Int64 = 1_700_000_000_000
        var v = 1000.0
        return (0..<120).map { _ in
            t += 15_000 + Int64(rng.next() % 20) - 10
            v += Double(rng.next() % 1000) / 100
            return (t, v)
        }
    }()

    static let encodedChunk: [UInt8] = {
        var a = XORAppender()
        for (t, v) in chunkSamples { a.append(timestamp: t, value: v) }
        return a.bytes
    }()

    /// The same samples in the head's decimal encoding (values with two decimals).
    static let decimalChunk: [UInt8] = {
        var encoder = HeadChunkEncoder()
        var bytes: [UInt8] = []
        for (t, v) in chunkSamples { encoder.append(timestamp: t, value: v, into: &bytes) }
        if encoder.pendingBits > 0 { bytes.append(encoder.pendingByte) }
        precondition(encoder.encoding == .decimal)
        return bytes
    }()

    static func labels(_ i: Int) -> Labels {
        Labels([
            "__name__": "node_cpu_seconds_total", "instance": "host-\(i / 94).example:9100",
            "job": "node", "cpu": String(i % 4), "mode": String(i % 94), "region": "eu-\(i % 3)",
        ])
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A database with `series` series, each with one sample, for the append benchmarks.
final class AppendFixture {
    let dir: String
    let db: DB
    var refs: [UInt64] = []
    var t: Int64 = 15_000

    init(series: Int) throws {
        var template = Array("/tmp/hearth-bench-XXXXXX".utf8CString)
        dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var options = DB.Options(path: dir)
        options.snapshotOnShutdown = false
        db = try DB(options: options, logger: logger)
        refs.reserveCapacity(series)
        var i = 0
        while i < series {
            let app = db.appender()
            for j in i..<min(series, i + 10_000) { refs.append(try app.append(0, Inputs.labels(j), 0, 0)) }
            try app.commit()
            i += 10_000
        }
    }

    /// Appends one sample to every series, committing every `batch` samples.
    func appendRound(batch: Int = 10_000) throws {
        var app = db.appender()
        var n = 0
        for ref in refs {
            try app.append(ref, Labels(), t, Double(t))
            n += 1
            if n == batch {
                try app.commit()
                app = db.appender()
                n = 0
            }
        }
        try app.commit()
        t += 15_000
    }

    deinit {
        try? db.close()
        _ = system("rm -rf '\(dir)'")
    }
}

/// Decodes `chunk` whole into reused arrays, once per scaled iteration.
func decodeRepeatedly<D: ChunkSampleDecoder>(_ chunk: [UInt8], as decoder: D.Type, _ benchmark: Benchmark) {
    var ts: [Int64] = []
    var vs: [Double] = []
    ts.reserveCapacity(120)
    vs.reserveCapacity(120)
    for _ in benchmark.scaledIterations {
        ts.removeAll(keepingCapacity: true)
        vs.removeAll(keepingCapacity: true)
        chunk.withUnsafeBytes { raw in
            try? decodeChunk(raw, as: D.self, timestamps: &ts, values: &vs)
        }
        blackHole(ts.count)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(10),
        maxIterations: 1000
    )

    Benchmark("XOR chunk encode (120 samples)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            var a = XORAppender()
            for (t, v) in Inputs.chunkSamples { a.append(timestamp: t, value: v) }
            blackHole(a.byteCount)
        }
    }

    Benchmark("XOR chunk decode (120 samples)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        decodeRepeatedly(Inputs.encodedChunk, as: XORDecoder.self, benchmark)
    }

    Benchmark("Decimal head chunk encode (120 samples)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        for _ in benchmark.scaledIterations {
            bytes.removeAll(keepingCapacity: true)
            var encoder = HeadChunkEncoder()
            for (t, v) in Inputs.chunkSamples { encoder.append(timestamp: t, value: v, into: &bytes) }
            blackHole(bytes.count)
        }
    }

    Benchmark("Decimal head chunk decode (120 samples)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        decodeRepeatedly(Inputs.decimalChunk, as: DecimalDecoder.self, benchmark)
    }

    Benchmark("Decimal head chunk to XOR (120 samples)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            let xor = Inputs.decimalChunk.withUnsafeBytes { raw in try? DecimalChunk.xorBytes(raw) }
            blackHole(xor?.count ?? 0)
        }
    }

    Benchmark("Postings intersect (10k ∩ 1M)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let big = PostingsList(0..<1_000_000)
        let small = PostingsList(stride(from: 7, to: 1_000_000, by: 100))
        for _ in benchmark.scaledIterations {
            blackHole(Postings.intersect(small, big).count)
        }
    }

    for series in [100_000, 1_000_000] {
        // One iteration appends one sample to every series: throughput × series = samples/s.
        Benchmark(
            "Append to \(series / 1000)k existing series (one sample each, 10k per commit)",
            configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(20),
                                 maxIterations: series >= 1_000_000 ? 10 : 30)
        ) { benchmark, fixture in
            for _ in benchmark.scaledIterations {
                try fixture.appendRound()
            }
        } setup: {
            try AppendFixture(series: series)
        }
    }
}
