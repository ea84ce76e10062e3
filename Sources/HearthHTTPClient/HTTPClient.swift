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
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The status's reason phrase (`Internal Server Error`).
    public var reason: String { HTTPResponseStatus(statusCode: status).reasonPhrase }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A small HTTP/1.1 client on SwiftNIO for scrapes, discovery, remote write and notifications:
/// bodies gunzipped when the server compressed them and limited in size, a connect timeout and
/// a deadline for the exchange.
///
/// Connections are kept alive and reused (as Go's `http.Transport` does for Prometheus): a
/// scrape loop or a remote-write shard talks to the same server every few seconds, and opening
/// a TCP connection per request cost more than the request itself. Idle connections are closed
/// once idle for `idleTimeout` (checked when one is taken and by a sweep every `idleTimeout`);
/// a request that finds its reused connection closed by the server before any response byte
/// arrived is sent again on a new one.
///
/// A caller that sends the same request again and again (a scrape loop) prepares it once with
/// ``request(method:url:headers:body:timeout:maxBodyBytes:)`` and sends it with
/// ``execute(_:on:)`` from its event loop: the exchange then runs on that loop without a hop to
/// another thread.
public final class HTTPClient: Sendable {
    public let group: MultiThreadedEventLoopGroup
    let keepAlive: Bool
    let maxIdlePerServer: Int
    let idleTimeout: TimeAmount
    let largeReads: Bool
    let idle = Mutex<[PoolKey: [IdleConnection]]>([:])
    let sweep = Mutex<RepeatedTask?>(nil)

    /// Connections are pooled per server and body limit (the decompressor's limit is fixed per
    /// connection).
    struct PoolKey: Hashable {
        var host: String
        var port: Int
        var maxBodyBytes: Int
    }

    struct IdleConnection {
        let connection: PooledConnection
        let since: NIODeadline
    }

    /// A request built once: its head (with `Host`, `Content-Length` and the caller's headers),
    /// body, pool key and timeout.
    public struct Request: Sendable {
        public let url: HTTPURL
        let head: HTTPRequestHead
        let body: [UInt8]
        let key: PoolKey
        /// Milliseconds, for connecting and again for the exchange.
        let timeout: Int64
    }

    /// - Parameters:
    ///   - threads: event loops; a scrape loop runs its scrapes on one of them.
    ///   - keepAlive: reuse connections; false sends `Connection: close` and opens one per request.
    ///   - maxIdlePerServer: idle connections kept per server.
    ///   - idleTimeout: how long an idle connection is kept.
    ///   - largeReads: read up to 1 MiB at a time, for a client that takes large answers from
    ///     few servers (`hearth query`); else 4 KiB, for one that keeps many idle connections
    ///     (scrapes).
    public init(threads: Int = 1, keepAlive: Bool = true, maxIdlePerServer: Int = 4, idleTimeout: Duration = .seconds(90),
                largeReads: Bool = false) {
        self.largeReads = largeReads
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.keepAlive = keepAlive
        self.maxIdlePerServer = maxIdlePerServer
        self.idleTimeout = .nanoseconds(idleTimeout.components.seconds * 1_000_000_000 + idleTimeout.components.attoseconds / 1_000_000_000)
    }

    public func shutdown() async {
        sweep.withLock { $0?.cancel(); $0 = nil }
        let connections = idle.withLock { pool in
            defer { pool.removeAll() }
            return pool.values.flatMap { $0 }
        }
        for c in connections { c.connection.channel.close(promise: nil) }
        try? await group.shutdownGracefully()
    }

    /// One of the client's event loops, in turn (for a caller that runs on one).
    public func nextEventLoop() -> any EventLoop { group.next() }

    /// Idle connections currently pooled (for tests and metrics).
    public var idleConnections: Int { idle.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Prepares a request to send once or many times.
    /// - Parameters:
    ///   - timeout: for connecting, and again for the exchange once the request is sent
    ///     (milliseconds).
    ///   - maxBodyBytes: the largest (decompressed) body accepted; 0 for no limit.
    public func request(
        method: HTTPMethod = .GET, url: HTTPURL, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Int64, maxBodyBytes: Int = 0
    ) -> Request {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: url.target)
        head.headers.add(name: "Host", value: url.port == 80 ? url.host : "\(url.host):\(url.port)")
        for (k, v) in headers { head.headers.add(name: k, value: v) }
        if method != .GET || !body.isEmpty { head.headers.add(name: "Content-Length", value: String(body.count)) }
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        return Request(url: url, head: head, body: body, key: PoolKey(host: url.host, port: url.port, maxBodyBytes: maxBodyBytes),
                       timeout: timeout)
    }

