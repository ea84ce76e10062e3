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
        // They reach every series of a rate: added to each series of the answer.
        #expect(try plan("rate(x[5m])", [Self.b]) == Pushdown.Plan(endpoint: "b:9090", query: "rate(x[5m])", labels: Labels(["cluster": "b"])))
        #expect(try plan("x[5m]", [Self.b])?.labels == Labels(["cluster": "b"]))
        // Matchers on them are answered here and left out; the other cluster's endpoint cannot match.
        #expect(try plan(#"max(x{cluster="b", job="j"}) by (job)"#, [Self.a0, Self.b])?.query == #"max by (job) (x{job="j"})"#)
        // Deduplication hides replica labels, so they are not added; without it they are.
        #expect(try plan(#"x{cluster="a"}"#, [Self.a0, Self.b]) == Pushdown.Plan(endpoint: "a0:9090", query: "x", labels: Labels(["cluster": "a"])))
        #expect(try plan(#"x{cluster="a"}"#, [Self.a0, Self.b], hidden: [])?.labels == Labels(["cluster": "a", "replica": "0"]))
    }

    @Test func labelsAreAddedToEverySeriesOfTheAnswer() throws {
        let body = #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"n\"x"},"values":[[1,"1"]]},"#
            + #"{"metric":{},"values":[[1,"2"]]},{"metric":{"metric":"metric","zz":"1"},"values":[[1,"3"]]}]},"warnings":["\"metric\":{"]}"#
        let out = try #require(Pushdown.addingLabels(Labels(["cluster": "b", "a": "é\"$"]), to: Array(body.utf8)))
        #expect(String(decoding: out, as: UTF8.self)
                == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","a":"é\"$","cluster":"b","job":"n\"x"},"values":[[1,"1"]]},"#
                + #"{"metric":{"a":"é\"$","cluster":"b"},"values":[[1,"2"]]},{"metric":{"a":"é\"$","cluster":"b","metric":"metric","zz":"1"},"values":[[1,"3"]]}]},"warnings":["\"metric\":{"]}"#)
        // A series with its own label of that name would have merged with its twin in the fan-out.
        #expect(Pushdown.addingLabels(Labels(["job": "j"]), to: Array(body.utf8)) == nil)
        // A scalar has no labels; a truncated answer is refused.
        let scalar = Array(#"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#.utf8)
        #expect(Pushdown.addingLabels(Labels(["cluster": "b"]), to: scalar) == scalar)
        #expect(Pushdown.addingLabels(Labels(["cluster": "b"]), to: Array(body.utf8.prefix(70))) == nil)
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
        // Labels made from matchers; a selector left with no matcher of its own.
        #expect(try plan("absent(x)", [Self.b]) == nil)
        #expect(try plan(#"{cluster="b"}"#, [Self.b]) == nil)
        // Sides that disagree on carrying the labels, matched on every label.
        #expect(try plan("x + sum(y)", [Self.b]) == nil)
        #expect(try plan("x or vector(1)", [Self.b]) == nil)
        // No selector: nothing to read, nothing to gain.
        #expect(try plan("vector(1)", [Self.b]) == nil)
    }

    @Test func matchingOnOtherLabelsIsFine() throws {
        #expect(try plan("x + on (job) group_left sum by (job) (y)", [Self.b])?.labels == Labels(["cluster": "b"]))
        #expect(try plan("x * on (job) y", [Self.b]) == Pushdown.Plan(endpoint: "b:9090", query: "x * on (job) y"))
        #expect(try plan("x > 2", [Self.b])?.labels == Labels(["cluster": "b"]))
    }
}
