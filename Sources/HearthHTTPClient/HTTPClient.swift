import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix
import Synchronization

/// A parsed `http://host:port/path?query` URL (https is refused: TLS is not built in yet).
public struct HTTPURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Path and query, as sent in the request line.
    public var target: String

    public init(_ text: String) throws(HTTPClientError) {
        guard text.hasPrefix("http://") else {
            if text.hasPrefix("https://") { throw HTTPClientError("https is not supported by Hearth yet: \(text)") }
            throw HTTPClientError("unsupported URL \(text)")
        }
        let rest = text.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.firstIndex(of: "?") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        target = path
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : 80
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = Int(authority[authority.index(after: colon)...]) ?? -1
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw HTTPClientError("invalid host or port in \(text)") }
    }
}

public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A response: status, headers and the whole (decompressed) body.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The status's reason phrase (`Internal Server Error`).
    public var reason: String { HTTPResponseStatus(statusCode: status).reasonPhrase }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A small HTTP/1.1 client on SwiftNIO for scrapes, discovery, remote write and notifications:
/// bodies gunzipped when the server compressed them and limited in size, a connect timeout and
/// a deadline for the exchange.
///
/// Connections are kept alive and reused (as Go's `http.Transport` does for Prometheus): a
/// scrape loop or a remote-write shard talks to the same server every few seconds, and opening
/// a TCP connection per request cost more than the request itself. Idle connections are closed
/// after `idleTimeout`; a request that finds its reused connection closed by the server before
/// any response byte arrived is sent again on a new one.
public final class HTTPClient: Sendable {
    public let group: MultiThreadedEventLoopGroup
    let keepAlive: Bool
    let maxIdlePerServer: Int
    let idleTimeout: TimeAmount
    let idle = Mutex<[PoolKey: [IdleConnection]]>([:])

    /// Connections are pooled per server and body limit (the decompressor's limit is fixed per
    /// connection).
    struct PoolKey: Hashable {
        var host: String
        var port: Int
        var maxBodyBytes: Int
    }

    struct IdleConnection {
        let connection: PooledConnection
        let expiry: Scheduled<Void>
    }

