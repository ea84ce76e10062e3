import HearthConfig
import HearthModel
import Testing

@Suite struct ConfigTests {
    @Test func defaultsAndInheritanceFollowPrometheus() throws {
        let config = try Config(yaml: """
            global:
              scrape_interval: 15s
              external_labels:
                region: eu
            scrape_configs:
              - job_name: node
                static_configs:
                  - targets: ['localhost:9100']
                    labels: {team: infra}
              - job_name: slow
                scrape_interval: 5s
                metrics_path: /probe
                params:
                  module: [http_2xx]
                sample_limit: 100
                basic_auth: {username: u, password: p}
            remote_write:
              - url: http://receiver:9090/api/v1/write
                queue_config: {max_samples_per_send: 500, batch_send_deadline: 2s}
                protobuf_message: io.prometheus.write.v2.Request
            rule_files: [rules/*.yml]
            """, directory: "/etc/hearth")
        #expect(config.global.scrapeInterval == 15_000 && config.global.scrapeTimeout == 10_000 && config.global.evaluationInterval == 60_000)
        #expect(config.global.externalLabels == Labels(["region": "eu"]))
        let node = config.scrapeConfigs[0]
        #expect(node.scrapeInterval == 15_000 && node.scrapeTimeout == 10_000 && node.metricsPath == "/metrics" && node.honorTimestamps)
        #expect(node.staticConfigs[0].targets == ["localhost:9100"] && node.staticConfigs[0].labels == Labels(["team": "infra"]))
        let slow = config.scrapeConfigs[1]
        #expect(slow.scrapeTimeout == 5_000, "the global timeout is capped at the job's interval")
        #expect(slow.sampleLimit == 100 && slow.params.first?.1 == ["http_2xx"])
        #expect(slow.http.authorizationHeader(readFile: { _ in nil }) == "Basic dTpw")
        #expect(config.remoteWrite[0].queue.maxSamplesPerSend == 500 && config.remoteWrite[0].queue.batchSendDeadline == 2_000)
        #expect(config.remoteWrite[0].queue.maxShards == 50 && config.remoteWrite[0].message == .v2)
        #expect(config.ruleFiles == ["/etc/hearth/rules/*.yml"])
    }

    @Test func emptyFileIsTheDefaultConfiguration() throws {
        let config = try Config(yaml: "")
        #expect(config.scrapeConfigs.isEmpty && config.global.scrapeInterval == 60_000)
    }

    @Test func errorsNameTheLineAndUsePrometheusWording() {
        let cases: [(String, Int?, String)] = [
            ("global:\n  scrape_interval: 15s\n  scrape_intervall: 1m\n", 3, "field scrape_intervall not found in type global"),
            ("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [x:1]\n        lables: {}\n", 5, "field lables not found"),
            ("scrape_configs:\n  - job_name: a\n  - job_name: a\n", 3, "found multiple scrape configs with job name \"a\""),
            ("scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n", 2, "scrape timeout greater than scrape interval"),
            ("scrape_configs:\n  - job_name: a\n    scrape_interval: 5 seconds\n", 3, "not a valid duration string"),
            ("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: replace\n", 4, "requires 'target_label'"),
            ("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: explode\n", 4, "unknown relabel action"),
            ("remote_write:\n  - name: x\n", 2, "url for remote_write is empty"),
            ("remote_write:\n  - url: http://x\n    protobuf_message: v3\n", 3, "unknown remote write protobuf message"),
            ("global:\n  external_labels:\n    0bad: x\n", 3, "is not a valid label name"),
            ("scrape_configs:\n  - job_name: a\n    honor_labels: maybe\n", 3, "into bool"),
            ("scrape_configs: [\n", nil, ""),
        ]
        for (yaml, line, fragment) in cases {
            do {
                _ = try Config(yaml: yaml)
                Issue.record("accepted: \(yaml)")
            } catch {
                if let line { #expect(error.line == line, "\(yaml): \(error)") }
                #expect(error.message.contains(fragment), "\(yaml): \(error)")
            }
        }
    }

    @Test func fileSDGroupsParseFromJSONAndYAML() throws {
        let json = try TargetGroup.parseFile(#"[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}]"#, source: "t.json")
        #expect(json == [TargetGroup(targets: ["a:1", "b:2"], labels: Labels(["env": "prod"]), source: "t.json")])
        let yaml = try TargetGroup.parseFile("- targets: [c:3]\n", source: "t.yml")
        #expect(yaml[0].targets == ["c:3"])
        #expect(throws: ConfigError.self) { try TargetGroup.parseFile("- targets: [c:3]\n  extra: 1\n", source: "t.yml") }
    }

    @Test func durationsPrintAsGoDoes() {
        #expect(PrometheusDuration.format(milliseconds: 90_000) == "1m30s")
        #expect(PrometheusDuration.format(milliseconds: 3_600_000) == "1h")
        #expect(PrometheusDuration.format(milliseconds: 15_500) == "15s500ms")
        #expect(PrometheusDuration.format(milliseconds: 0) == "0s")
    }
}
