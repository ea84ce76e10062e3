import HearthModel
import HearthServer
import HearthTSDB
import HearthTestSupport
import Logging
import Testing

@Suite struct SelfMetricsTests {
    @Test func exportsHeadStateInPrometheusTextFormat() throws {
        let tmp = TemporaryDirectory()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let db = try DB(options: DB.Options(path: tmp.path), logger: logger)
        let app = db.appender()
        try app.append(0, Labels(["__name__": "a"]), 1000, 1)
        try app.append(0, Labels(["__name__": "b"]), 2000, 1)
        try app.commit()
        let metrics = SelfMetrics()
        metrics.update(from: db)
        let text = metrics.exposition()
        #expect(text.contains("# TYPE prometheus_tsdb_head_series gauge"))
        #expect(text.contains("prometheus_tsdb_head_series 2"))
        #expect(text.contains("prometheus_tsdb_head_min_time 1000"))
        #expect(text.contains("prometheus_tsdb_head_max_time 2000"))
        #expect(text.contains("prometheus_tsdb_wal_storage_size_bytes"))
        try db.close()
    }

    @Test(arguments: [("15d", Int64(15 * 86_400_000)), ("2h30m", 9_000_000), ("500ms", 500), ("1w", 604_800_000)])
    func prometheusDurations(_ text: String, _ ms: Int64) {
        #expect(PrometheusDuration.parseMilliseconds(text) == ms)
    }

    @Test(arguments: ["", "15", "d", "1x", "-1d", "1.5h"])
    func invalidDurations(_ text: String) {
        #expect(PrometheusDuration.parseMilliseconds(text) == nil)
    }
}
