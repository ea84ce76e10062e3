import HearthTSDB
import Logging
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs the storage engine for the life of the process: opens it, keeps self-metrics current,
/// and on graceful shutdown (SIGTERM/SIGINT) closes it, which writes the head snapshot.
public struct StorageService: Service {
    public let db: DB
    let metrics: SelfMetrics
    let logger: Logger
    let compactionInterval: Duration

    public init(db: DB, metrics: SelfMetrics, logger: Logger, compactionInterval: Duration = .seconds(60)) {
        self.db = db
        self.metrics = metrics
        self.logger = logger
        self.compactionInterval = compactionInterval
    }

    public func run() async throws {
        metrics.update(from: db)
        let maintenance = Task.detached { [db, metrics, logger, compactionInterval] in
            // Once soon after start (a restart may find a head ready to compact), then periodically.
            var wait: Duration = .seconds(1)
            while !Task.isCancelled {
                try? await Task.sleep(for: wait)
                wait = compactionInterval
                if Task.isCancelled { break }
                if case .failure(let error) = await runBlockingStorageWork({ try db.compact() }) {
                    metrics.compactionFailed()
                    logger.error("compaction failed", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { maintenance.cancel() }
        // Refresh the gauges every few seconds until shutdown is requested, and hand memory
        // freed by request bursts back to the system.
        try? await cancelWhenGracefulShutdown {
            var tick = 0
            while true {
                try await Task.sleep(for: .seconds(1))
                tick += 1
                if tick % 5 == 0 { metrics.update(from: db) }
                releaseFreeMemory()
            }
        }
        logger.info("shutting down storage")
        do {
            try db.close()
            logger.info("storage closed cleanly")
        } catch {
            logger.error("closing storage failed", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
