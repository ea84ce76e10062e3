import HearthConfig
import HearthModel
import HearthRelabel
import HearthDiscovery
import Synchronization

/// One `alerting.alertmanagers` entry: its discovered Alertmanagers (static and file_sd
/// groups, after `relabel_configs`), each addressed as `scheme://address/path_prefix/api/v2/alerts`.
final class AlertmanagerSet: Sendable {
    let config: AlertingConfig.Alertmanager
    private let groups = SharedGroups()
    private let discovery: Mutex<[Task<Void, Never>]> = Mutex([])

    init(config: AlertingConfig.Alertmanager) {
        self.config = config
        groups.withLock { $0["static"] = config.staticConfigs }
    }

    func startDiscovery() {
        var tasks: [Task<Void, Never>] = []
        let groups = self.groups
        for (i, sd) in config.fileSDConfigs.enumerated() {
            tasks.append(Task {
                await FileDiscovery(config: sd).run { found in groups.withLock { $0["file/\(i)"] = found } }
            })
        }
        discovery.withLock { $0 = tasks }
    }

    func stopDiscovery() {
        for t in discovery.withLock({ $0 }) { t.cancel() }
    }

    /// The Alertmanagers' alert URLs now, and those relabeling dropped.
    func urls() -> (active: [String], dropped: [String]) {
        var active: [String] = [], dropped: [String] = []
        let path = Self.alertsPath(config.pathPrefix)
        let all = groups.withLock { $0 }
        for group in all.keys.sorted().flatMap({ all[$0] ?? [] }) {
            for target in group.targets {
                var dict: [String: String] = [:]
                for l in group.labels { dict[l.name] = l.value }
                dict["__address__"] = target
                dict["__scheme__"] = config.scheme
                dict["__alerts_path__"] = path
                let labels = Labels(dict)
                let url = { (l: Labels) in "\(l["__scheme__"] ?? "http")://\(l["__address__"] ?? "")\(l["__alerts_path__"] ?? path)" }
                if let kept = Relabel.process(labels, config.relabelConfigs), kept["__address__"] != nil {
                    active.append(url(kept))
                } else {
                    dropped.append(url(labels))
                }
            }
        }
        return (active, dropped)
    }

    /// `path.Join("/", prefix, "/api/v2/alerts")`.
    static func alertsPath(_ prefix: String) -> String {
        let parts = (prefix + "/api/v2/alerts").split(separator: "/", omittingEmptySubsequences: true)
        return "/" + parts.joined(separator: "/")
    }
}

/// Discovered groups by source, shared with the discovery tasks.
final class SharedGroups: Sendable {
    private let value: Mutex<[String: [TargetGroup]]> = Mutex([:])
    func withLock<T>(_ body: (inout [String: [TargetGroup]]) -> T) -> T { value.withLock { body(&$0) } }
}
