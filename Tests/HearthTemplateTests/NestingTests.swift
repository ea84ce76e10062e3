import HearthTemplate
import Testing

/// Control structures and parenthesized pipelines nest at most 256 deep: deeper is a parse
/// error, not a stack overflow (1,000 nested `{{if}}` crashed a debug build before).
@Suite struct TemplateNestingTests {
    @Test func nestingUpToTheLimitParsesAndRuns() throws {
        let ifs = try Template(String(repeating: "{{if 1}}", count: 256) + "x" + String(repeating: "{{end}}", count: 256), name: "t")
        #expect(try ifs.execute(data: .float(1)) == "x")
        let parens = try Template("{{" + String(repeating: "(", count: 255) + "1" + String(repeating: ")", count: 255) + "}}", name: "t")
        #expect(try parens.execute(data: .float(1)) == "1")
    }

    @Test(arguments: [257, 100_000])
    func deeperNestingIsAnError(_ depth: Int) {
        for (open, close) in [("{{if 1}}", "{{end}}"), ("{{range .}}", "{{end}}"), ("{{with 1}}", "{{end}}")] {
            #expect(throws: TemplateError.self) {
                _ = try Template(String(repeating: open, count: depth) + String(repeating: close, count: depth), name: "t")
            }
        }
        #expect(throws: TemplateError.self) {
            _ = try Template("{{" + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth) + "}}", name: "t")
        }
        let elseIfs = "{{if 0}}" + String(repeating: "{{else if 0}}", count: depth) + "{{end}}"
        #expect(throws: TemplateError.self) { _ = try Template(elseIfs, name: "t") }
    }
}
