import Foundation
import HearthTemplate
import HearthTestSupport
import Testing

/// Alert templates rendered by Hearth and by Go's text/template (a small program in `goref/`
/// built with the `go` on PATH, standard library only) with the same data, prepared as
/// Prometheus prepares it: outputs must be identical, and a template that fails in Go must fail
/// in Hearth. Skipped where `go` is absent (`.ci/run` installs Debian's golang-go).
@Suite struct GoReferenceTests {
    static let go = GoToolchain.path

    struct Case {
        var template: String
        var labels: [String: String] = ["instance": "db-1:9100", "job": "node", "severity": "critical", "env": "prod"]
        var value: Double = 0.8734
    }

    static let externalLabels = ["cluster": "eu-1", "replica": "a"]
    static let externalURL = "http://hearth.example:9090/prefix"

    static let cases: [Case] = [
        // Variables, fields, missing keys.
        Case(template: "{{ $labels.instance }} is down"),
        Case(template: "{{ .Labels.job }}/{{ $labels.missing }}/{{ .Labels.missing }}"),
        Case(template: "{{ $value }}"),
        Case(template: "{{ $value }}", value: 1e6),
        Case(template: "{{ $value }}", value: 123456),
        Case(template: "{{ $value }}", value: 1234567),
        Case(template: "{{ $value }}", value: 0.0001),
        Case(template: "{{ $value }}", value: 0.00001234),
        Case(template: "{{ $value }}", value: -2.5e-7),
        Case(template: "{{ $value }}", value: .infinity),
        Case(template: "{{ $value }}", value: -.infinity),
        Case(template: "{{ $value }}", value: .nan),
        Case(template: "{{ $value }}", value: 100),
        Case(template: "{{ $value }}", value: 1e21),
        Case(template: "{{ $value }}", value: 0.1 + 0.2),
        Case(template: "{{ $externalLabels.cluster }} {{ $externalURL }}"),
        Case(template: "{{ .ExternalLabels }} {{ .Labels }}"),
        Case(template: "{{ . }}"),
        Case(template: "{{ .NoSuchField }}"),
        Case(template: "{{ $nope }}"),
        Case(template: "{{ $labels.instance.deeper }}"),
        // Control structures.
        Case(template: "{{ if eq $labels.severity \"critical\" }}page{{ else if eq $labels.severity \"warning\" }}ticket{{ else }}log{{ end }}"),
        Case(template: "{{ if eq $labels.severity \"warning\" }}page{{ else if eq $labels.severity \"critical\" }}crit{{ end }}"),
        Case(template: "{{ if gt $value 0.5 }}high{{ else }}low{{ end }}"),
        Case(template: "{{ if gt $value 1 }}high{{ end }}"),
        Case(template: "{{ if and (gt $value 0.5) (eq $labels.env \"prod\") }}both{{ end }}"),
        Case(template: "{{ if or $labels.missing $labels.job }}{{ or $labels.missing $labels.job }}{{ end }}"),
        Case(template: "{{ and 1 0 \"x\" }}|{{ and 1 2 }}|{{ or 0 \"\" }}|{{ not 0 }}|{{ not \"a\" }}"),
        Case(template: "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}"),
        Case(template: "{{ range $labels }}[{{ . }}]{{ end }}"),
        Case(template: "{{ range $i, $v := $labels }}{{ if eq $i \"instance\" }}{{ continue }}{{ end }}{{ if eq $i \"severity\" }}{{ break }}{{ end }}{{ $i }} {{ end }}"),
        Case(template: "{{ range .Labels.missing }}x{{ else }}empty{{ end }}"),
        Case(template: "{{ with $labels.env }}env={{ . }}{{ end }}{{ with $labels.none }}none{{ else }}no none{{ end }}"),
        Case(template: "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}"),
        Case(template: "{{ $x := \"a\" }}{{ range $labels }}{{ $x = . }}{{ end }}{{ $x }}"),
        Case(template: "{{ if true }}{{ $y := 3 }}{{ end }}{{ $y }}"),
        // Whitespace trimming and comments.
        Case(template: "a  {{- \" b \" -}}  c\n{{- /* a comment */ -}}\n d {{/* another */}} e"),
        Case(template: "line1\n  {{- if true }}\n  x\n  {{- end }}\nline2"),
        // Pipelines, literals, builtins.
        Case(template: "{{ $labels.job | printf \"%s-%s\" \"prefix\" }}"),
        Case(template: "{{ \"hello\" | printf \"%q\" | len }}"),
        Case(template: "{{ printf \"%.2f %5.1f|%-8s|%08.3f|%+d|%x|%X|%e|%g|%G\" $value 3.14159 \"ab\" -3.14159 42 255 \"hi\" 1234.5678 0.000012345 1e20 }}"),
        Case(template: "{{ printf \"%d %s %v %t %q %c\" 7 \"s\" 1.5 true \"a\\\"b\\n\" 65 }}"),
        Case(template: "{{ printf \"%d|%s|%f\" 1.5 3 \"x\" }}"),
        Case(template: "{{ printf \"%s %s\" \"one\" }}|{{ printf \"%s\" \"one\" 2 }}|{{ printf \"100%%\" }}"),
        Case(template: "{{ printf \"%v|%s|%d\" $labels.missing $labels.missing 3 }}"),
        Case(template: "{{ printf \"%6.2f%%\" 12.3456 }}|{{ printf \"%.0f\" 2.5 }}|{{ printf \"%.0f\" 3.5 }}|{{ printf \"%.3g\" 1234.5 }}"),
        Case(template: "{{ printf \"%v %v %v\" .Labels (index .Labels \"job\") (len .Labels) }}"),
        // Widths and precisions past Go's bound (a million), from arguments and from the format.
        Case(template: "{{ printf \"%8888888888888888.2f|x\" $value }}|{{ printf \"%.99999999999999999999d\" 1 }}|{{ printf \"%1000001d\" 1 }}"),
        Case(template: "{{ printf \"%*d|%*d|%-*d|\" 10000000000 1 -9223372036854775807 2 1000001 3 }}"),
        Case(template: "{{ printf \"%.*d|%.*d|%*d|%5.\" 10000000000 1 -1 2 -4 3 4 }}"),
        Case(template: "{{ printf \"%*d|%.*f|%٣d\" 7 1 2 1.5 5 }}"),
        Case(template: "{{ printf \"%20z|%-8z|%08.2z|%5z\" 3 -4 2.5 \"ab\" }}"),
        Case(template: "{{ print 1 2 \"a\" \"b\" 3.5 true }}|{{ println 1 \"a\" }}|{{ print $labels.missing }}"),
        Case(template: "{{ len $labels }} {{ len $labels.job }} {{ index $labels \"job\" }}[{{ index $labels \"nope\" }}]"),
        Case(template: "{{ len $value }}"),
        Case(template: "{{ slice \"abcdef\" 1 3 }}|{{ index \"abc\" 1 }}"),
        Case(template: "{{ eq 1 1 }} {{ eq 1 2 3 1 }} {{ ne \"a\" \"b\" }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }}"),
        Case(template: "{{ eq $value 1 }}"),
        Case(template: "{{ lt true false }}"),
        Case(template: "{{ eq $labels.missing \"x\" }}"),
        Case(template: "{{ html \"<a href='x'>&\\\"</a>\" }}|{{ js \"it's <b> & \\\"q\\\" = \\\\ \\n\" }}|{{ urlquery \"a b&c=d/é\" }}"),
        Case(template: "{{ html 1 \"<\" 2 }}"),
        Case(template: "{{ 0x1F }} {{ 1_000 }} {{ 017 }} {{ 1e3 }} {{ 1.50 }} {{ -2 }} {{ +3.5 }} {{ 'a' }} {{ `raw\\n` }} {{ \"\\x41\\u00e9\\t|\" }}"),
        Case(template: "{{ true }} {{ false }} {{ nil }}"),
        Case(template: "{{ (printf \"%s\" \"x\") }} {{ (len \"abc\") | printf \"%03d\" }}"),
        Case(template: "{{ .Labels | len }}"),
        // define / template / block.
        Case(template: "{{ define \"sub\" }}[{{ .job }}]{{ end }}{{ template \"sub\" $labels }}{{ template \"sub\" .Labels }}"),
        Case(template: "{{ block \"b\" $labels.env }}<{{ . }}>{{ end }}"),
        Case(template: "{{ template \"missing\" }}"),
        // Parse errors.
        Case(template: "{{ if }}"),
        Case(template: "{{ end }}"),
        Case(template: "{{ if true }}unclosed"),
        Case(template: "{{ nosuchfunc 1 }}"),
        Case(template: "{{ \"unterminated }}"),
        Case(template: "{{ '\\"), Case(template: "{{ '\\\n' }}"), Case(template: "{{ 'a\n' }}"), Case(template: "{{ '\\'' }}"),
        Case(template: "{{ break }}"),
        Case(template: "{{ 1 | 2 }}"),
        Case(template: "{{ $labels.job 1 }}"),
        Case(template: "{{ .Labels.job \"arg\" }}"),
        Case(template: "{{ index }}"),
        Case(template: "unicode: ✓ {{ $labels.instance }} — ok", labels: ["instance": "ünïcode-host"]),
    ]

