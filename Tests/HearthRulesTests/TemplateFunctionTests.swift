import HearthModel
import HearthRules
import HearthTemplate
import Testing

/// Prometheus's template functions; expected strings are Prometheus's outputs for the same calls.
@Suite struct TemplateFunctionTests {
    func render(_ text: String, value: Double = 0) throws -> String {
        let functions = PrometheusTemplateFunctions.make(
            query: { q throws(RuleError) in
                guard q == "up" else { throw RuleError("unexpected query \(q)") }
                return [(Labels(["__name__": "up", "instance": "b:9100", "job": "node"]), 1),
                        (Labels(["__name__": "up", "instance": "a:9100", "job": "node"]), 0)]
            },
            externalURL: "https://hearth.example.com/prom", now: 1_435_065_584_128)
        let t = try Template(text, name: "t", functions: PrometheusTemplateFunctions.names)
        return try t.execute(data: .float(value), functions: functions)
    }

    @Test(arguments: [
        ("{{ humanize 1234567.0 }}", "1.235M"), ("{{ humanize 0.0012 }}", "1.2m"), ("{{ humanize 0 }}", "0"),
        ("{{ humanize 1e30 }}", "1e+06Y"), ("{{ humanize \"2048\" }}", "2.048k"), ("{{ humanize -1500 }}", "-1.5k"),
        ("{{ humanize1024 1048576.0 }}", "1Mi"), ("{{ humanize1024 512 }}", "512"), ("{{ humanize1024 0.5 }}", "0.5"),
        ("{{ humanizeDuration 0 }}", "0s"), ("{{ humanizeDuration 3600.5 }}", "1h 0m 0s"), ("{{ humanizeDuration 90061 }}", "1d 1h 1m 1s"),
        ("{{ humanizeDuration 1.5 }}", "1.5s"), ("{{ humanizeDuration 0.001234 }}", "1.234ms"), ("{{ humanizeDuration -125 }}", "-2m 5s"),
        ("{{ humanizePercentage 0.1234 }}", "12.34%"), ("{{ humanizePercentage 1 }}", "100%"),
        ("{{ humanizeTimestamp 1435065584.128 }}", "2015-06-23 13:19:44.128 +0000 UTC"),
        ("{{ toDuration 3723.5 }}", "1h2m3.5s"), ("{{ toTime 0 }}", "1970-01-01 00:00:00 +0000 UTC"),
        ("{{ parseDuration \"1h30m\" }}", "5400"), ("{{ now }}", "1.435065584128e+09"),
        ("{{ title \"hello world-wide web\" }}", "Hello World-Wide Web"), ("{{ toUpper \"abc\" }}{{ toLower \"DEF\" }}", "ABCdef"),
        ("{{ reReplaceAll \"(a+)(b)\" \"${2}$1\" \"xaabyab\" }}", "xbaayba"), ("{{ reReplaceAll \"x*\" \"-\" \"abc\" }}", "-a-b-c-"),
        ("{{ match \"^a.c$\" \"abc\" }} {{ match \"z\" \"abc\" }}", "true false"),
        ("{{ stripPort \"host.example:9100\" }} {{ stripPort \"[::1]:80\" }} {{ stripPort \"nohost\" }}", "host.example ::1 nohost"),
        ("{{ stripDomain \"db-1.prod.example:9100\" }} {{ stripDomain \"10.0.0.1:80\" }}", "db-1:9100 10.0.0.1:80"),
        ("{{ externalURL }} {{ pathPrefix }}", "https://hearth.example.com/prom /prom"),
        ("{{ graphLink \"rate(x[5m])\" }}", "/graph?g0.expr=rate%28x%5B5m%5D%29&g0.tab=0"),
        ("{{ urlQueryEscape \"a b/c\" }}", "a+b%2Fc"), ("{{ safeHtml \"<b>\" }}", "<b>"),
        ("{{ with query \"up\" }}{{ . | first | label \"instance\" }}={{ . | first | value }}{{ end }}", "b:9100=1"),
        ("{{ range query \"up\" | sortByLabel \"instance\" }}{{ .Labels.instance }} {{ end }}", "a:9100 b:9100 "),
        ("{{ (args 1 \"x\").arg1 }}", "x"),
    ])
    func matchesPrometheus(_ template: String, _ expected: String) throws {
        #expect(try render(template) == expected)
    }

    @Test func errorsAreReported() throws {
        #expect(throws: TemplateError.self) { try render("{{ query \"nope\" }}") }
        #expect(throws: TemplateError.self) { try render("{{ with query \"up\" }}{{ range . }}{{ end }}{{ end }}{{ first (args) }}") }
        #expect(throws: TemplateError.self) { try render("{{ humanize \"abc\" }}") }
        #expect(throws: TemplateError.self) { try render("{{ reReplaceAll \"(\" \"\" \"x\" }}") }
    }
}
