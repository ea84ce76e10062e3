import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOConcurrencyHelpers
import NIOPosix

/// A request as the handlers see it: the whole body collected (up to a limit).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var uri: String
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    /// The path without the query string.
    public var path: Substring {
        if let q = uri.firstIndex(of: "?") { return uri[..<q] }
        return Substring(uri)
    }
}

/// A response: status, headers and the whole body.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPResponseStatus, contentType: String, bytes: [UInt8]) {
        self.status = status
        self.headers = ["Content-Type": contentType]
        self.body = ByteBuffer(bytes: bytes)
    }

    public static func text(_ status: HTTPResponseStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", bytes: Array(text.utf8))
    }
}

/// What answers requests.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
}

/// An HTTP/1.1 server on SwiftNIO: keep-alive, pipelining, gzip for clients that accept it,
/// request bodies collected up to `maxBodySize` (413 beyond). Each request runs in a task that
/// is cancelled when the client goes away.
public final class HTTPServer: Sendable {
    public let host: String
    public let port: Int
    let responder: any HTTPResponder
    let maxBodySize: Int
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    private let channelBox = NIOLockedValueBox<(any Channel)?>(nil)

    public init(host: String, port: Int, responder: any HTTPResponder, maxBodySize: Int = 64 << 20,
                threads: Int = System.coreCount, logger: Logger) {
        self.host = host
        self.port = port
        self.responder = responder
        self.maxBodySize = maxBodySize
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Binds and starts serving; returns the bound port (useful with port 0).
    @discardableResult
    public func start() async throws -> Int {
        let responder = self.responder
        let maxBodySize = self.maxBodySize
        let logger = self.logger
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseCompressor())
                    try channel.pipeline.syncOperations.addHandler(
                        RequestHandler(responder: responder, maxBodySize: maxBodySize, logger: logger))
                }
            }
            .bind(host: host, port: port).get()
        channelBox.withLockedValue { $0 = channel }
        return channel.localAddress?.port ?? port
    }

    /// Stops accepting connections and shuts the event loops down.
    public func shutdown() async {
        let channel = channelBox.withLockedValue { $0 }
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }
}

/// Collects a request, runs the responder in a task, writes the response.
final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let responder: any HTTPResponder
    let maxBodySize: Int
    let logger: Logger
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    private var running: Task<Void, Never>?

    init(responder: any HTTPResponder, maxBodySize: Int, logger: Logger) {
        self.responder = responder
        self.maxBodySize = maxBodySize
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
            tooLarge = false
            if let length = h.headers.first(name: "content-length").flatMap(Int.init), length > maxBodySize {
                tooLarge = true
            }
        case .body(var chunk):
            guard !tooLarge else { return }
            if body.readableBytes + chunk.readableBytes > maxBodySize {
                tooLarge = true
                body.clear()
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                write(context: context, head: head,
                      response: .text(.payloadTooLarge, "request body exceeds the limit of \(maxBodySize) bytes\n"))
                return
            }
            let request = HTTPRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
            body = ByteBuffer()
            let responder = self.responder
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            running = Task {
                let response = await responder.respond(to: request)
                loopBound.eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.running = nil
                    handler.write(context: context, head: head, response: response)
                }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away: stop the work it asked for.
        running?.cancel()
        running = nil
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, head: HTTPRequestHead, response: HTTPResponse) {
        guard context.channel.isActive else { return }
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