    /// Sends one request and returns the response (parameters as for
    /// ``request(method:url:headers:body:timeout:maxBodyBytes:)``).
    public func execute(
        method: HTTPMethod = .GET, url: HTTPURL, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Int64, maxBodyBytes: Int = 0
    ) async throws -> HTTPClientResponse {
        let r = request(method: method, url: url, headers: headers, body: body, timeout: timeout, maxBodyBytes: maxBodyBytes)
        return try await execute(r, on: group.next()).get()
    }

    /// Sends a prepared request; the future completes on `loop` (best one of this client's
    /// loops: new connections are opened on it).
    public func execute(_ request: Request, on loop: any EventLoop) -> EventLoopFuture<HTTPClientResponse> {
        if keepAlive, let reused = takeIdle(request.key) {
            return exchange(request, on: reused, loop: loop).flatMapError { error in
                // The server closed the idle connection as we reused it: try another.
                if error is PooledConnection.ClosedBeforeResponse { return self.execute(request, on: loop) }
                return loop.makeFailedFuture(error)
            }
        }
        return connect(request, on: loop).flatMap { connection in
            self.exchange(request, on: connection, loop: loop).flatMapErrorThrowing { error in
                if error is PooledConnection.ClosedBeforeResponse {
                    throw HTTPClientError("connection closed before the response was complete")
                }
                throw error
            }
        }
    }

    private func exchange(_ request: Request, on connection: PooledConnection, loop: any EventLoop) -> EventLoopFuture<HTTPClientResponse> {
        connection.exchange(head: request.head, body: request.body, timeout: request.timeout).map { (response, reusable) in
            if self.keepAlive && reusable { self.putIdle(connection, request.key) } else { connection.channel.close(promise: nil) }
            return response
        }.hop(to: loop)
    }

    private func connect(_ request: Request, on loop: any EventLoop) -> EventLoopFuture<PooledConnection> {
        let handler = ResponseHandler(maxBodyBytes: request.key.maxBodyBytes)
        let maxBodyBytes = request.key.maxBodyBytes
        // An idle connection keeps its receive buffer: with NIO's defaults (up to four,
        // growing to 64 KiB) a thousand scrape targets held 33 MB, with 8 KiB each 8 MB.
        // 4 KiB each: a 14 KB body takes four reads instead of two. A 12 MB remote-read answer
        // took 3,000 reads and wake-ups that way, so large reads grow to 1 MiB.
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(max(1, request.timeout)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if largeReads {
            bootstrap = bootstrap.channelOption(.maxMessagesPerRead, value: 4)
                .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65536, maximum: 1 << 20))
        } else {
            bootstrap = bootstrap.channelOption(.maxMessagesPerRead, value: 1)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
        }
        bootstrap = bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(NIOHTTPResponseDecompressor(limit: maxBodyBytes > 0 ? .size(maxBodyBytes) : .none))
                    try sync.addHandler(handler)
                }
            }
        let url = request.url
        // A numeric address needs no resolver and no Happy Eyeballs race (most scrape targets).
        let channel: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: url.host, port: url.port) {
            channel = bootstrap.connect(to: address)
        } else {
            channel = bootstrap.connect(host: url.host, port: url.port)
        }
        return channel.flatMapErrorThrowing { error in
            var reason = "\(error)"
            if let e = error as? NIOConnectionError, let first = e.connectionErrors.first { reason = "\(first.error)" }
            throw HTTPClientError("dial tcp \(url.host):\(url.port): \(reason)")
        }.map { PooledConnection(channel: $0, handler: handler) }
    }

    /// The newest idle connection to the server that is still open and not expired, or nil.
    private func takeIdle(_ key: PoolKey) -> PooledConnection? {
        let oldest = NIODeadline.now() - idleTimeout
        while let entry = idle.withLock({ pool in pool[key]?.popLast() }) {
            if entry.since > oldest && entry.connection.channel.isActive { return entry.connection }
            entry.connection.channel.close(promise: nil)
        }
        return nil
    }

    private func putIdle(_ connection: PooledConnection, _ key: PoolKey) {
        let surplus = idle.withLock { pool -> IdleConnection? in
            pool[key, default: []].append(IdleConnection(connection: connection, since: .now()))
            return pool[key]!.count > maxIdlePerServer ? pool[key]!.removeFirst() : nil
        }
        surplus?.connection.channel.close(promise: nil)
        startSweepIfNeeded()
    }

    /// One repeating task closes connections idle for longer than `idleTimeout` (instead of a
    /// timer per idle connection, set and cancelled on every request).
    private func startSweepIfNeeded() {
        sweep.withLock { task in
            guard task == nil else { return }
            task = group.next().scheduleRepeatedTask(initialDelay: idleTimeout, delay: idleTimeout) { [weak self] _ in
                self?.closeExpired()
            }
        }
    }

    private func closeExpired() {
        let oldest = NIODeadline.now() - idleTimeout
        let expired = idle.withLock { pool -> [IdleConnection] in
            var expired: [IdleConnection] = []
            for (key, list) in pool {
                // Each list is oldest first.
                let keep = list.drop { $0.since <= oldest }
                guard keep.count < list.count else { continue }
                expired += list.prefix(list.count - keep.count)
                pool[key] = keep.isEmpty ? nil : Array(keep)
            }
            return expired
        }
        for e in expired { e.connection.channel.close(promise: nil) }
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
    /// caller that resumes late after connecting is not charged for it.
    func exchange(head: HTTPRequestHead, body: [UInt8], timeout: Int64) -> EventLoopFuture<(HTTPClientResponse, Bool)> {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: (HTTPClientResponse, Bool).self)
        if loop.inEventLoop {
            start(promise, head: head, body: body, timeout: timeout)
        } else {
            loop.execute { self.start(promise, head: head, body: body, timeout: timeout) }
        }
        return promise.futureResult
    }

    private func start(_ promise: EventLoopPromise<(HTTPClientResponse, Bool)>, head: HTTPRequestHead, body: [UInt8], timeout: Int64) {
        handler.begin(promise, timeout: timeout, channel: channel)
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
}

