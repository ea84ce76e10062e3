import HearthHTTPClient
import HearthModel
import Synchronization

/// A server `hearth query` reads from: a Prometheus, a Hearth server, or another `hearth query`
/// (queriers stack). Named as given on the command line or in a file (`HOST:PORT` or a URL
/// with an optional path prefix).
public final class Endpoint: Sendable {
    /// As given: `HOST:PORT` or `http://HOST:PORT/prefix`.
    public let address: String
    /// `http://HOST:PORT[/prefix]`, without a trailing slash.
    public let base: String

    /// What the endpoint said about itself at the last check.
    public struct Info: Sendable, Equatable {
        /// The endpoint's `global.external_labels`: every series it holds carries them.
        public var externalLabels = Labels()
        /// Its oldest sample (ms), `.min` when it does not say.
        public var minTime = Int64.min
        /// Its newest possible sample (ms): a live server's is now and later.
        public var maxTime = Int64.max

        public init(externalLabels: Labels = Labels(), minTime: Int64 = .min, maxTime: Int64 = .max) {
            self.externalLabels = externalLabels
            self.minTime = minTime
            self.maxTime = maxTime
        }
    }

    /// Health as `/api/v1/status/endpoints` reports it.
    public struct Status: Sendable {
        public var info: Info?
        /// nil until the first check.
        public var healthy: Bool?
        public var lastError: String?
        /// Wall-clock time of the last check or read (ms).
        public var lastCheck: Int64 = 0
    }

    private let state = Mutex(Status())

    public init(_ address: String) throws(HTTPClientError) {
        self.address = address
        var url = address.contains("://") ? address : "http://" + address
        while url.hasSuffix("/") { url.removeLast() }
        _ = try HTTPURL(url + "/")
        base = url
    }

    public var status: Status { state.withLock { $0 } }

    /// The information to route by: the last known, or none (every query goes to it).
    public var info: Info { state.withLock { $0.info ?? Info() } }

    func recordInfo(_ info: Info, at now: Int64) {
        state.withLock {
            $0.info = info
            $0.healthy = true
            $0.lastError = nil
            $0.lastCheck = now
        }
    }

    func recordFailure(_ error: String, at now: Int64) {
        state.withLock {
            $0.healthy = false
            $0.lastError = error
            $0.lastCheck = now
        }
    }

    func recordSuccess(at now: Int64) {
        state.withLock {
            $0.healthy = true
            $0.lastError = nil
            $0.lastCheck = now
        }
    }

    /// Whether the endpoint may hold series matching `matchers` in `[start, end]`: its time
    /// range overlaps, and no matcher on one of its external labels refuses that label's value.
    public func mayHold(_ matchers: [Matcher], start: Int64, end: Int64) -> Bool {
        let info = self.info
        return start <= info.maxTime && end >= info.minTime && info.externalLabels.storedMatchers(matchers) != nil
    }
}
