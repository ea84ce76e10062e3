import HearthConfig
import HearthExposition
import HearthModel
import HearthPromQLParser
import HearthRegex
import HearthRelabel
import HearthRules
import HearthTemplate

/// Text formats: scrape bodies, regular expressions, templates, configuration and rule files.
enum TextTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget("exposition-text", "the text format 0.0.4 scanner, with every label set, timestamp and exemplar decoded") { bytes in
            scan(Array(bytes), .prometheusText)
        },
        FuzzTarget("openmetrics", "the OpenMetrics scanner, parser and validator") { bytes in
            let body = Array(bytes)
            scan(body, .openMetrics)
            _ = try? OpenMetricsParser.parse(body)
            _ = try? OpenMetricsValidator.validate(body)
        },
        FuzzTarget("regex", "RE2 syntax: compile, then match and search the pattern's own text") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            let cut = text.firstIndex(of: "\n") ?? text.endIndex
            guard let re = try? RE2(String(text[..<cut])) else { return }
            let subject = cut < text.endIndex ? String(text[text.index(after: cut)...]) : ""
            _ = re.wholeMatch(subject)
            _ = re.firstMatch(in: subject)
            _ = try? Matcher(.regexMatch, "l", String(text[..<cut])).matches(subject)
        },
        FuzzTarget("template", "Go text/template parsing and execution with Prometheus's functions over alert data") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            let functions = PrometheusTemplateFunctions.make(query: { _ in [] }, externalURL: "http://hearth:9090/", now: 0)
            guard let template = try? Template(text, name: "fuzz", functions: functions.keys) else { return }
            let data = TemplateValue.record("Alert", [
                "Labels": .stringMap([("job", "a"), ("instance", "x:1")]),
                "ExternalLabels": .stringMap([("cluster", "c")]),
                "Value": .float(1.5),
            ])
            _ = try? template.execute(data: data, functions: functions)
        },
        FuzzTarget("config", "the Prometheus configuration file: YAML, scrape configs, relabeling, remote write, alerting") { bytes in
            _ = try? Config(yaml: String(decoding: bytes, as: UTF8.self), directory: "/nonexistent")
        },
        FuzzTarget("target-groups", "file_sd and http_sd target group files (JSON or YAML), as discovery reads them") { bytes in
            _ = try? TargetGroup.parseFile(String(decoding: bytes, as: UTF8.self), source: "fuzz")
        },
        FuzzTarget("rule-file", "rule files: YAML, names, durations, labels, templates and every expression") { bytes in
            _ = RuleLoader.check(String(decoding: bytes, as: UTF8.self)) { expr in
                do throws(PromQLParseError) { _ = try HearthPromQLParser.Parser.parse(expr); return nil } catch { return error.message }
            }
        },
    ]

    static func scan(_ body: [UInt8], _ format: ExpositionFormat) {
        var scanner = ExpositionScanner(body, format: format)
        var lines = 0
        while lines < 100_000, let event = try? scanner.next() {
            lines += 1
            if case .sample = event {
                _ = try? scanner.labels()
                _ = try? scanner.timestampMilliseconds()
                _ = try? scanner.exemplarLabels()
            }
        }
    }
}
