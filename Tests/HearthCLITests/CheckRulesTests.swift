import Foundation
import HearthTestSupport
import Testing

/// `hearth check rules` against `promtool check rules` (Debian's Prometheus 2.42) on valid and
/// broken rule files: the same exit status and the same report, line and column included.
/// Skipped without promtool.
@Suite struct CheckRulesTests {
    static let files: [(String, String)] = [
        ("good.yml", """
            groups:
              - name: ok
                interval: 30s
                rules:
                  - record: job:up:sum
                    expr: sum by (job) (up)
                    labels: {team: a}
                  - alert: Down
                    expr: up == 0
                    for: 5m
                    keep_firing_for: 1m
                    labels: {severity: '{{ if eq $labels.job "db" }}page{{ else }}ticket{{ end }}'}
                    annotations: {summary: '{{ $labels.instance }} down ({{ $value | humanize }})'}
            """),
        ("bad-expr.yml", """
            groups:
              - name: g
                rules:
                  - record: x:y
                    expr: sum(rate(up[5m])
                  - alert: A
                    expr: up ==
            """),
        ("bad-names.yml", """
            groups:
              - name: g
                rules:
                  - record: "not a metric"
                    expr: up
                  - record: ok
                    expr: up
                    labels: {"bad-label": x}
            """),
        ("bad-template.yml", """
            groups:
              - name: g
                rules:
                  - alert: T
                    expr: up
                    annotations:
                      summary: '{{ .Labels.instance'
                    labels:
                      x: '{{ nosuchfunction }}'
            """),
        ("bad-structure.yml", """
            groups:
              - name: g
                rules:
                  - expr: up
                  - record: r
                    alert: a
                    expr: up
              - name: g
                rules: []
            """),
        ("recording-fields.yml", """
            groups:
              - name: g
                rules:
                  - record: r
                    expr: up
                    for: 1m
                    annotations: {a: b}
            """),
    ]

    @Test(.enabled(if: Promtool.available, "promtool is not installed (apt-get install prometheus); skipping"))
    func reportsLikePromtool() throws {
        let dir = TemporaryDirectory("hearth-check-rules")
        guard let hearth = BuiltProducts.executable("hearth") else { throw ChildError("hearth not built") }
        for (name, text) in Self.files {
            try text.write(toFile: dir.path + "/" + name, atomically: true, encoding: .utf8)
        }
        for (name, _) in Self.files {
            let path = dir.path + "/" + name
            let ours = try runProgram(hearth, ["check", "rules", path])
            let theirs = try runProgram(Promtool.path, ["check", "rules", path])
            #expect(ours.status == theirs.status, "\(name): exit \(ours.status), promtool \(theirs.status)")
            #expect(Set(ours.output.split(separator: "\n")) == Set(theirs.output.split(separator: "\n")),
                    "\(name):\nhearth:\n\(ours.output)\npromtool:\n\(theirs.output)")
        }
        print("check rules vs promtool: \(Self.files.count) files, identical reports")
    }
}
