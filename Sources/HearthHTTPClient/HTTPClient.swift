import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix

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

/// A small HTTP/1.1 client on SwiftNIO for scrapes, discovery and (later) remote write and
/// notifications: one connection per request (`Connection: close`), bodies gunzipped when the
/// server compressed them and limited in size, one deadline for the whole exchange.
public final class HTTPClient: Sendable {
    public let group: MultiThreadedEventLoopGroup

    public init(threads: Int = 1) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    public func shutdown() async {
        try? await group.shutdownGracefully()
    }

    /// Sends one request on a new connection and returns the response.
    /// - Parameters:
    ///   - timeout: for the whole exchange, connect included (milliseconds).
    ///   - maxBodyBytes: the largest (decompressed) body accepted; 0 for no limit.
    public func execute(
        method: HTTPMethod = .GET, url: HTTPURL, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Int64, maxBodyBytes: Int = 0
    ) async throws -> HTTPClientResponse {
        let promise = group.next().makePromise(of: HTTPClientResponse.self)
        let collector = ResponseCollector(promise: promise, maxBodyBytes: maxBodyBytes)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(max(1, timeout)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(NIOHTTPResponseDecompressor(limit: maxBodyBytes > 0 ? .size(maxBodyBytes) : .none))
                    try sync.addHandler(collector)
                }
            }
        let channel: any Channel
        do {
            // A numeric address needs no resolver and no Happy Eyeballs race (most scrape targets).
            if let address = try? SocketAddress(ipAddress: url.host, port: url.port) {
                channel = try await bootstrap.connect(to: address).get()
            } else {
                channel = try await bootstrap.connect(host: url.host, port: url.port).get()
            }
        } catch {
            var reason = "\(error)"
            if let e = error as? NIOConnectionError, let first = e.connectionErrors.first { reason = "\(first.error)" }
            let failure = HTTPClientError("dial tcp \(url.host):\(url.port): \(reason)")
            promise.fail(failure)
            throw failure
        }
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(timeout)) {
            promise.fail(HTTPClientError("context deadline exceeded (timeout \(timeout) ms)"))
            channel.close(promise: nil)
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: url.target)
        head.headers.add(name: "Host", value: url.port == 80 ? url.host : "\(url.host):\(url.port)")
        for (k, v) in headers { head.headers.add(name: k, value: v) }
        if method != .GET || !body.isEmpty { head.headers.add(name: "Content-Length", value: String(body.count)) }
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await promise.futureResult.get()
    }
}

/// Gathers the response parts into one `HTTPClientResponse`.
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<HTTPClientResponse>
    let maxBodyBytes: Int
    var response = HTTPClientResponse(status: 0, headers: [], body: [])
    var done = false

    init(promise: EventLoopPromise<HTTPClientResponse>, maxBodyBytes: Int) {
        self.promise = promise
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            response.status = Int(head.status.code)
            response.headers = head.headers.map { ($0.name, $0.value) }
        case .body(var buffer):
            if maxBodyBytes > 0, response.body.count + buffer.readableBytes > maxBodyBytes {
                finish(.failure(HTTPClientError("body size limit exceeded (\(maxBodyBytes) bytes)")), context)
                return
            }
            response.body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            finish(.success(response), context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let e = error as? NIOHTTPDecompression.DecompressionError, case .limit = e {
            finish(.failure(HTTPClientError("body size limit exceeded (\(maxBodyBytes) bytes)")), context)
        } else {
            finish(.failure(HTTPClientError("\(error)")), context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(HTTPClientError("connection closed before the response was complete")), context)
    }

    private func finish(_ result: Result<HTTPClientResponse, any Error>, _ context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
        context.close(promise: nil)
    }
}
