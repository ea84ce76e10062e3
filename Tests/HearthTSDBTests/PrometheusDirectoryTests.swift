import Foundation
import HearthBlock
import HearthFileIO
import HearthModel
import HearthStorage
import HearthTSDB
import HearthTestSupport
import Testing

/// Blocks made by Hearth's importer against promtool's own, and a data directory a real
/// Prometheus used, opened by Hearth. Needs Debian's `prometheus` package (prometheus and
/// promtool); skipped without it, installed by `.ci/run`.
@Suite(.serialized) struct PrometheusDirectoryTests {
    static let prometheus = "/usr/bin/prometheus"
    static let available = Promtool.available && peerInstalled(prometheus)

    /// An OpenMetrics file over 7 hours: counters, a gauge with special values, odd labels.
    static func openMetrics(start: Int = 1_700_000_000) -> String {
        var om = "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\n"
        for i in 0..<25 {
            for k in 0..<420 where (k + i) % 11 != 0 {
                om += "jobs_total{queue=\"q\(i)\",zone=\"z\(i % 3)\"} \(k * i) \(start + k * 60)\n"
            }
        }
        om += "# TYPE level gauge\n"
        for k in 0..<420 {
            let v = k % 40 == 3 ? "NaN" : k % 40 == 5 ? "-Inf" : "\(Double(k) / 8 - 20)"
            om += "level{name=\"quote\\\"back\\\\slash\"} \(v) \(start + k * 60).25\n"
        }
        return om + "# EOF\n"
    }

    @Test(.enabled(if: available, "Debian's prometheus/promtool are absent; skipping the import comparison"))
    func importMakesTheSameBlocksAsPromtool() throws {
        let dir = TemporaryDirectory()
        let file = dir.path + "/in.om"
        try Self.openMetrics().write(toFile: file, atomically: true, encoding: .utf8)
        let (status, output) = try runProgram(Promtool.path, ["tsdb", "create-blocks-from", "openmetrics", file, dir.path + "/promtool"])
        #expect(status == 0, "\(output)")
        let report = try OpenMetricsImport.run(file: file, into: dir.path + "/hearth")
        #expect(report.series == 26)
        let theirs = try FileSystem.list(dir.path + "/promtool").filter { ULID($0) != nil }
            .map { try BlockMeta.read(directory: dir.path + "/promtool/" + $0) }.sorted { $0.minTime < $1.minTime }
        let ours = report.blocks.sorted { $0.minTime < $1.minTime }
        #expect(ours.map(\.minTime) == theirs.map(\.minTime))
        #expect(ours.map(\.maxTime) == theirs.map(\.maxTime))
        #expect(ours.map(\.stats.numSamples) == theirs.map(\.stats.numSamples))
        #expect(ours.map(\.stats.numSeries) == theirs.map(\.stats.numSeries))
        let a = try Promtool.dump(dir.path + "/promtool"), b = try Promtool.dump(dir.path + "/hearth")
        #expect(a.keys.sorted() == b.keys.sorted())
        for (k, v) in a { #expect(Promtool.same(v, b[k] ?? []), "\(k)") }
        // Without timestamps: refused, as promtool refuses.
        try "up 1\n# EOF\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try OpenMetricsImport.run(file: file, into: dir.path + "/bad") }
    }

    @Test(.enabled(if: available, "Debian's prometheus/promtool are absent; skipping the Prometheus directory test"))
    func hearthOpensADirectoryPrometheusUsed() throws {
        let dir = TemporaryDirectory()
        let data = dir.path + "/data"
        let file = dir.path + "/in.om"
        try Self.openMetrics().write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try runProgram(Promtool.path, ["tsdb", "create-blocks-from", "openmetrics", file, data]).status == 0)
        // What the blocks hold, before Prometheus adds head data Hearth will not read.
        let expected = try Promtool.dump(data)
        // A real Prometheus opens the directory, scrapes itself into its WAL, and stops.
        let port = 20_000 + Int.random(in: 0..<20_000)
        let config = dir.path + "/prometheus.yml"
        try """
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: self
                static_configs:
                  - targets: ['127.0.0.1:\(port)']
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let prom = try ChildProcess(Self.prometheus, [
            "--config.file=\(config)", "--storage.tsdb.path=\(data)", "--web.listen-address=127.0.0.1:\(port)",
        ], quietStderr: true)
        var walBytes = 0
        for _ in 0..<200 where walBytes == 0 {
            sleepMilliseconds(100)
            walBytes = FileSystem.fileSize(data + "/wal/00000000") ?? 0
        }
        sleepMilliseconds(1000)
        prom.kill(SIGTERM)
        #expect(walBytes > 0, "prometheus wrote no WAL")

        var options = DB.Options(path: data)
        options.retentionTime = 0
        let db = try DB(options: options, logger: quietLogger())
        #expect(db.blocks.count == 4)
        var got: [String: [Sample]] = [:]
        for s in try db.querier().completeSelection([], minTime: .min, maxTime: .max) { got[Promtool.text(s.labels)] = try s.samples() }
        #expect(got.keys.sorted() == expected.keys.sorted(), "\(got.count) series vs \(expected.count)")
        for (k, v) in expected { #expect(Promtool.same(got[k] ?? [], v), "\(k)") }
        #expect(FileSystem.isDirectory(data + "/wal.prometheus"), "Prometheus's WAL is set aside, not truncated")
        // Hearth keeps working on the directory: new data, restart.
        let app = db.appender()
        try app.append(0, Labels(["__name__": "after", "x": "1"]), 1_700_000_000_000 + 8 * 3_600_000, 1)
        try app.commit()
        try db.close()
        let db2 = try DB(options: options, logger: quietLogger())
        #expect(db2.blocks.count == 4)
        #expect(try db2.querier().completeSelection([try Matcher(.equal, "__name__", "after")], minTime: .min, maxTime: .max).count == 1)
        try db2.close()
    }
}
