import HearthConfig
import HearthModel
import Logging
import Synchronization

/// The loaded configuration and how to reload it (`/-/reload`, SIGHUP): parse first, apply only
/// a valid file, so a broken edit leaves the running configuration in place.
final class ConfigReloader: Sendable {
    let path: String?
    let logger: Logger
    let current: Mutex<(config: Config, text: String)>
    /// Each part of the server that takes the configuration; a non-nil result is why it could not.
    let appliers: Mutex<[@Sendable (Config) async -> String?]> = Mutex([])

    init(path: String?, logger: Logger) throws {
        self.path = path
        self.logger = logger
        let loaded = try Self.load(path)
        current = Mutex(loaded)
    }

    static func load(_ path: String?) throws -> (config: Config, text: String) {
        guard let path else { return (Config(), "") }
        do { return try Config.load(file: path) } catch {
            throw ServerError("couldn't load configuration (--config.file=\"\(path)\"): parsing YAML file \(path): \(error)")
        }
    }

    func onReload(_ apply: @escaping @Sendable (Config) async -> Void) {
        appliers.withLock { $0.append { config in await apply(config); return nil } }
    }

    /// A part that can refuse the configuration (rule files that fail to load).
    func onReloadChecked(_ apply: @escaping @Sendable (Config) async -> String?) {
        appliers.withLock { $0.append(apply) }
    }

    /// Re-reads the file and applies it; nil on success, else why not.
    func reload() async -> String? {
        do {
            let loaded = try Self.load(path)
            current.withLock { $0 = loaded }
            var problems: [String] = []
            for apply in appliers.withLock({ $0 }) {
                if let p = await apply(loaded.config) { problems.append(p) }
            }
            // As Prometheus: the parts that took the new configuration keep it.
            guard problems.isEmpty else {
                throw ServerError("one or more errors occurred while applying the new configuration (--config.file=\"\(path ?? "")\"): "
                                  + problems.joined(separator: "; "))
            }
            logger.info("completed loading of configuration file", metadata: ["filename": "\(path ?? "")"])
            return nil
        } catch {
            logger.error("error reloading configuration", metadata: ["err": "\(error)"])
            return "\(error)"
        }
    }
}

/// Runs the scrape manager for the life of the process and reloads on SIGHUP. On shutdown the
/// loops stop (their scrapes in flight finish and are stored) before remote write and storage
/// close. The HTTP client is shared with remote write, which shuts it down.
