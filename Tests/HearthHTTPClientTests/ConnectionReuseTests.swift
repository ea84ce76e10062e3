import HearthHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

/// A server that counts connections and requests and misbehaves as told.
final class CountingServer: Sendable {
    enum Mode: Sendable {
        /// Answers every request and keeps the connection open.
        case keepAlive
        /// Answers with `Connection: close` and closes.
        case closeAfterResponse
        /// Closes a connection, without answering, when its second request arrives (what a
        /// server that timed out an idle connection looks like to the client).
        case dropSecondRequest
        /// Never answers.
        case silent
    }

    let mode: Mode
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let connections = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    private(set) nonisolated(unsafe) var port = 0
    nonisolated(unsafe) var channel: (any Channel)?

    init(mode: Mode) { self.mode = mode }

    func start() async throws {
        let server = self
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                server.connections.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        port = channel.localAddress!.port!
    }

    func stop() async {
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }

    final class Responder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: CountingServer
        var onThisConnection = 0

        init(server: CountingServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            onThisConnection += 1
            let n = server.requests.add(1, ordering: .relaxed).newValue
            switch server.mode {
            case .silent:
                return
            case .dropSecondRequest where onThisConnection == 2:
                context.close(promise: nil)
                return
            default:
                break
            }
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            let body = "response \(n)"
            head.headers.add(name: "Content-Length", value: String(body.utf8.count))
            if case .closeAfterResponse = server.mode { head.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if case .closeAfterResponse = server.mode { done.whenComplete { _ in context.close(promise: nil) } }
        }
    }
}

@Suite struct ConnectionReuseTests {
    /// The timeout is long because the whole suite shares the process's cooperative threads:
    /// resuming after a connect can wait seconds there, and the deadline covers the exchange.
    func fetch(_ client: HTTPClient, _ server: CountingServer, timeout: Int64 = 120_000) async throws -> String {
        let r = try await client.execute(url: try HTTPURL("http://127.0.0.1:\(server.port)/metrics"), timeout: timeout)
        return String(decoding: r.body, as: UTF8.self)
    }

    @Test func sequentialRequestsShareOneConnection() async throws {
        let server = CountingServer(mode: .keepAlive)
        try await server.start()
        let client = HTTPClient()
        for i in 1...5 { #expect(try await fetch(client, server) == "response \(i)") }
        #expect(server.connections.load(ordering: .relaxed) == 1)
        #expect(client.idleConnections == 1)
        await client.shutdown()
        await server.stop()
    }

    @Test func keepAliveOffOpensOneConnectionPerRequest() async throws {
        let server = CountingServer(mode: .keepAlive)
        try await server.start()
        let client = HTTPClient(keepAlive: false)
        for i in 1...3 { #expect(try await fetch(client, server) == "response \(i)") }
        #expect(server.connections.load(ordering: .relaxed) == 3)
        #expect(client.idleConnections == 0)
        await client.shutdown()
        await server.stop()
    }

    @Test func connectionCloseFromTheServerIsHonoured() async throws {
        let server = CountingServer(mode: .closeAfterResponse)
        try await server.start()
        let client = HTTPClient()
        for i in 1...3 { #expect(try await fetch(client, server) == "response \(i)") }
        #expect(server.connections.load(ordering: .relaxed) == 3)
        #expect(client.idleConnections == 0)
        await client.shutdown()
        await server.stop()
    }

    @Test func aReusedConnectionClosedByTheServerIsRetriedOnANewOne() async throws {
        let server = CountingServer(mode: .dropSecondRequest)
        try await server.start()
        let client = HTTPClient()
        // Every second request on a connection is dropped unanswered; each is sent again on a
        // new connection, so every call succeeds.
        for _ in 1...4 { #expect(try await fetch(client, server).hasPrefix("response ")) }
        #expect(server.connections.load(ordering: .relaxed) == 4)
        await client.shutdown()
        await server.stop()
    }

    @Test func aTimedOutExchangeClosesItsConnection() async throws {
        let server = CountingServer(mode: .silent)
        try await server.start()
        let client = HTTPClient()
        await #expect(throws: HTTPClientError.self) { _ = try await fetch(client, server, timeout: 200) }
        #expect(client.idleConnections == 0)
        await client.shutdown()
        await server.stop()
    }

    @Test func idleConnectionsExpire() async throws {
        let server = CountingServer(mode: .keepAlive)
        try await server.start()
        // Long enough that a loaded CI machine still sees the connection idle before it expires.
        let client = HTTPClient(idleTimeout: .seconds(2))
        let clock = ContinuousClock()
        let sent = clock.now
        _ = try await fetch(client, server)
        // Pooled before the response is handed back; unless the machine stalled for longer than
        // the idle timeout since, it is still there (CI once stalled that long).
        let pooled = client.idleConnections
        if clock.now - sent < .seconds(2) { #expect(pooled == 1) }
        var waited = 0
        while client.idleConnections > 0 && waited < 30_000 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 20
        }
        #expect(client.idleConnections == 0)
        _ = try await fetch(client, server)
        #expect(server.connections.load(ordering: .relaxed) == 2)
        await client.shutdown()
        await server.stop()
    }
}
