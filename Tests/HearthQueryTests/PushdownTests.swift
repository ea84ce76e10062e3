import HearthModel
import HearthPromQLParser
@testable import HearthQuery
import Testing

/// When a query may be handed to one endpoint, and what it is sent as.
@Suite struct PushdownTests {
    static let a0 = (address: "a0:9090", externalLabels: Optional(Labels(["cluster": "a", "replica": "0"])))
    static let a1 = (address: "a1:9090", externalLabels: Optional(Labels(["cluster": "a", "replica": "1"])))
    static let b = (address: "b:9090", externalLabels: Optional(Labels(["cluster": "b"])))

    func plan(_ query: String, _ endpoints: [(address: String, externalLabels: Labels?)], hidden: Set<String> = ["replica"]) throws -> Pushdown.Plan? {
        Pushdown.plan(try Parser.parse(query), endpoints: endpoints, hidden: hidden)
    }

    @Test func oneEndpointHoldingEverySelectorAnswers() throws {
        // The external labels do not reach an aggregation by other labels: sent as it is.
        #expect(try plan("sum by (job) (rate(x[5m]))", [Self.b]) == Pushdown.Plan(endpoint: "b:9090", query: "sum by (job) (rate(x[5m]))"))
        // They reach every series of a rate: added at the top, where the series' own label wins.
        #expect(try plan("rate(x[5m])", [Self.b])?.query == #"label_replace(rate(x[5m]), "cluster", "b", "cluster", "")"#)
        // Matchers on them are answered here and left out; the other cluster's endpoint cannot match.
        #expect(try plan(#"max(x{cluster="b", job="j"}) by (job)"#, [Self.a0, Self.b])?.query == #"max by (job) (x{job="j"})"#)
        // Deduplication hides replica labels, so they are not added; without it they are.
        #expect(try plan(#"x{cluster="a"}"#, [Self.a0, Self.b]).map(\.query) == #"label_replace(x, "cluster", "a", "cluster", "")"#)
        #expect(try plan(#"x{cluster="a"}"#, [Self.a0, Self.b], hidden: [])?.query
                == #"label_replace(label_replace(x, "cluster", "a", "cluster", ""), "replica", "0", "replica", "")"#)
        // `$` in a value is put in as written.
        #expect(try plan("x", [(address: "d:1", externalLabels: Labels(["dc": "$1"]))])?.query == #"label_replace(x, "dc", "$$1", "dc", "")"#)
    }

    @Test func declinedWhereTheAnswerCouldDiffer() throws {
        // Two endpoints may hold the series (an HA pair, or two clusters): the fan-out merges them.
        #expect(try plan("sum(x)", [Self.a0, Self.a1]) == nil)
        #expect(try plan("sum(x)", [Self.a0, Self.b]) == nil)
        // Selectors answered by different endpoints.
        #expect(try plan(#"x{cluster="a"} + y{cluster="b"}"#, [Self.a0, Self.b]) == nil)
        // An endpoint whose labels are not known yet may hold anything.
        #expect(try plan("sum(x)", [Self.b, (address: "new:1", externalLabels: nil)]) == nil)
        // Grouping, matching or label functions naming an external label.
        #expect(try plan("sum by (cluster) (x)", [Self.b]) == nil)
        #expect(try plan("x * on (cluster) y", [Self.b]) == nil)
        #expect(try plan(#"label_replace(x, "c", "$1", "cluster", "(.*)")"#, [Self.b]) == nil)
        // Labels made from matchers; a selector left with no matcher of its own; a range vector.
        #expect(try plan("absent(x)", [Self.b]) == nil)
        #expect(try plan(#"{cluster="b"}"#, [Self.b]) == nil)
        #expect(try plan("x[5m]", [Self.b]) == nil)
        // Sides that disagree on carrying the labels, matched on every label.
        #expect(try plan("x + sum(y)", [Self.b]) == nil)
        #expect(try plan("x or vector(1)", [Self.b]) == nil)
        // No selector: nothing to read, nothing to gain.
        #expect(try plan("vector(1)", [Self.b]) == nil)
    }

    @Test func matchingOnOtherLabelsIsFine() throws {
        #expect(try plan("x + on (job) group_left sum by (job) (y)", [Self.b])?.query
                == #"label_replace(x + on (job) group_left () sum by (job) (y), "cluster", "b", "cluster", "")"#)
        #expect(try plan("x * on (job) y", [Self.b])?.query == "x * on (job) y")
        #expect(try plan("x > 2", [Self.b])?.query == #"label_replace(x > 2, "cluster", "b", "cluster", "")"#)
    }
}
