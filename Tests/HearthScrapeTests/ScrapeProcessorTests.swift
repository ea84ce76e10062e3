@testable import HearthScrape
import Foundation
import HearthConfig
import HearthExposition
import HearthModel
import HearthStorage
import Synchronization
import Testing

/// An in-memory storage that records committed samples, for the scrape path's tests.
final class RecordingStorage: Appendable, Sendable {
    let committed = Mutex<[(Labels, Int64, Double)]>([])
    let lookups = Atomic<Int>(0)
    /// Series by ref, as a storage keeps them (the scrape path passes only the ref for a series
    /// it has seen).
    let series = Mutex<[UInt64: Labels]>([:])

    final class Recorder: Appender {
        let storage: RecordingStorage
        var pending: [(Labels, Int64, Double)] = []
        init(_ s: RecordingStorage) { storage = s }
        func append(_ ref: UInt64, _ labels: Labels, _ t: Int64, _ v: Double) throws(AppendError) -> UInt64 {
            if labels.isEmpty {
                guard let known = storage.series.withLock({ $0[ref] }) else { throw .unknownSeries(ref: ref) }
                pending.append((known, t, v))
                return ref
            }
            if ref == 0 { storage.lookups.add(1, ordering: .relaxed) }
            pending.append((labels, t, v))
            let ref = labels.stableHash | 1
            storage.series.withLock { $0[ref] = labels }
            return ref
        }
        func commit() { storage.committed.withLock { $0 += pending } }
        func rollback() { pending = [] }
    }

    func appender() -> Recorder { Recorder(self) }

    func samples(at t: Int64) -> [String: Double] {
        committed.withLock { all in
            var out: [String: Double] = [:]
            for (l, ts, v) in all where ts == t { out[l.description] = v }
            return out
        }
    }
}

@Suite struct ScrapeProcessorTests {
    func processor(_ extra: String = "") throws -> ScrapeProcessor {
        let config = try Config(yaml: """
            scrape_configs:
              - job_name: node
            \(extra)
            """)
        let job = config.scrapeConfigs[0]
        guard case .target(let target) = ScrapeTarget.populate(address: "h:9100", group: TargetGroup(targets: ["h:9100"], labels: Labels(), source: "static"), config: job) else {
            throw ScrapeError.http("no target")
        }
        return ScrapeProcessor(target: target, config: job)
    }

    func scrape(_ p: inout ScrapeProcessor, _ storage: RecordingStorage, _ text: String, at t: Int64) throws(ScrapeError) -> ScrapeProcessor.Result {
        let app = storage.appender()
        let r = try p.process(Array(text.utf8), format: .prometheusText, timestamp: t, appender: app)
        try? app.commit()
        return r
    }

    /// Label values keep their bytes: two values that Swift's `==` calls equal (precomposed and
    /// decomposed é) are two series.
    @Test func sharedLabelStringsKeepEveryValuesBytes() throws {
        var p = try processor()
        let storage = RecordingStorage()
        let composed = "caf\u{E9}-latte-with-extra-milk", decomposed = "cafe\u{301}-latte-with-extra-milk"
        let text = """
            a_long_metric_name_total{v="\(composed)"} 1
            a_long_metric_name_total{v="\(decomposed)"} 2
            a_long_metric_name_total{v="plain"} 3

            """
        _ = try scrape(&p, storage, text, at: 1_000)
        let got = storage.committed.withLock { $0 }.filter { $0.0.metricName == "a_long_metric_name_total" }
        #expect(got.count == 3)
        #expect(Array(got[0].0["v"]!.utf8) == Array(composed.utf8))
        #expect(Array(got[1].0["v"]!.utf8) == Array(decomposed.utf8))
        #expect(got[0].0 != got[1].0)
    }

