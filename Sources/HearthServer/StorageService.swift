import HearthTSDB
import HearthWAL
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the storage engine for the life of the process: opens it, keeps self-metrics current,
/// and on graceful shutdown (SIGTERM/SIGINT) closes it, which writes the head snapshot.
public struct StorageService: Service {
    public let db: DB
    let metrics: SelfMetrics
    let logger: Logger

    public init(db: DB, metrics: SelfMetrics, logger: Logger) {
        self.db = db
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        metrics.update(from: db)
        // Refresh the gauges every few seconds until shutdown is requested.
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: .seconds(5))
                metrics.update(from: db)
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

/// Builds and runs `hearth server`.
public enum Server {
    public static func run(_ options: ServerOptions, logger: Logger) async throws {
        var dbOptions = DB.Options(path: options.storagePath)
        dbOptions.walSyncMode = options.walSyncMode
        dbOptions.walSegmentSize = options.walSegmentSize
        let db = try DB(options: dbOptions, logger: logger)
        let metrics = SelfMetrics()
        let storage = StorageService(db: db, metrics: metrics, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: storage)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info("server is ready", metadata: [
            "storage": "\(options.storagePath)", "series": "\(db.head.numSeries)",
            "wal_sync": "\(options.walSyncMode.rawValue)",
        ])
        try await group.run()
    }
}
