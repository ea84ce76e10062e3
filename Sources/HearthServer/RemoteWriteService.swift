import HearthHTTPClient
import HearthRemoteWrite
import HearthWAL
import Logging
import ServiceLifecycle
import Synchronization

/// Runs the `remote_write` queues for the life of the process; on shutdown (after scraping
/// and HTTP have stopped) they send what they can until the flush deadline and save positions,
/// then the HTTP client they share with scraping is shut down.
struct RemoteWriteService<Source: WALSource>: Service {
    let manager: RemoteWriteManager<Source>
    let reloader: ConfigReloader
    let client: HTTPClient
    let flushDeadline: Duration

    func run() async throws {
        await manager.apply(reloader.current.withLock { $0.config })
        try? await gracefulShutdown()
        await manager.stop(flushFor: flushDeadline)
        await client.shutdown()
    }
}