/// Gathers each response's parts into one `HTTPClientResponse`. Lives on the channel's event
/// loop; a connection runs one exchange at a time.
final class ResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    let maxBodyBytes: Int
    var promise: EventLoopPromise<(HTTPClientResponse, Bool)>?
    var response = HTTPClientResponse(status: 0)
    var keepAlive = false
    var receivedAny = false
    /// Numbers the connection's exchanges, so a deadline only ever ends its own.
    var exchange: UInt64 = 0
    var deadline: NIOScheduledCallback?

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Ends exchange `id` if it still waits when its deadline passes.
    struct Deadline: NIOScheduledCallbackHandler, Sendable {
        let handler: ResponseHandler
        let id: UInt64
        let timeout: Int64
        let channel: any Channel

        func handleScheduledCallback(eventLoop: some EventLoop) {
            guard handler.promise != nil, handler.exchange == id else { return }
            handler.deadline = nil
            handler.finish(.failure(HTTPClientError("context deadline exceeded (timeout \(timeout) ms)")), close: channel)
        }
    }

    /// Starts an exchange (on the loop) and its deadline.
    func begin(_ promise: EventLoopPromise<(HTTPClientResponse, Bool)>, timeout: Int64, channel: any Channel) {
        exchange &+= 1
        self.promise = promise
        response = HTTPClientResponse(status: 0)
        keepAlive = false
        receivedAny = false
        deadline = try? channel.eventLoop.scheduleCallback(
            in: .milliseconds(max(1, timeout)), handler: Deadline(handler: self, id: exchange, timeout: timeout, channel: channel))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard promise != nil else { return }
        receivedAny = true
        switch unwrapInboundIn(data) {
        case .head(let head):
            response.status = Int(head.status.code)
            response.headers = head.headers
            keepAlive = head.isKeepAlive
            // Compressed bodies grow past their length; a plain one arrives in one allocation.
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > 0,
               maxBodyBytes == 0 || length <= maxBodyBytes, !head.headers.contains(name: "Content-Encoding") {
                response.body.reserveCapacity(length)
            }
        case .body(var buffer):
            if maxBodyBytes > 0, response.body.count + buffer.readableBytes > maxBodyBytes {
                finish(.failure(HTTPClientError("body size limit exceeded (\(maxBodyBytes) bytes)")), close: context.channel)
                return
            }
            buffer.withUnsafeReadableBytes { response.body.append(contentsOf: $0) }
        case .end:
            guard let promise else { return }
            self.promise = nil
            cancelDeadline(context.eventLoop)
            let result = response
            response = HTTPClientResponse(status: 0)
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
            cancelDeadline(channel.eventLoop)
            promise.completeWith(failure)
        }
        channel.close(promise: nil)
    }

    private func cancelDeadline(_ loop: any EventLoop) {
        if let deadline {
            self.deadline = nil
            loop.cancelScheduledCallback(deadline)
        }
    }
}