    @Test func steadyStateScrapesReuseCachedRefsAndStaleMarkGoneSeries() throws {
        var p = try processor()
        let storage = RecordingStorage()
        let body = "# TYPE a counter\na_total{x=\"1\"} 1\na_total{x=\"2\"} 2\nb 3\n"
        let first = try scrape(&p, storage, body, at: 1000)
        #expect(first == ScrapeProcessor.Result(scraped: 3, postRelabeling: 3, seriesAdded: 3))
        #expect(storage.lookups.load(ordering: .relaxed) == 3)
        let second = try scrape(&p, storage, body.replacingOccurrences(of: "b 3\n", with: ""), at: 2000)
        #expect(second.seriesAdded == 0 && second.scraped == 2)
        #expect(storage.lookups.load(ordering: .relaxed) == 3, "no new lookups for cached series")
        let atTwo = storage.samples(at: 2000)
        #expect(atTwo[#"a_total{instance="h:9100", job="node", x="1"}"#] == 1)
        let stale = try #require(atTwo[#"b{instance="h:9100", job="node"}"#])
        #expect(StaleMarker.isStale(stale))
        // A failed scrape marks the last successful scrape's series stale.
        let app = storage.appender()
        p.markFailedScrape(at: 3000, appender: app)
        try app.commit()
        #expect(storage.samples(at: 3000).values.allSatisfy(StaleMarker.isStale) && storage.samples(at: 3000).count == 2)
    }

    /// The cache keeps refs, not labels: when the storage has forgotten a ref, the series' labels
    /// are derived from the line again and the sample is stored under them.
    @Test func aRefTheStorageForgotIsAppendedByItsLabels() throws {
        var p = try processor()
        let storage = RecordingStorage()
        let body = "a_total{x=\"1\"} 1\nb 3\n"
        _ = try scrape(&p, storage, body, at: 1000)
        #expect(storage.lookups.load(ordering: .relaxed) == 2)
        storage.series.withLock { $0.removeAll() }
        _ = try scrape(&p, storage, body, at: 2000)
        #expect(storage.lookups.load(ordering: .relaxed) == 4)
        let atTwo = storage.samples(at: 2000)
        #expect(atTwo[#"a_total{instance="h:9100", job="node", x="1"}"#] == 1)
        #expect(atTwo[#"b{instance="h:9100", job="node"}"#] == 3)
        // Known again: the next scrape appends by ref.
        _ = try scrape(&p, storage, body, at: 3000)
        #expect(storage.lookups.load(ordering: .relaxed) == 4)
        #expect(storage.samples(at: 3000).count == 2)
    }

    @Test func targetLabelsWinAndScrapedOnesAreExported() throws {
        var p = try processor()
        let storage = RecordingStorage()
        _ = try scrape(&p, storage, "m{job=\"theirs\",instance=\"i\",exported_job=\"x\"} 1\n", at: 1)
        let keys = Set(storage.samples(at: 1).keys)
        #expect(keys.contains(#"m{exported_exported_job="theirs", exported_instance="i", exported_job="x", instance="h:9100", job="node"}"#), "\(keys)")

        var honoring = try processor("    honor_labels: true")
        let s2 = RecordingStorage()
        _ = try scrape(&honoring, s2, "m{job=\"theirs\"} 1\n", at: 1)
        #expect(s2.samples(at: 1).keys.contains(#"m{instance="h:9100", job="theirs"}"#))
    }

    @Test func sampleLimitFailsTheWholeScrape() throws {
        var p = try processor("    sample_limit: 2")
        let storage = RecordingStorage()
        #expect(throws: ScrapeError.sampleLimit(2)) { try scrape(&p, storage, "a 1\nb 2\nc 3\n", at: 1) }
        #expect(storage.samples(at: 1).isEmpty)
    }

