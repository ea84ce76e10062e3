import Benchmark
import HearthModel
import HearthRemoteProtocol
import HearthSnappy
import RemoteWriteProto
import SwiftProtobuf

/// A remote-write request shaped like the side-by-side harness's: 2,000 series of a
/// node-exporter-like host, one sample each (as Prometheus sends them).
enum Request {
    static let names = ["node_cpu_seconds_total", "node_network_receive_bytes_total", "http_request_duration_seconds_bucket"]

    static func labels(_ i: Int) -> Labels {
        var d: [String: String] = [:]
        d["__name__"] = names[i % 3]
        d["instance"] = "host-\(i / 94):9100"
        d["job"] = i % 94 < 63 ? "node" : "api"
        d["region"] = "region-\(i % 4)"
        d["cpu"] = String(i % 4)
        d["mode"] = "m\(i % 8)"
        return Labels(d)
    }

    static let series: [(Labels, [Sample])] = (0..<2000).map { i in
        (labels(i), [Sample(1_700_000_000_000 + Int64(i), Double(i) * 1.5)])
    }
    static let body = WriteRequestEncoder.v1(series)
    /// The same samples as a remote-write queue holds them: (labels, sample) pairs.
    static let pairs: [(Labels, Sample)] = series.map { ($0.0, $0.1[0]) }
    static let compressed = Snappy.encode(body)
    /// The same request as an agent's queue builds it: each series' labels encoded once
    /// (`V1LabelSets`), samples naming their set.
    static let sets: V1LabelSets = {
        var sets = V1LabelSets()
        for (i, (labels, _)) in series.enumerated() { sets.add(ref: UInt64(i), labels) }
        return sets
    }()
    static let indexed: [(index: UInt32, sample: Sample)] = series.enumerated().map { (UInt32($0.offset), $0.element.1[0]) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 100_000
    )

    Benchmark("Remote write 1.0: hand-written decoder, labels decoded (2000 series)") { benchmark in
        for _ in benchmark.scaledIterations {
            var n = 0
            _ = try Request.body.withUnsafeBytes { raw in
                try WriteRequestDecoder.decodeV1(raw) { s in n += s.labels.count + s.samples.count }
            }
            blackHole(n)
        }
    }

    Benchmark("Remote write 1.0: hand-written decoder, known label sets (2000 series)") { benchmark in
        for _ in benchmark.scaledIterations {
            var n = 0
            _ = try Request.body.withUnsafeBytes { raw in
                try WriteRequestDecoder.decodeV1(raw, knownRef: { $0.count > 0 ? 1 : nil }) { s in n += s.samples.count }
            }
            blackHole(n)
        }
    }

    Benchmark("Remote write 1.0: swift-protobuf generated code (2000 series)") { benchmark in
        for _ in benchmark.scaledIterations {
            let request = try Prometheus_WriteRequest(serializedBytes: Request.body)
            var n = 0
            for ts in request.timeseries { n += ts.labels.count + ts.samples.count }
            blackHole(n)
        }
    }

    Benchmark("Remote write 1.0: encode a queue's request (2000 samples, one series each)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(WriteRequestEncoder.v1(samples: Request.pairs[...]))
        }
    }

    Benchmark("Remote write 1.0: encode a queue's request from encoded label sets (2000 samples)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(WriteRequestEncoder.v1(samples: Request.indexed[...], sets: Request.sets))
        }
    }

    Benchmark("Snappy encode of a remote-write body", configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(3))) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Snappy.encode(Request.body))
        }
    }

    Benchmark("Snappy decode of a remote-write body", configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(3))) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Snappy.decode(Request.compressed, limit: 1 << 26))
        }
    }
}
