import HearthConfig
import HearthHTTPClient
import HearthModel
import HearthRelabel
import HearthRemoteProtocol
import HearthSnappy
import HearthWAL
import NIOHTTP1

/// Sends batches to one remote-write receiver and says what to do with a batch that did not
/// go through, as the spec asks: 2xx is done; 5xx, 429 (unless `retry_on_http_429` is off)
/// and network errors are retried, honouring `Retry-After`; any other 4xx is dropped (the
/// receiver will never take it).
public final class RemoteWriteClient: Sendable {
    public enum Outcome: Sendable, Equatable {
        case sent
        /// Retry; the receiver's `Retry-After` in milliseconds, if it gave one.
        case retry(reason: String, after: Int64?)
        /// Never retry: the receiver refused the data (4xx).
        case drop(reason: String)
    }

    public let config: RemoteWriteConfig
    let url: HTTPURL
    let client: HTTPClient
    let headers: [(String, String)]
    let externalLabels: Labels

    public init(config: RemoteWriteConfig, externalLabels: Labels, client: HTTPClient) throws(HTTPClientError) {
        self.config = config
        self.url = try HTTPURL(config.url)
        self.client = client
        self.externalLabels = externalLabels
        var headers: [(String, String)] = [("Content-Encoding", "snappy"), ("User-Agent", "Hearth/0.7")]
        switch config.message {
        case .v1:
            headers += [("Content-Type", "application/x-protobuf"), ("X-Prometheus-Remote-Write-Version", "0.1.0")]
        case .v2:
            headers += [("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request"),
                        ("X-Prometheus-Remote-Write-Version", "2.0.0")]
        }
        headers += config.headers
        if let auth = config.http.authorizationHeader(readFile: { _ in nil }) { headers.append(("Authorization", auth)) }
        self.headers = headers
    }

    /// The series as sent: external labels added (a series' own label wins), then
    /// `write_relabel_configs`; nil when relabeling drops the series.
    public func prepare(_ labels: Labels) -> Labels? {
        var result = labels
        if !externalLabels.isEmpty {
            var list = Array(labels)
            for l in externalLabels where labels[l.name] == nil { list.append(l) }
            list.sort { $0.name.utf8Precedes($1.name) }
            result = Labels(sorted: list)
        }
        return Relabel.process(result, config.writeRelabelConfigs)
    }

    /// One attempt to send `series` (already prepared).
    public func send(_ series: [(Labels, [Sample])]) async -> Outcome {
        await post(config.message == .v1 ? WriteRequestEncoder.v1(series) : WriteRequestEncoder.v2(series))
    }

    /// One attempt to send `samples` (labels already prepared), one time series per sample.
    public func send(samples: ArraySlice<(Labels, Sample)>) async -> Outcome {
        await post(config.message == .v1 ? WriteRequestEncoder.v1(samples: samples) : WriteRequestEncoder.v2(samples: samples))
    }

    /// One attempt to send `samples`, each naming its series' set in `series`.
    public func send(samples: ArraySlice<(index: UInt32, sample: Sample)>, series: RoundSeries) async -> Outcome {
        switch series {
        case .encoded(let sets):
            return await post(WriteRequestEncoder.v1(samples: samples, sets: sets))
        case .labels(let list, _):
            return await send(samples: samples.map { (list[Int($0.index)], $0.sample) }[...])
        }
    }

    /// The prepared labels of a round's series: as protocol 1.0 label fields when the request
    /// format is 1.0 (without write relabeling, straight from the source: no `Labels` built),
    /// else as `Labels`. Series the source no longer knows or relabeling drops are left out.
    public func roundSeries<Source: WALSource>(_ refs: [UInt64], from source: Source) -> RoundSeries {
        let relabel = !config.writeRelabelConfigs.isEmpty
        if config.message == .v1 && !relabel {
            var sets = V1LabelSets(externalLabels: externalLabels)
            source.writeLabels(refs, to: &sets)
            return .encoded(sets)
        }
        var resolved: [UInt64: Labels] = [:]
        source.resolveLabels(refs, into: &resolved)
        let prepared = refs.compactMap { ref in resolved[ref].flatMap(prepare).map { (ref, $0) } }
        guard config.message == .v1 else { return .labels(prepared.map(\.1), refs: prepared.map(\.0)) }
        var sets = V1LabelSets()  // `prepare` added the external labels.
        for (ref, labels) in prepared { sets.add(ref: ref, labels) }
        return .encoded(sets)
    }

    private func post(_ proto: [UInt8]) async -> Outcome {
        let body = Snappy.encode(proto)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(method: .POST, url: url, headers: headers, body: body,
                                                timeout: config.remoteTimeout, maxBodyBytes: 1 << 20)
        } catch {
            return .retry(reason: "\(error)", after: nil)
        }
        let status = response.status
        if (200..<300).contains(status) { return .sent }
        let message = String(decoding: response.body.prefix(256), as: UTF8.self)
        let reason = "server returned HTTP status \(status): \(message)"
        let after = response.header("Retry-After").flatMap { Int64($0.trimmingSpaces) }.map { $0 * 1000 }
        if status >= 500 || (status == 429 && config.queue.retryOnHTTP429) {
            return .retry(reason: reason, after: after)
        }
        return .drop(reason: reason)
    }
}

/// A round's series, prepared for sending; samples name their series by its number here.
public enum RoundSeries: Sendable {
    case encoded(V1LabelSets)
    case labels([Labels], refs: [UInt64])

    /// The series ref of each number.
    public var refs: [UInt64] {
        switch self {
        case .encoded(let sets): sets.refs
        case .labels(_, let refs): refs
        }
    }
}

/// Exponential backoff between `min_backoff` and `max_backoff`, reset after a success.
public struct Backoff: Sendable {
    public let minimum: Int64
    public let maximum: Int64
    public private(set) var current: Int64

    public init(minimum: Int64, maximum: Int64) {
        self.minimum = max(1, minimum)
        self.maximum = max(self.minimum, maximum)
        self.current = self.minimum
    }

    /// How long to wait before the next attempt: the receiver's `Retry-After` when it gave
    /// one, else the current backoff, which then doubles up to the maximum.
    public mutating func next(retryAfter: Int64?) -> Int64 {
        if let retryAfter, retryAfter > 0 { return retryAfter }
        let wait = current
        current = min(maximum, current * 2)
        return wait
    }

    public mutating func reset() { current = minimum }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