    /// - Parameters:
    ///   - keepAlive: reuse connections; false sends `Connection: close` and opens one per request.
    ///   - maxIdlePerServer: idle connections kept per server.
    ///   - idleTimeout: how long an idle connection is kept.
    public init(threads: Int = 1, keepAlive: Bool = true, maxIdlePerServer: Int = 4, idleTimeout: Duration = .seconds(90)) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.keepAlive = keepAlive
        self.maxIdlePerServer = maxIdlePerServer
        self.idleTimeout = .nanoseconds(idleTimeout.components.seconds * 1_000_000_000 + idleTimeout.components.attoseconds / 1_000_000_000)
    }

    public func shutdown() async {
        let connections = idle.withLock { pool in
            defer { pool.removeAll() }
            return pool.values.flatMap { $0 }
        }
        for c in connections {
            c.expiry.cancel()
            c.connection.channel.close(promise: nil)
        }
        try? await group.shutdownGracefully()
    }

    /// Idle connections currently pooled (for tests and metrics).
    public var idleConnections: Int { idle.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Sends one request and returns the response.
    /// - Parameters:
    ///   - timeout: for connecting, and again for the exchange once the request is sent
    ///     (milliseconds).
    ///   - maxBodyBytes: the largest (decompressed) body accepted; 0 for no limit.
    public func execute(
        method: HTTPMethod = .GET, url: HTTPURL, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Int64, maxBodyBytes: Int = 0
    ) async throws -> HTTPClientResponse {
        let key = PoolKey(host: url.host, port: url.port, maxBodyBytes: maxBodyBytes)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: url.target)
        head.headers.add(name: "Host", value: url.port == 80 ? url.host : "\(url.host):\(url.port)")
        for (k, v) in headers { head.headers.add(name: k, value: v) }
        if method != .GET || !body.isEmpty { head.headers.add(name: "Content-Length", value: String(body.count)) }
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        while true {
            let reused = keepAlive ? takeIdle(key) : nil
            let connection: PooledConnection
            if let reused {
                connection = reused
            } else {
                connection = try await connect(url, maxBodyBytes: maxBodyBytes, timeout: timeout)
            }
            do {
                let (response, reusable) = try await connection.exchange(head: head, body: body, timeout: timeout)
                if keepAlive && reusable { putIdle(connection, key) } else { connection.channel.close(promise: nil) }
                return response
            } catch is PooledConnection.ClosedBeforeResponse {
                // The server closed an idle connection as we reused it: try a new one.
                if reused != nil { continue }
                throw HTTPClientError("connection closed before the response was complete")
            }
        }
    }

    private func connect(_ url: HTTPURL, maxBodyBytes: Int, timeout: Int64) async throws -> PooledConnection {
        let handler = ResponseHandler(maxBodyBytes: maxBodyBytes)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(max(1, timeout)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // An idle connection keeps its receive buffer: with NIO's defaults (up to four,
            // growing to 64 KiB) a thousand scrape targets held 33 MB, with 8 KiB each 8 MB.
            // 4 KiB each: a 14 KB body takes four reads instead of two.
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(NIOHTTPResponseDecompressor(limit: maxBodyBytes > 0 ? .size(maxBodyBytes) : .none))
                    try sync.addHandler(handler)
                }
            }
        do {
            // A numeric address needs no resolver and no Happy Eyeballs race (most scrape targets).
            let channel: any Channel
            if let address = try? SocketAddress(ipAddress: url.host, port: url.port) {
                channel = try await bootstrap.connect(to: address).get()
            } else {
                channel = try await bootstrap.connect(host: url.host, port: url.port).get()
            }
            return PooledConnection(channel: channel, handler: handler)
        } catch {
            var reason = "\(error)"
            if let e = error as? NIOConnectionError, let first = e.connectionErrors.first { reason = "\(first.error)" }
            throw HTTPClientError("dial tcp \(url.host):\(url.port): \(reason)")
        }
    }

    /// The newest idle connection to the server that is still open, or nil.
    private func takeIdle(_ key: PoolKey) -> PooledConnection? {
        while let entry = idle.withLock({ pool in pool[key]?.popLast() }) {
            entry.expiry.cancel()
            if entry.connection.channel.isActive { return entry.connection }
            entry.connection.channel.close(promise: nil)
        }
        return nil
    }

    private func putIdle(_ connection: PooledConnection, _ key: PoolKey) {
        let expiry = connection.channel.eventLoop.scheduleTask(in: idleTimeout) { [weak self] in
            self?.removeIdle(connection, key)
            connection.channel.close(promise: nil)
        }
        let surplus = idle.withLock { pool -> IdleConnection? in
            pool[key, default: []].append(IdleConnection(connection: connection, expiry: expiry))
            return pool[key]!.count > maxIdlePerServer ? pool[key]!.removeFirst() : nil
        }
        if let surplus {
            surplus.expiry.cancel()
            surplus.connection.channel.close(promise: nil)
        }
    }

    private func removeIdle(_ connection: PooledConnection, _ key: PoolKey) {
        idle.withLock { pool in
            pool[key]?.removeAll { $0.connection === connection }
            if pool[key]?.isEmpty == true { pool[key] = nil }
        }
    }
}

/// One open connection and the handler that turns its responses into ``HTTPClientResponse``s.
/// Used by one request at a time.
final class PooledConnection: Sendable {
    /// The connection closed before any byte of the response arrived.
    struct ClosedBeforeResponse: Error {}

    let channel: any Channel
    let handler: ResponseHandler

    init(channel: any Channel, handler: ResponseHandler) {
        self.channel = channel
        self.handler = handler
    }