    static func goValue(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        return "\(v)"
    }

    static func render(_ c: Case) -> Result<String, TemplateError> {
        let defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
        let data = TemplateValue.record("struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }", [
            "Labels": .stringMap(c.labels.map { ($0.key, $0.value) }),
            "ExternalLabels": .stringMap(externalLabels.map { ($0.key, $0.value) }),
            "ExternalURL": .string(externalURL),
            "Value": .float(c.value),
        ])
        do {
            let t = try Template(defs + c.template, name: "__alert_Test")
            return .success(try t.execute(data: data))
        } catch {
            return .failure(error)
        }
    }

    @Test(.enabled(if: go != nil, "go is not installed (apt-get install golang-go); skipping the Go template comparison"))
    func rendersLikeGo() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-template-goref-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let input: [[String: Any]] = Self.cases.map {
            ["Template": $0.template, "Labels": $0.labels, "ExternalLabels": Self.externalLabels,
             "ExternalURL": Self.externalURL, "Value": Self.goValue($0.value)]
        }
        let inputPath = work.appendingPathComponent("cases.json")
        try JSONSerialization.data(withJSONObject: input).write(to: inputPath)
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("goref/main.go")
        let (status, output) = try await GoToolchain.run(["run", source.path, inputPath.path], work: work)
        try #require(status == 0, "go run failed")
        let results = try #require(try JSONSerialization.jsonObject(with: output) as? [[String: String]])
        try #require(results.count == Self.cases.count)
        var compared = 0, errors = 0
        for (c, go) in zip(Self.cases, results) {
            let goError = go["Error"] ?? ""
            switch Self.render(c) {
            case .success(let text):
                #expect(goError.isEmpty, "Go failed but Hearth rendered \(text.debugDescription) for \(c.template.debugDescription): \(goError)")
                if goError.isEmpty {
                    #expect(text == go["Output"], "\(c.template.debugDescription): Hearth \(text.debugDescription), Go \((go["Output"] ?? "").debugDescription)")
                }
            case .failure(let error):
                errors += 1
                #expect(!goError.isEmpty, "Hearth failed but Go rendered \((go["Output"] ?? "").debugDescription) for \(c.template.debugDescription): \(error)")
            }
            compared += 1
        }
        print("templates vs Go text/template: \(compared) cases compared, \(errors) of them errors in both")
    }
}