    /// A scrape that fails part way (here over `sample_limit`, after finding some series and
    /// adding one) marks every series of the last good scrape stale exactly once, as a scrape
    /// that failed at once does; the next good scrape marks only what it lacks of its own.
    @Test func aScrapeFailingPartWayMarksTheLastGoodScrapeStaleOnce() throws {
        var p = try processor("    sample_limit: 3")
        let storage = RecordingStorage()
        _ = try scrape(&p, storage, "a 1\nb 2\nc 3\n", at: 1)
        let app = storage.appender()
        #expect(throws: ScrapeError.sampleLimit(3)) {
            try p.process(Array("a 1\nnew 1\nb 2\nc 3\n".utf8), format: .prometheusText, timestamp: 2, appender: app)
        }
        app.rollback()
        let failed = storage.appender()
        p.markFailedScrape(at: 2, appender: failed)
        try failed.commit()
        let atTwo = storage.samples(at: 2)
        #expect(Set(atTwo.keys) == [#"a{instance="h:9100", job="node"}"#, #"b{instance="h:9100", job="node"}"#, #"c{instance="h:9100", job="node"}"#])
        #expect(atTwo.values.allSatisfy { $0.bitPattern == StaleMarker.value.bitPattern })
        _ = try scrape(&p, storage, "a 5\n", at: 3)
        #expect(storage.samples(at: 3) == [#"a{instance="h:9100", job="node"}"#: 5], "b and c were marked stale already")
        _ = try scrape(&p, storage, "b 6\n", at: 4)
        let atFour = storage.samples(at: 4)
        #expect(atFour[#"b{instance="h:9100", job="node"}"#] == 6)
        #expect(atFour[#"a{instance="h:9100", job="node"}"#]?.bitPattern == StaleMarker.value.bitPattern)
        #expect(atFour.count == 2)
    }

    @Test func metricRelabelingDropsAndRenamesOncePerSeries() throws {
        var p = try processor("""
                metric_relabel_configs:
                  - source_labels: [__name__]
                    regex: go_.*
                    action: drop
                  - source_labels: [__name__]
                    regex: (.*)_total
                    target_label: __name__
                    replacement: ${1}_count
            """)
        let storage = RecordingStorage()
        let r = try scrape(&p, storage, "go_goroutines 10\nhttp_total 5\n", at: 1)
        #expect(r.scraped == 2 && r.postRelabeling == 1)
        #expect(Set(storage.samples(at: 1).keys) == [#"http_count{instance="h:9100", job="node"}"#])
    }

    @Test func labelLimitsFailTheScrape() throws {
        var p = try processor("    label_limit: 3\n    label_value_length_limit: 5")
        let storage = RecordingStorage()
        #expect(throws: ScrapeError.self) { try scrape(&p, storage, "m{a=\"1\",b=\"2\"} 1\n", at: 1) }
        var q = try processor("    label_value_length_limit: 5")
        #expect(throws: ScrapeError.self) { try scrape(&q, storage, "m{a=\"123456\"} 1\n", at: 1) }
    }

    @Test func hostileBodiesFailWithAClearErrorAndNothingStored() throws {
        let cases: [(String, String)] = [
            (String(repeating: "x", count: 1 << 20) + " 1\n", ""),
            ("9bad 1\n", "invalid metric name"),
            ("m 1.2.3\n", "invalid value"),
            ("m{a=\"1\",a=\"2\"} 1\n", "duplicate label"),
            ("m{a=\"1\" 1\n", "expected"),
            ("m 1 notatimestamp\n", "invalid timestamp"),
            ("m{a=\"\u{FFFD}\"} 1\n", ""),
            ("m{a=\"x\"} 1 99999999999999999999\n", "timestamp"),
        ]
        for (body, fragment) in cases {
            var p = try processor()
            let storage = RecordingStorage()
            do {
                _ = try scrape(&p, storage, body, at: 1)
                if !fragment.isEmpty { Issue.record("accepted \(body.prefix(40))") }
            } catch {
                #expect("\(error)".contains(fragment), "\(error)")
                #expect(storage.samples(at: 1).isEmpty)
            }
        }
        // OpenMetrics without # EOF is an error; honoring timestamps from the body.
        var p = try processor()
        let storage = RecordingStorage()
        let app = storage.appender()
        #expect(throws: ScrapeError.self) { try p.process(Array("a 1\n".utf8), format: .openMetrics, timestamp: 1, appender: app) }
        _ = try p.process(Array("a 1 12.5\n# EOF\n".utf8), format: .openMetrics, timestamp: 1, appender: app)
        try app.commit()
        #expect(storage.samples(at: 12_500).count == 1)
    }
}
