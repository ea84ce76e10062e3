import Foundation
import HearthChunks
import HearthHTTPClient
import HearthModel
import HearthRemoteProtocol
import HearthSnappy
import HearthStorage
import NIOCore
import NIOHTTP1

/// What one endpoint answered to one selection: its series (sorted by labels, its external
/// labels added) and its warnings.
struct EndpointAnswer: Sendable {
    var series: [SeriesData] = []
    var warnings: [String] = []
}

/// Reads one selection from one endpoint with remote read: `STREAMED_XOR_CHUNKS` preferred,
/// `SAMPLES` if that is what comes back. Everything the endpoint sends is checked (frames,
/// checksums, labels, chunks that must decode): a broken answer is the endpoint's error,
/// never a crash or a silently shorter series.
struct RemoteReader: Sendable {
    let client: HTTPClient
    let timeoutMs: Int64
    let maxResponseBytes: Int

    /// The request for `matchers` in `[start, end]`: matchers on the endpoint's external
    /// labels are answered here (``Endpoint/mayHold(_:start:end:)``) and not sent, since the
    /// stored series do not carry those labels.
    static func request(_ matchers: [Matcher], start: Int64, end: Int64, externalLabels: Labels) -> [UInt8] {
        var query = ReadQuery()
        query.startMs = start
        query.endMs = end
        for m in externalLabels.storedMatchers(matchers) ?? [] { query.matchers.append((m.kind, m.name, m.value)) }
        if query.matchers.isEmpty { query.matchers = [(.regexMatch, Labels.metricName, ".+")] }
        var request = ReadRequest()
        request.queries = [query]
        request.acceptedResponseTypes = [.streamedXORChunks, .samples]
        return Snappy.encode(request.encode())
    }

    func read(_ endpoint: Endpoint, _ matchers: [Matcher], start: Int64, end: Int64) -> EventLoopFuture<EndpointAnswer> {
        let info = endpoint.info
        let loop = client.nextEventLoop()
        let url: HTTPURL
        do { url = try HTTPURL(endpoint.base + "/api/v1/read") } catch { return loop.makeFailedFuture(error) }
        let request = client.request(method: .POST, url: url, headers: [
            ("Content-Type", "application/x-protobuf"), ("Content-Encoding", "snappy"),
            ("X-Prometheus-Remote-Read-Version", "0.1.0"), ("User-Agent", "hearth-query"),
        ], body: Self.request(matchers, start: start, end: end, externalLabels: info.externalLabels),
           timeout: timeoutMs, maxBodyBytes: maxResponseBytes)
        return client.execute(request, on: loop).flatMapThrowing { response in
            try Self.answer(response, start: start, end: end, externalLabels: info.externalLabels)
        }
    }

    /// Decodes and checks a response.
    static func answer(_ response: HTTPClientResponse, start: Int64, end: Int64, externalLabels: Labels) throws(StorageError) -> EndpointAnswer {
        guard response.status == 200 else {
            let text = String(decoding: response.body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw StorageError("remote read: HTTP \(response.status)\(text.isEmpty ? "" : ": " + text)")
        }
        var answer = EndpointAnswer()
        for (name, value) in response.headers where name.lowercased() == "hearth-read-warning" { answer.warnings.append(value) }
        let type = (response.header("content-type") ?? "").lowercased()
        var decoded: [ReadSeries] = []
        if type.hasPrefix("application/x-streamed-protobuf") {
            do {
                try response.body.withUnsafeBytes { raw in
                    var frames = ReadResponseDecoder.Frames(raw)
                    while let frame = try frames.next() {
                        guard frame.queryIndex == 0 else { throw ProtoError("a frame for query \(frame.queryIndex); one was asked") }
                        decoded += frame.series
                    }
                }
            } catch {
                throw StorageError("remote read: \(error)")
            }
        } else if type.hasPrefix("application/x-protobuf") {
            do {
                let body = try response.body.withUnsafeBytes { raw throws(Snappy.DecodeError) in try Snappy.decode(raw, limit: 1 << 30) }
                let results = try body.withUnsafeBytes { raw throws(ProtoError) in try ReadResponseDecoder.samples(raw) }
                guard results.count <= 1 else { throw ProtoError("\(results.count) results; one query was asked") }
                decoded = results.first ?? []
            } catch {
                throw StorageError("remote read: \(error)")
            }
        } else {
            throw StorageError("remote read: unexpected content type \"\(type)\"")
        }
        answer.series = try seriesData(decoded, start: start, end: end, externalLabels: externalLabels, warnings: &answer.warnings)
        return answer
    }

    /// Decoded series as the engine reads them: external labels added (a series' own label of
    /// the same name wins, as in Prometheus), a series split over frames joined, sorted.
    /// Endpoints answer in label order, so this is one pass; another order is sorted.
    static func seriesData(
        _ decoded: [ReadSeries], start: Int64, end: Int64, externalLabels: Labels, warnings: inout [String]
    ) throws(StorageError) -> [SeriesData] {
        var out: [SeriesData] = []
        out.reserveCapacity(decoded.count)
        var histogramChunks = 0
        var sorted = true
        for s in decoded {
            let labels = s.labels.adding(external: externalLabels)
            var chunks: [ChunkData] = []
            if !s.samples.isEmpty { chunks = ChunkData.encode(s.samples) }
            for c in s.chunks {
                guard c.encoding == 1 else {
                    histogramChunks += 1
                    continue
                }
                let chunk = ChunkData(minTime: c.minTime, maxTime: c.maxTime, encoding: .xor, bytes: c.bytes)
                try check(chunk, of: labels)
                chunks.append(chunk)
            }
            if chunks.isEmpty { continue }
            if let last = out.last {
                if last.labels == labels {
                    // A series continued in the next frame.
                    out[out.count - 1].chunks += chunks
                    continue
                }
                if !(last.labels < labels) { sorted = false }
            }
            out.append(SeriesData(labels: labels, chunks: chunks, minTime: start, maxTime: end))
        }
        if histogramChunks > 0 {
            warnings.append("remote read: \(histogramChunks) native histogram chunk\(histogramChunks == 1 ? "" : "s") left out (not supported by hearth query yet)")
        }
        if !sorted {
            // Join the parts of a series that did not arrive together, then order.
            var byLabels: [Labels: [ChunkData]] = [:]
            for s in out { byLabels[s.labels, default: []] += s.chunks }
            out = byLabels.map { SeriesData(labels: $0.key, chunks: $0.value, minTime: start, maxTime: end) }.sorted { $0.labels < $1.labels }
        }
        for i in out.indices where out[i].chunks.count > 1 { out[i].chunks = SeriesData.mergeChunks(out[i].chunks) }
        return out
    }

    /// A chunk must decode whole, in time order, within the range it claims.
    static func check(_ chunk: ChunkData, of labels: Labels) throws(StorageError) {
        var ts: [Int64] = [], vs: [Double] = []
        do {
            try chunk.bytes.withUnsafeBytes { raw in try decodeXORChunk(raw, timestamps: &ts, values: &vs) }
        } catch {
            throw StorageError("remote read: series \(labels): a chunk from \(chunk.minTime) to \(chunk.maxTime) does not decode: \(error)")
        }
        for i in ts.indices {
            guard ts[i] >= chunk.minTime, ts[i] <= chunk.maxTime, i == 0 || ts[i] > ts[i - 1] else {
                throw StorageError("remote read: series \(labels): a chunk from \(chunk.minTime) to \(chunk.maxTime) holds a sample at \(ts[i]) out of order or outside its range")
            }
        }
    }
}