    /// Sends the request and waits for the whole response; also says whether the connection
    /// can carry another request.
    /// The timeout runs from when the request is handed to the connection's event loop, so a
    /// task that resumes late after connecting (a busy cooperative pool) is not charged for it.
    func exchange(head: HTTPRequestHead, body: [UInt8], timeout: Int64) async throws -> (HTTPClientResponse, Bool) {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: (HTTPClientResponse, Bool).self)
        let channel = self.channel
        let handler = self.handler
        let exchange = handler.nextExchange()
        loop.execute {
            handler.begin(promise, exchange: exchange)
            guard channel.isActive else {
                handler.finish(.failure(ClosedBeforeResponse()), close: channel)
                return
            }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if !body.isEmpty {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        let expiry = loop.scheduleTask(in: .milliseconds(max(1, timeout))) {
            // Only this exchange, and only while it waits: a late timer must not close a
            // connection that already answered and went back to the pool.
            guard handler.isWaiting(for: exchange) else { return }
            handler.finish(.failure(HTTPClientError("context deadline exceeded (timeout \(timeout) ms)")), close: channel)
        }
        defer { expiry.cancel() }
        return try await promise.futureResult.get()
    }
}

/// Gathers each response's parts into one `HTTPClientResponse`. Lives on the channel's event
/// loop; a connection runs one exchange at a time.
final class ResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    let maxBodyBytes: Int
    var promise: EventLoopPromise<(HTTPClientResponse, Bool)>?
    var response = HTTPClientResponse(status: 0, headers: [], body: [])
    var keepAlive = false
    var receivedAny = false
    /// Numbers the connection's exchanges; the one in progress is `started`.
    let issued = Atomic<UInt64>(0)
    var started: UInt64 = 0

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// A number for the next exchange (any thread); ``begin(_:exchange:)`` starts it on the loop.
    func nextExchange() -> UInt64 { issued.add(1, ordering: .relaxed).newValue }

    /// True while exchange `id` waits for its response (on the loop).
    func isWaiting(for id: UInt64) -> Bool { promise != nil && started == id }

    func begin(_ promise: EventLoopPromise<(HTTPClientResponse, Bool)>, exchange: UInt64) {
        started = exchange
        self.promise = promise
        response = HTTPClientResponse(status: 0, headers: [], body: [])
        keepAlive = false
        receivedAny = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard promise != nil else { return }
        receivedAny = true
        switch unwrapInboundIn(data) {
        case .head(let head):
            response.status = Int(head.status.code)
            response.headers = head.headers.map { ($0.name, $0.value) }
            keepAlive = head.isKeepAlive
        case .body(var buffer):
            if maxBodyBytes > 0, response.body.count + buffer.readableBytes > maxBodyBytes {
                finish(.failure(HTTPClientError("body size limit exceeded (\(maxBodyBytes) bytes)")), close: context.channel)
                return
            }
            buffer.withUnsafeReadableBytes { response.body.append(contentsOf: $0) }
        case .end:
            guard let promise else { return }
            self.promise = nil
            let result = response
            response = HTTPClientResponse(status: 0, headers: [], body: [])
            promise.succeed((result, keepAlive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let e = error as? NIOHTTPDecompression.DecompressionError, case .limit = e {
            finish(.failure(HTTPClientError("body size limit exceeded (\(maxBodyBytes) bytes)")), close: context.channel)
        } else {
            finish(.failure(HTTPClientError("\(error)")), close: context.channel)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(receivedAny ? HTTPClientError("connection closed before the response was complete")
                                    : PooledConnection.ClosedBeforeResponse()), close: context.channel)
    }

    /// Fails the exchange in progress (if any) and closes the connection: after an error or a
    /// timeout the connection's state is unknown.
    func finish(_ failure: Result<(HTTPClientResponse, Bool), any Error>, close channel: any Channel) {
        if let promise {
            self.promise = nil
            promise.completeWith(failure)
        }
        channel.close(promise: nil)
    }
}
