import HearthHTTPAPI
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Serves the HTTP API for the life of the process; on graceful shutdown it stops accepting
/// connections before storage closes (services shut down in reverse order).
struct HTTPService: Service {
    let server: HTTPServer
    let logger: Logger

    func run() async throws {
        let port = try await server.start()
        logger.info("listening", metadata: ["address": "\(server.host):\(port)"])
        try? await gracefulShutdown()
        logger.info("stopping the HTTP server")
        await server.shutdown()
    }
}

/// `host:port` from `--web.listen-address` (`:9090` means every interface).
func splitListenAddress(_ address: String) -> (host: String, port: Int)? {
    guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
          (0...65_535).contains(port) else { return nil }
    var host = String(address[..<colon])
    if host.isEmpty { host = "0.0.0.0" }
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host, port)
}

/// Asks the process to shut down gracefully, as SIGTERM does (for `/-/quit`).
func requestShutdown() {
    kill(getpid(), SIGTERM)
}
