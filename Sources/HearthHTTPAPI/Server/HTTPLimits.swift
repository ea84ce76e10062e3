/// What one request and the server as a whole may use, so that no client can exhaust memory
/// or connections. Defaults follow Go's `net/http` as Prometheus runs it: 1 MiB for the request
/// line and headers (431 beyond), 10 MiB for a form body (Go's `ParseForm` limit), and
/// Prometheus's `--web.max-connections` of 512 (503 beyond).
public struct HTTPLimits: Sendable {
    /// Bytes of the request line (so the URL) and of all header fields together.
    public var maxHeaderBytes = 1 << 20
    /// Body bytes for most endpoints (forms of queries, series and admin requests).
    public var maxBodyBytes = 10 << 20
    /// Body bytes for endpoints that take bulk data (remote write), by path.
    public var bulkBodyBytes: [String: Int] = ["/api/v1/write": 64 << 20]
    /// Open connections; more are answered 503 and closed.
    public var maxConnections = 512
    /// A connection that sends nothing for this long is closed (Prometheus's
    /// `--web.read-timeout`, 5m): half-sent requests cannot hold a connection forever.
    public var readTimeout: Duration = .seconds(300)

    public init() {}

    /// The body limit for a request path.
    public func maxBody(for path: Substring) -> Int {
        bulkBodyBytes[String(path)] ?? maxBodyBytes
    }
}
