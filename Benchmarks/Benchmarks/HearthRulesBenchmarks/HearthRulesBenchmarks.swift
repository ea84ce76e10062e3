import Benchmark
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthRules
import HearthTemplate

/// The rules' own hot path (PromQL has its suite): turning an alert expression's result into
/// alert instances, which renders every label and annotation template per instance.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 10_000
    )

    let annotation = "{{ $labels.instance }} of {{ $labels.job }} has been at {{ $value | humanizePercentage }} for a while ({{ $externalURL }})"
    Benchmark("Parse an annotation template") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? Template(annotation, name: "t", functions: PrometheusTemplateFunctions.names))
        }
    }

    let template = try! Template(AlertingRule.definitions + annotation, name: "t", functions: PrometheusTemplateFunctions.names)
    let functions = PrometheusTemplateFunctions.make(query: { _ throws(RuleError) in [] }, externalURL: "http://hearth:9090", now: 0)
    let data = TemplateValue.record("alert", [
        "Labels": .stringMap([("instance", "db-1:9100"), ("job", "node"), ("severity", "page")]),
        "ExternalLabels": .stringMap([("cluster", "eu")]), "ExternalURL": .string("http://hearth:9090"), "Value": .float(0.9734),
    ])
    Benchmark("Execute an annotation template") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? template.execute(data: data, functions: functions))
        }
    }

    // 1,000 instances of one alert, evaluated repeatedly (steady state: all firing).
    let rule = AlertingRule(
        name: "HighLoad", expr: try! Parser.parse("load > 0.9"), holdDuration: 0,
        labels: Labels(["severity": "{{ if gt $value 0.95 }}page{{ else }}ticket{{ end }}"]),
        annotations: Labels(["summary": annotation]), externalURL: "http://hearth:9090", restored: true)
    let vector: Vector = (0..<1000).map { i in
        VectorSample(labels: Labels(["__name__": "load", "instance": "host-\(i):9100", "job": "node"]), f: 0.9 + Double(i % 10) / 100)
    }
    var t: Int64 = 1_800_000_000_000
    Benchmark("Evaluate an alerting rule with 1,000 instances") { benchmark in
        for _ in benchmark.scaledIterations {
            t += 15_000
            blackHole(try? rule.evaluate(vector, at: t, functions: functions))
        }
    }
}
