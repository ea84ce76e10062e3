import HearthChunks
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthStorage
import HearthTSDB
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The HTTP layer's own metrics, named as Prometheus names its own: requests by handler and
/// code, request and query latency histograms, samples received by remote write.
public final class HTTPInstrumentation: Sendable {
    static let buckets: [Double] = [0.1, 0.2, 0.4, 1, 3, 8, 20, 60, 120]

    struct Histogram {
        var counts = [Int](repeating: 0, count: HTTPInstrumentation.buckets.count)
        var count = 0
        var sum = 0.0

        mutating func observe(_ v: Double) {
            for (i, b) in HTTPInstrumentation.buckets.enumerated() where v <= b { counts[i] += 1 }
            count += 1
            sum += v
        }
    }

    struct State {
        var requests: [String: [UInt: Int]] = [:]
        var durations: [String: Histogram] = [:]
        var queries = Histogram()
        var samplesReceived = 0
        var invalidLabelSamples = 0
        var histogramsDropped = 0
    }

    private let state = Mutex(State())

    public init() {}

    func observe(handler: String, code: UInt, seconds: Double) {
        state.withLock { s in
            s.requests[handler, default: [:]][code, default: 0] += 1
            s.durations[handler, default: Histogram()].observe(seconds)
        }
    }

    func observeQuery(seconds: Double) { state.withLock { $0.queries.observe(seconds) } }

    func remoteWrite(samples: Int, invalidLabelSamples: Int, histogramsDropped: Int) {
        state.withLock { s in
            s.samplesReceived += samples
            s.invalidLabelSamples += invalidLabelSamples
            s.histogramsDropped += histogramsDropped
        }
    }

    /// The text exposition of these metrics.
    public func exposition() -> String {
        let s = state.withLock { $0 }
        var out = ""
        out += "# HELP prometheus_http_requests_total Counter of HTTP requests.\n# TYPE prometheus_http_requests_total counter\n"
        for (handler, codes) in s.requests.sorted(by: { $0.key < $1.key }) {
            for (code, n) in codes.sorted(by: { $0.key < $1.key }) {
                out += "prometheus_http_requests_total{code=\"\(code)\",handler=\"\(handler)\"} \(n)\n"
            }
        }
        out += "# HELP prometheus_http_request_duration_seconds Histogram of latencies for HTTP requests.\n# TYPE prometheus_http_request_duration_seconds histogram\n"
        for (handler, h) in s.durations.sorted(by: { $0.key < $1.key }) {
            out += histogramLines("prometheus_http_request_duration_seconds", "handler=\"\(handler)\",", h)
        }
        out += "# HELP prometheus_engine_query_duration_seconds Query timings.\n# TYPE prometheus_engine_query_duration_seconds histogram\n"
        out += histogramLines("prometheus_engine_query_duration_seconds", "slice=\"inner_eval\",", s.queries)
        out += "# HELP prometheus_remote_storage_samples_received_total Samples received by the remote-write receiver.\n# TYPE prometheus_remote_storage_samples_received_total counter\n"
        out += "prometheus_remote_storage_samples_received_total \(s.samplesReceived)\n"
        out += "# HELP prometheus_api_remote_write_invalid_labels_samples_total Remote-write samples rejected for invalid labels.\n# TYPE prometheus_api_remote_write_invalid_labels_samples_total counter\n"
        out += "prometheus_api_remote_write_invalid_labels_samples_total \(s.invalidLabelSamples)\n"
        out += "# HELP hearth_remote_write_histograms_dropped_total Native histogram samples received and not stored (not supported yet).\n# TYPE hearth_remote_write_histograms_dropped_total counter\n"
        out += "hearth_remote_write_histograms_dropped_total \(s.histogramsDropped)\n"
        return out
    }

    private func histogramLines(_ name: String, _ labels: String, _ h: Histogram) -> String {
        var out = ""
        for (i, b) in Self.buckets.enumerated() {
            out += "\(name)_bucket{\(labels)le=\"\(b)\"} \(h.counts[i])\n"
        }
        out += "\(name)_bucket{\(labels)le=\"+Inf\"} \(h.count)\n"
        let trimmed = labels.hasSuffix(",") ? String(labels.dropLast()) : labels
        out += "\(name)_sum{\(trimmed)} \(h.sum)\n\(name)_count{\(trimmed)} \(h.count)\n"
        return out
    }
}
