import HearthModel
import Yams

extension Config {
    /// The `global.external_labels` of a configuration another server reports (Prometheus's
    /// and Hearth's `/api/v1/status/config`). Read leniently: the rest of a newer server's
    /// configuration is not checked.
    public static func externalLabels(ofReportedConfig yaml: String) throws(ConfigError) -> Labels {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch { throw ConfigError("\(error)") }
        guard let root, case .mapping(let top) = root,
              let global = top.first(where: { $0.key.string == "global" })?.value, case .mapping(let g) = global,
              let labels = g.first(where: { $0.key.string == "external_labels" })?.value else { return Labels() }
        return try YAMLValue(node: labels).labels()
    }
}
