import Logging
import NIOCore
import NIOHTTP1

/// Collects a request (its body up to the path's limit), runs the responder in a task, writes
/// the response. A body past the limit is answered 413 at once and the connection closed, so
/// the rest is never read; a connection idle past the read timeout is closed.
final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let responder: any HTTPResponder
    let limits: HTTPLimits
    let logger: Logger
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyLimit = 0
    /// Set once a 413 went out: everything after is dropped until the channel closes.
    private var refused = false
    private var running: Task<Void, Never>?

    init(responder: any HTTPResponder, limits: HTTPLimits, logger: Logger) {
        self.responder = responder
        self.limits = limits
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
            let path = h.uri.firstIndex(of: "?").map { h.uri[..<$0] } ?? Substring(h.uri)
            bodyLimit = limits.maxBody(for: path)
            if let length = h.headers.first(name: "content-length").flatMap(Int.init), length > bodyLimit {
                refuseBody(context: context, head: h)
            }
        case .body(var chunk):
            guard let head else { return }
            if body.readableBytes + chunk.readableBytes > bodyLimit {
                refuseBody(context: context, head: head)
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
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

    private func refuseBody(context: ChannelHandlerContext, head: HTTPRequestHead) {
        refused = true
        body = ByteBuffer()
        var response = HTTPResponse.text(.payloadTooLarge, "request body exceeds the limit of \(bodyLimit) bytes\n")
        response.headers.add(name: "Connection", value: "close")
        write(context: context, head: head, response: response, close: true)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away: stop the work it asked for.
        running?.cancel()
        running = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.read = event, running == nil {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, head: HTTPRequestHead, response: HTTPResponse, close: Bool = false) {
        guard context.channel.isActive else { return }
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        let keepAlive = head.isKeepAlive && !close
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
