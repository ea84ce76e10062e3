import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix

/// An HTTP/1.1 server on SwiftNIO: keep-alive, pipelining, gzip for clients that accept it,
/// and the bounds of ``HTTPLimits`` (431 for oversized heads and URLs, 413 for oversized
/// bodies, 503 past the connection limit). Each request runs in a task that is cancelled when
/// the client goes away.
public final class HTTPServer: Sendable {
    public let host: String
    public let port: Int
    let responder: any HTTPResponder
    let limits: HTTPLimits
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    private let channelBox = NIOLockedValueBox<(any Channel)?>(nil)
    private let connections = NIOLockedValueBox(0)

    public init(host: String, port: Int, responder: any HTTPResponder, limits: HTTPLimits = HTTPLimits(),
                threads: Int = System.coreCount, logger: Logger) {
        self.host = host
        self.port = port
        self.responder = responder
        self.limits = limits
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Binds and starts serving; returns the bound port (useful with port 0).
    @discardableResult
    public func start() async throws -> Int {
        let responder = self.responder
        let limits = self.limits
        let logger = self.logger
        let connections = self.connections
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                let open = connections.withLockedValue { count in
                    count += 1
                    return count
                }
                channel.closeFuture.whenComplete { _ in connections.withLockedValue { $0 -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withErrorHandling: false, withEncoderConfiguration: .init(),
                                                       withDecoderLimitConfiguration: decoderLimits)
                    try sync.addHandler(ProtocolErrorHandler())
                    guard open <= limits.maxConnections else {
                        // Answered at its first request, or closed if none comes soon.
                        try sync.addHandler(IdleStateHandler(readTimeout: .seconds(10)))
                        try sync.addHandler(RefusingHandler(limit: limits.maxConnections))
                        return
                    }
                    try sync.addHandler(IdleStateHandler(readTimeout: TimeAmount.nanoseconds(Int64(limits.readTimeout.components.seconds) * 1_000_000_000)))
                    try sync.addHandler(HTTPResponseCompressor())
                    try sync.addHandler(RequestHandler(responder: responder, limits: limits, logger: logger))
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

/// Answers a malformed request 400 and an oversized head or URL 431, then closes (NIO's
/// decoder cannot go on after a parse error).
final class ProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var responding = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !responding {
            let status: HTTPResponseStatus = parseError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
            let text = status == .requestHeaderFieldsTooLarge
                ? "request line and headers exceed the limit\n" : "malformed HTTP request: \(parseError)\n"
            var headers = HTTPHeaders([("Connection", "close"), ("Content-Type", "text/plain; charset=utf-8")])
            headers.add(name: "Content-Length", value: String(text.utf8.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.close(promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: responding = true
        case .end: responding = false
        default: break
        }
        context.write(data, promise: promise)
    }
}

/// On a connection past the limit: 503 to its first request, then close.
final class RefusingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let limit: Int
    private var answered = false

    init(limit: Int) { self.limit = limit }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head = unwrapInboundIn(data), !answered else { return }
        answered = true
        let text = "too many open connections (limit \(limit))\n"
        var headers = HTTPHeaders([("Connection", "close"), ("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "1")])
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .serviceUnavailable, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.read = event { context.close(promise: nil) }
    }
}
