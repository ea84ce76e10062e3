import HearthExposition
import HearthModel
import Testing

@Suite struct OpenMetricsParserTests {
    func parse(_ text: String) throws(ExpositionError) -> [ExpositionEntry] {
        try OpenMetricsParser.parse(Array(text.utf8))
    }

    @Test func familiesSamplesTimestampsAndExemplars() throws {
        let entries = try parse("""
            # TYPE http_requests counter
            # HELP http_requests Requests served.
            # UNIT http_requests_seconds seconds
            http_requests_total{code="200",path="/a \\"q\\" \\\\ \\n"} 1027 1700000000.5
            http_requests_total{code="500"} +Inf
            http_requests_created{code="200"} 1.7e9 1700000000
            temp NaN 1700000001 # {trace_id="abc"} 1.0 1700000001
            # EOF

            """)
        #expect(entries.count == 7)
        #expect(entries[0] == .type(metric: "http_requests", type: "counter"))
        #expect(entries[1] == .help(metric: "http_requests", text: "Requests served."))
        guard case .sample(let labels, let value, let ts) = entries[3] else { Issue.record("not a sample"); return }
        #expect(labels == Labels(["__name__": "http_requests_total", "code": "200", "path": "/a \"q\" \\ \n"]))
        #expect(value == 1027 && ts == 1_700_000_000_500)
        guard case .sample(_, let inf, let none) = entries[4] else { return }
        #expect(inf == .infinity && none == nil)
        guard case .sample(_, let nan, let t2) = entries[6] else { return }
        #expect(nan.isNaN && t2 == 1_700_000_001_000)
    }

    @Test func malformedInputIsRejectedWithItsLine() throws {
        let cases: [(String, Int, String)] = [
            ("up 1\n", 2, "missing # EOF"),
            ("up 1\n# EOF\nmore\n", 3, "after # EOF"),
            ("up{a=\"1\"\n# EOF\n", 1, "expected '}'"),
            ("up{1a=\"x\"} 1\n# EOF\n", 1, "invalid label name"),
            ("9up 1\n# EOF\n", 1, "invalid metric name"),
            ("up abc\n# EOF\n", 1, "invalid value"),
            ("up 1 notatime\n# EOF\n", 1, "invalid timestamp"),
            ("up{a=\"1\",a=\"2\"} 1\n# EOF\n", 1, "duplicate"),
            ("# TYPE up bogus\n# EOF\n", 1, "invalid metric type"),
            ("up 1\n\n# EOF\n", 2, "empty line"),
            ("up{a=\"1\",} 1\n# EOF\n", 1, "unexpected ','"),
        ]
        for (text, line, fragment) in cases {
            do throws(ExpositionError) {
                _ = try parse(text)
                Issue.record("accepted: \(text.debugDescription)")
            } catch {
                #expect(error.line == line, "\(text.debugDescription): \(error)")
                #expect(error.description.lowercased().contains(fragment.lowercased()), "\(text.debugDescription): \(error)")
            }
        }
    }

    @Test func eofWithoutTrailingNewlineIsAccepted() throws {
        #expect(try parse("up 1 10\n# EOF").count == 1)
    }
}
