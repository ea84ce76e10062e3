import HearthRegex
import Testing

/// Groups nest at most 1000 deep, as in RE2 and Go; deeper is an error, not a stack overflow
/// (a query's matcher `{job=~"((((…"}` 100,000 deep crashed the server before).
@Suite struct NestingTests {
    @Test func nestingUpToTheLimitCompilesAndMatches() throws {
        let re = try RE2(String(repeating: "(", count: 1000) + "a" + String(repeating: ")", count: 1000))
        #expect(re.wholeMatch("a"))
        let flat = try RE2(String(repeating: "(?:a)", count: 100_000))
        #expect(flat.wholeMatch(String(repeating: "a", count: 100_000)))
    }

    @Test(arguments: [1001, 100_000])
    func deeperNestingIsAnError(_ depth: Int) {
        for open in ["(", "(?:", "(?P<n>", "(?i:"] {
            #expect(throws: RegexError.self) {
                _ = try RE2(String(repeating: open, count: depth) + "a" + String(repeating: ")", count: depth))
            }
        }
    }
}
