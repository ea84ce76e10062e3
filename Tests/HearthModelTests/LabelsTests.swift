import HearthModel
import Testing

@Suite struct LabelsTests {
    @Test func validationSortsAndRejectsDuplicates() throws {
        let l = try Labels(validating: [Label("job", "a"), Label("__name__", "up"), Label("empty", "")])
        #expect(l.map(\.name) == ["__name__", "job"])
        #expect(throws: LabelsError.duplicateName("job")) { try Labels(validating: [Label("job", "a"), Label("job", "b")]) }
        #expect(throws: LabelsError.emptyName) { try Labels(validating: [Label("", "a")]) }
    }

    @Test func hashIsStableAndDistinguishesBoundaries() {
        let a = Labels(["a": "bc"])
        let b = Labels(["ab": "c"])
        #expect(a.stableHash != b.stableHash)
        #expect(a.stableHash == Labels(["a": "bc"]).stableHash)
    }

    @Test func orderingIsBytewise() {
        #expect(Labels(["__name__": "a"]) < Labels(["__name__": "b"]))
        #expect(Labels(["a": "1"]) < Labels(["a": "1", "b": "2"]))
        #expect(Labels(["Z": "1"]) < Labels(["a": "1"]))
    }

    @Test func description() {
        #expect(Labels(["__name__": "up", "job": "a\"b"]).description == "up{job=\"a\\\"b\"}")
    }

    @Test func staleMarkerIsDistinctFromOrdinaryNaN() {
        #expect(StaleMarker.isStale(StaleMarker.value))
        #expect(!StaleMarker.isStale(.nan))
        #expect(StaleMarker.value.isNaN)
    }

    @Test func matchersFollowPrometheusSemantics() throws {
        let re = try Matcher(.regexMatch, "job", "api|web")
        #expect(re.matches("api"))
        #expect(!re.matches("api-1"))  // anchored
        #expect(re.regex?.literalSet?.sorted() == ["api", "web"])
        #expect(try Matcher(.regexMatch, "job", "a.*").regex?.literalSet == nil)
        #expect(try Matcher(.notEqual, "job", "x").matchesEmpty)
        #expect(try !Matcher(.regexMatch, "job", ".+").matchesEmpty)
        #expect(try Matcher(.regexNoMatch, "job", "a").matches("b"))
    }
}

@Suite struct MatcherRegexTests {
    @Test func matchersUsePrometheusAnchoringAndDotMatchesNewline() throws {
        #expect(try Matcher(.regexMatch, "a", "foo.*").matches("foo\nbar"))
        #expect(try !Matcher(.regexMatch, "a", "foo").matches("xfoo"))
        #expect(try Matcher(.regexMatch, "a", "(?i)foo").matches("FOO"))
        #expect(try Matcher(.regexMatch, "a", "(a*)*b").matches(String(repeating: "a", count: 5000) + "b"))
        #expect(throws: (any Error).self) { try Matcher(.regexMatch, "a", "(?=x)") }
        #expect(try Matcher(.regexMatch, "a", "a|b|c").regex?.literalSet == ["a", "b", "c"])
    }
}
