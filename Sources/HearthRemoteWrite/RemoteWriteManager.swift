import HearthConfig
import HearthFileIO
import HearthHTTPClient
import HearthModel
import Logging
import HearthWAL
import Synchronization

/// The `remote_write` section of the configuration, running: one ``RemoteWriteQueue`` per
/// entry, all reading the same log. A reload stops every queue (each saves its position) and
/// starts the new set, which resumes from the saved positions.
public final class RemoteWriteManager<Source: WALSource>: Sendable {
    let source: Source
    let client: HTTPClient
    /// Where queues keep their positions (`<name>.position`); nil: start at the log's end.
    let positionDirectory: String?
    let logger: Logger
    let running = Mutex<[(queue: RemoteWriteQueue<Source>, task: Task<Void, Never>)]>([])

    public init(source: Source, client: HTTPClient, positionDirectory: String?, logger: Logger) {
        self.source = source
        self.client = client
        self.positionDirectory = positionDirectory
        self.logger = logger
    }

    /// The queues now running.
    public var queues: [RemoteWriteQueue<Source>] { running.withLock { $0.map(\.queue) } }

    /// Replaces the running queues by those `config` describes.
    public func apply(_ config: Config) async {
        await stop(flushFor: .zero)
        if let positionDirectory { try? FileSystem.createDirectory(positionDirectory) }
        var started: [(queue: RemoteWriteQueue<Source>, task: Task<Void, Never>)] = []
        var names: Set<String> = []
        for rw in config.remoteWrite {
            var name = RemoteWriteQueue<Source>.defaultName(for: rw.url, name: rw.name)
            while names.contains(name) { name += "_" }
            names.insert(name)
            let sender: RemoteWriteClient
            do { sender = try RemoteWriteClient(config: rw, externalLabels: config.global.externalLabels, client: client) } catch {
                logger.error("remote write: invalid url; queue not started", metadata: ["url": "\(rw.url)", "err": "\(error)"])
                continue
            }
            let queue = RemoteWriteQueue(name: name, client: sender, source: source,
                                         positionFile: positionDirectory.map { $0 + "/" + name + ".position" }, logger: logger)
            let task = Task { await queue.run() }
            started.append((queue, task))
            logger.info("remote write: queue started", metadata: ["queue": "\(name)", "url": "\(rw.url)", "from": "\(queue.delivered)"])
        }
        running.withLock { $0 = started }
    }

    /// Stops every queue, letting each send what it can for up to `flushFor`; positions are saved.
    public func stop(flushFor: Duration) async {
        let current = running.withLock { r in defer { r = [] }; return r }
        for r in current { r.queue.stop(flushFor: flushFor) }
        for r in current { await r.task.value }
    }
}
