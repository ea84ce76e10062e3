import Benchmark
import HearthModel
import HearthQuery
import HearthRemoteProtocol
import HearthStorage

/// `hearth query`'s hot paths: decoding an endpoint's streamed remote-read answer, merging HA
/// replicas, and adding external labels to a pushed-down query's answer.
enum Answer {
    /// 10,000 series of a node-exporter-like host, one 120-sample XOR chunk each, in frames of
    /// about 1 MiB as Prometheus writes them.
    static let body: [UInt8] = {
        var out: [UInt8] = []
        var frame: [(Labels, [ReadResponseEncoder.XORChunk])] = []
        var bytes = 0
        for i in 0..<10_000 {
            let labels = Labels(["__name__": "node_cpu_seconds_total", "instance": "host-\(i / 32):9100", "job": "node",
                                 "cpu": String(i % 8), "mode": "m\(i % 4)", "region": "eu-\(i % 3)"])
            var samples: [Sample] = []
            for k in 0..<120 { samples.append(Sample(Int64(k) * 15_000, Double(i &+ k) * 0.25)) }
            let chunk = ChunkData.encode(samples)[0]
            frame.append((labels, [ReadResponseEncoder.XORChunk(minTime: chunk.minTime, maxTime: chunk.maxTime, bytes: chunk.bytes)]))
            bytes += chunk.bytes.count + 120
            if bytes > 1 << 20 {
                out += ReadResponseEncoder.chunkedFrame(frame, queryIndex: 0)
                frame.removeAll()
                bytes = 0
            }
        }
        if !frame.isEmpty { out += ReadResponseEncoder.chunkedFrame(frame, queryIndex: 0) }
        return out
    }()

    /// A range query's answer as Prometheus writes it: 10,000 series of 61 points.
    static let json: [UInt8] = {
        var text = #"{"status":"success","data":{"resultType":"matrix","result":["#
        for i in 0..<10_000 {
            if i > 0 { text += "," }
            text += #"{"metric":{"device":"eth\#(i % 4)","instance":"host-\#(i / 4):9100","job":"node"},"values":["#
            text += (0...60).map { #"[\#(1_700_000_000 + $0 * 60),"\#(Double(i * $0) * 1.25)"]"# }.joined(separator: ",")
            text += "]}"
        }
        return Array((text + "]}}").utf8)
    }()

    /// Two replicas of 1,000 series, 240 samples each, scraped 7 s apart in a 15 s interval.
    static let replicas: [SeriesData] = {
        var out: [SeriesData] = []
        for i in 0..<1_000 {
            for (replica, offset) in [("a", Int64(0)), ("b", Int64(7_000))] {
                var samples: [Sample] = []
                for k in 0..<240 { samples.append(Sample(Int64(k) * 15_000 + offset, Double(k))) }
                out.append(SeriesData(labels: Labels(["__name__": "up", "instance": "host-\(i)", "replica": replica]),
                                      chunks: ChunkData.encode(samples), minTime: .min, maxTime: .max))
            }
        }
        return out.sorted { $0.labels < $1.labels }
    }()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(3), maxIterations: 1_000)
    Benchmark("Remote read: decode a streamed answer (10k series, 1.2M samples)") { benchmark in
        let body = Answer.body
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            body.withUnsafeBytes { raw in
                var frames = ReadResponseDecoder.Frames(raw)
                var n = 0
                while let frame = try! frames.next() { n += frame.series.count }
                blackHole(n)
            }
        }
    }
    Benchmark("Pushdown: add external labels to an answer (10k series, 61 points, 11 MB)") { benchmark in
        let body = Answer.json
        let labels = Labels(["cluster": "eu", "region": "west"])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(Pushdown.addingLabels(labels, to: body)) }
    }
    Benchmark("Dedup: two replicas of 1,000 series, 240 samples each") { benchmark in
        let series = Answer.replicas
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try! Deduplication.merge(series, replicaLabels: ["replica"])) }
    }
}
