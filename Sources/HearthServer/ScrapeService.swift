import HearthConfig
import HearthHTTPClient
import HearthModel
import HearthStorage
import HearthScrape
import HearthTSDB
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The TSDB head as scrape storage: each scrape is one head batch (one WAL write).
struct ScrapeService<Storage: Appendable>: Service {
    let manager: ScrapeManager<Storage>
    let reloader: ConfigReloader
    let logger: Logger

    func run() async throws {
        manager.apply(reloader.current.withLock { $0.config })
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups {
                    _ = await reloader.reload()
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await manager.stop()
    }
}
