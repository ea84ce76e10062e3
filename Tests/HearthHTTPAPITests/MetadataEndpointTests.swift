import HearthHTTPAPI
import HearthModel
import NIOHTTP1
import Testing

/// `/api/v1/metadata`: Prometheus's shape, `metric`, `limit`, `limit_per_metric`, and a
/// fan-out's warnings.
@Suite struct MetadataEndpointTests {
    static let families: [String: [MetricMetadata]] = [
        "a_total": [MetricMetadata(type: "counter", help: "A."), MetricMetadata(type: "counter", help: "A, as another target says it.")],
        "b": [MetricMetadata(type: "gauge", unit: "seconds")],
        "c": [MetricMetadata()],
    ]

    func fixture(warnings: [String] = []) throws -> APITests.Fixture {
        try APITests.Fixture { context in
            context.metadata = { metric, limitPerMetric, _ in
                var set = MetadataSet(warnings: warnings)
                for (name, entries) in Self.families where metric == nil || metric == name {
                    for e in entries { set.add(name, e, limitPerMetric: limitPerMetric) }
                }
                return set
            }
        }
    }

    @Test func servesEveryFamilyInPrometheusShape() async throws {
        let f = try fixture()
        let (status, json) = try await f.json("/api/v1/metadata")
        #expect(status == .ok)
        let data = try #require(json["data"] as? [String: [[String: String]]])
        #expect(Set(data.keys) == ["a_total", "b", "c"])
        #expect(Set(data["a_total"] ?? []) == [["type": "counter", "help": "A.", "unit": ""],
                                               ["type": "counter", "help": "A, as another target says it.", "unit": ""]])
        #expect(data["b"] == [["type": "gauge", "help": "", "unit": "seconds"]])
        #expect(data["c"] == [["type": "unknown", "help": "", "unit": ""]])
    }

    @Test func metricAndLimits() async throws {
        let f = try fixture()
        var (_, json) = try await f.json("/api/v1/metadata?metric=b")
        #expect((json["data"] as? [String: Any])?.keys.sorted() == ["b"])
        (_, json) = try await f.json("/api/v1/metadata?metric=nope")
        #expect((json["data"] as? [String: Any])?.isEmpty == true)
        (_, json) = try await f.json("/api/v1/metadata?limit=2")
        #expect((json["data"] as? [String: Any])?.count == 2)
        (_, json) = try await f.json("/api/v1/metadata?limit_per_metric=1")
        #expect(((json["data"] as? [String: [Any]])?["a_total"])?.count == 1)
        let (status, bad) = try await f.json("/api/v1/metadata?limit=x")
        #expect(status == .badRequest)
        #expect(bad["errorType"] as? String == "bad_data" && bad["error"] as? String == "limit must be a number")
    }

    @Test func aFanOutsWarningsReachTheAnswer() async throws {
        let f = try fixture(warnings: ["127.0.0.1:1: connection refused"])
        let (_, json) = try await f.json("/api/v1/metadata")
        #expect(json["warnings"] as? [String] == ["127.0.0.1:1: connection refused"])
    }
}
