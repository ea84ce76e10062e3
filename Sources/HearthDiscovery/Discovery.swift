import Glibc
import HearthConfig
import HearthFileIO
import HearthHTTPClient
import HearthModel
import Logging

/// `file_sd_configs`: reads the matching files when their modification time changes (checked
/// every few seconds) and every `refresh_interval`; a file that fails to parse keeps its last
/// good groups, as in Prometheus. Groups get `__meta_filepath`.
public struct FileDiscovery: Sendable {
    let config: FileSDConfig
    var logger = Logger(label: "hearth.discovery.file")

    public init(config: FileSDConfig) {
        self.config = config
    }

    /// Reads the files until the task is cancelled, sending every group on each change.
    public func run(_ send: @Sendable ([TargetGroup]) -> Void) async {
        var lastGood: [String: [TargetGroup]] = [:]
        var mtimes: [String: Int64] = [:]
        var lastFull = ContinuousClock.now
        var first = true
        while !Task.isCancelled {
            let files = config.files.flatMap(FileSystem.glob)
            var changed = first || ContinuousClock.now - lastFull >= .milliseconds(config.refreshInterval)
            var current: [String: Int64] = [:]
            for f in files { current[f] = Self.modificationTime(f) }
            if current != mtimes { changed = true }
            if changed {
                var next: [String: [TargetGroup]] = [:]
                for f in files {
                    guard let bytes = (try? FileSystem.readFile(f)) ?? nil else { continue }
                    let text = String(decoding: bytes, as: UTF8.self)
                    do {
                        var groups = try TargetGroup.parseFile(text, source: f)
                        for i in groups.indices {
                            var list = Array(groups[i].labels)
                            list.removeAll { $0.name == "__meta_filepath" }
                            list.append(Label("__meta_filepath", f))
                            groups[i].labels = (try? Labels(validating: list)) ?? groups[i].labels
                        }
                        next[f] = groups
                    } catch {
                        logger.error("error reading file_sd file", metadata: ["file": "\(f)", "err": "\(error)"])
                        if let old = lastGood[f] { next[f] = old }
                    }
                }
                lastGood = next
                mtimes = current
                lastFull = ContinuousClock.now
                first = false
                send(next.keys.sorted().flatMap { next[$0]! })
            }
            try? await Task.sleep(for: .seconds(2))
        }
    }

    static func modificationTime(_ path: String) -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { return -1 }
        return Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec) ^ Int64(st.st_size) << 1
    }
}

/// `http_sd_configs`: fetches the URL every `refresh_interval`; a failed fetch keeps the last
/// good groups. Groups get `__meta_url`.
public struct HTTPDiscovery: Sendable {
    let config: HTTPSDConfig
    let client: HTTPClient
    let logger: Logger

    public init(config: HTTPSDConfig, client: HTTPClient, logger: Logger) {
        self.config = config
        self.client = client
        self.logger = logger
    }

    public func run(_ send: @Sendable ([TargetGroup]) -> Void) async {
        while !Task.isCancelled {
            do {
                var headers: [(String, String)] = [("Accept", "application/json"), ("User-Agent", "Hearth/0.7")]
                if let auth = config.http.authorizationHeader(readFile: FileSystem.readText) { headers.append(("Authorization", auth)) }
                let response = try await client.execute(url: try HTTPURL(config.url), headers: headers, timeout: 30_000, maxBodyBytes: 16 << 20)
                guard response.status == 200 else { throw HTTPClientError("server returned HTTP status \(response.status)") }
                var groups = try TargetGroup.parseFile(String(decoding: response.body, as: UTF8.self), source: config.url)
                for i in groups.indices {
                    var list = Array(groups[i].labels)
                    list.append(Label("__meta_url", config.url))
                    groups[i].labels = (try? Labels(validating: list)) ?? groups[i].labels
                }
                send(groups)
            } catch {
                logger.error("http_sd refresh failed", metadata: ["url": "\(config.url)", "err": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(config.refreshInterval))
        }
    }
}
