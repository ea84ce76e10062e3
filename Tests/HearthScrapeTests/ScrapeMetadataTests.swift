@testable import HearthScrape
import Foundation
import HearthExposition
import HearthModel
import Testing

/// `# TYPE`, `# HELP` and `# UNIT` of the last successful scrape, for `/api/v1/metadata`.
@Suite struct ScrapeMetadataTests {
    @Test func metadataFollowsTheLastSuccessfulScrape() throws {
        var p = try ScrapeProcessorTests().processor()
        let storage = RecordingStorage()
        let body = """
            # HELP a_total Requests, with a \\\\ backslash and a \\n newline.
            # TYPE a_total counter
            a_total 1
            # TYPE b untyped
            b 2
            # HELP c Only help.
            c 3

            """
        _ = try ScrapeProcessorTests().scrape(&p, storage, body, at: 1000)
        #expect(p.metricMetadata == [
            "a_total": MetricMetadata(type: "counter", help: "Requests, with a \\ backslash and a \n newline."),
            "b": MetricMetadata(type: "unknown"),
            "c": MetricMetadata(type: "unknown", help: "Only help."),
        ])
        // A changed line is seen; a failed scrape leaves the last good one's metadata.
        _ = try ScrapeProcessorTests().scrape(&p, storage, body.replacingOccurrences(of: "# TYPE b untyped", with: "# TYPE b gauge"), at: 2000)
        #expect(p.metricMetadata["b"] == MetricMetadata(type: "gauge"))
        #expect(throws: ScrapeError.self) { _ = try ScrapeProcessorTests().scrape(&p, storage, "# TYPE d counter\nd{ 1\n", at: 3000) }
        #expect(p.metricMetadata["b"] == MetricMetadata(type: "gauge") && p.metricMetadata["d"] == nil)
        // A family whose lines are gone is gone.
        _ = try ScrapeProcessorTests().scrape(&p, storage, "a_total 2\n", at: 4000)
        #expect(p.metricMetadata.isEmpty)
    }

    @Test func openMetricsUnits() throws {
        var p = try ScrapeProcessorTests().processor()
        let app = RecordingStorage().appender()
        let body = "# TYPE req_seconds gauge\n# UNIT req_seconds seconds\n# HELP req_seconds A \\\"quoted\\\" help.\nreq_seconds 1\n# EOF\n"
        _ = try p.process(Array(body.utf8), format: .openMetrics, timestamp: 1000, appender: app)
        #expect(p.metricMetadata == ["req_seconds": MetricMetadata(type: "gauge", help: "A \"quoted\" help.", unit: "seconds")])
    }
}
