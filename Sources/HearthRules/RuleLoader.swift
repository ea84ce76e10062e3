import HearthConfig
import HearthFileIO
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthTemplate

/// Rule files that could not be loaded: every problem, each prefixed with its file.
public struct RuleLoadError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// Reads rule files into groups, validating them as `promtool check rules` does.
public enum RuleLoader {
    /// Every problem in one rule file's text (empty when it is valid), and its rule count.
    public static func check(_ text: String, parse: (String) -> String?) -> (problems: [String], rules: Int, file: RuleFile?) {
        let file: RuleFile
        do { file = try RuleFile(yaml: text) } catch { return (["\(error)"], 0, nil) }
        let problems = file.validate(checkExpression: parse, checkTemplate: { text, alert in
            do {
                _ = try Template(AlertingRule.definitions + text, name: "__alert_" + alert, functions: PrometheusTemplateFunctions.names)
                return nil
            } catch {
                return "\(error)"
            }
        })
        return (problems, file.groups.reduce(0) { $0 + $1.rules.count }, file)
    }

    /// The groups of every file matching `patterns` (globs), in file order.
    /// - Parameter restored: false on the first load after a start, so alerting rules wait for
    ///   their `for` state to be restored before writing `ALERTS`.
    public static func load(patterns: [String], global: GlobalConfig, engine: Engine, externalURL: String,
                            restored: Bool) throws(RuleLoadError) -> [RuleGroup] {
        var problems: [String] = []
        var groups: [RuleGroup] = []
        for pattern in patterns {
            let files = pattern.contains(where: { "*?[".contains($0) }) ? FileSystem.glob(pattern) : [pattern]
            for path in files {
                let bytes: [UInt8]?
                do { bytes = try FileSystem.readFile(path) } catch { problems.append("\(path): \(error)"); continue }
                guard let bytes else { problems.append("\(path): open \(path): no such file or directory"); continue }
                let (found, _, parsed) = check(String(decoding: bytes, as: UTF8.self)) { expr in
                    do throws(QueryError) { _ = try engine.parse(expr); return nil } catch { return error.description }
                }
                guard found.isEmpty, let parsed else {
                    problems += found.map { "\(path): \($0)" }
                    continue
                }
                for spec in parsed.groups {
                    groups.append(build(spec, file: path, global: global, engine: engine, externalURL: externalURL, restored: restored))
                }
            }
        }
        if !problems.isEmpty { throw RuleLoadError(problems: problems) }
        return groups
    }

    static func build(_ spec: RuleGroupSpec, file: String, global: GlobalConfig, engine: Engine, externalURL: String,
                      restored: Bool) -> RuleGroup {
        var rules: [Rule] = []
        for r in spec.rules {
            // Checked above; a failure here would be a bug.
            guard let expr = try? engine.parse(r.expr) else { continue }
            var labels: [String: String] = [:]
            for l in spec.labels { labels[l.name] = l.value }
            for l in r.labels { labels[l.name] = l.value }
            if r.isAlert {
                var notes: [String: String] = [:]
                for a in r.annotations { notes[a.name] = a.value }
                rules.append(.alerting(AlertingRule(
                    name: r.alert, expr: expr, holdDuration: r.forDuration, keepFiringFor: r.keepFiringFor,
                    labels: Labels(labels), annotations: Labels(notes), externalLabels: global.externalLabels,
                    externalURL: externalURL, restored: restored)))
            } else {
                rules.append(.recording(RecordingRule(name: r.record, expr: expr, labels: Labels(labels))))
            }
        }
        return RuleGroup(name: spec.name, file: file, interval: spec.interval ?? global.evaluationInterval,
                         queryOffset: spec.queryOffset ?? global.ruleQueryOffset, limit: spec.limit, rules: rules)
    }
}
