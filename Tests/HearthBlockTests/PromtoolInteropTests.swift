import Foundation
import HearthBlock
import HearthModel
import HearthStorage
import HearthTestSupport
import Testing

/// Blocks checked against Debian's real promtool (package `prometheus`): promtool lists,
/// analyzes and dumps blocks Hearth wrote, and Hearth reads blocks promtool wrote. Skipped
/// when promtool is absent; `.ci/run` installs it.
@Suite(.serialized) struct PromtoolInteropTests {
    static let promtool = Promtool.path
    static let available = Promtool.available

    @Test(.enabled(if: available, "Debian's promtool is absent; skipping the block interop test"))
    func promtoolListsAnalyzesAndDumpsHearthBlocks() throws {
        let dir = TemporaryDirectory()
        let start: Int64 = 1_700_000_000_000
        let input = BlockFixtures.series(count: 120, samples: 400, start: start)
        let meta = try #require(try BlockWriter.write(parent: dir.path, plan: .init(minTime: start, maxTime: start + 7_200_000),
                                                      series: BlockFixtures.seriesData(input)))

        let (listStatus, list) = try runProgram(Self.promtool, ["tsdb", "list", dir.path])
        #expect(listStatus == 0, "promtool tsdb list: \(list)")
        let row = try #require(list.split(separator: "\n").first { $0.hasPrefix(meta.ulid.description) }, "\(list)")
        let columns = row.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        // ULID, min, max, duration, samples, chunks, series, size.
        #expect(columns.count == 8, "\(columns)")
        #expect(columns[1] == "\(meta.minTime)" && columns[2] == "\(meta.maxTime)" && columns[3] == "2h0m0s", "\(row)")
        #expect(columns[4] == "\(120 * 400)" && columns[5] == "\(meta.stats.numChunks)" && columns[6] == "120", "\(row)")

        let (analyzeStatus, analysis) = try runProgram(Self.promtool, ["tsdb", "analyze", dir.path, meta.ulid.description])
        #expect(analyzeStatus == 0, "promtool tsdb analyze: \(analysis)")
        #expect(analysis.contains("Block ID: \(meta.ulid)"), "\(analysis.prefix(400))")
        #expect(analysis.contains("Series: 120"), "\(analysis.prefix(400))")

        let dumped = try Promtool.dump(dir.path)
        #expect(dumped.count == input.count)
        for (labels, samples) in input {
            #expect(Promtool.same(dumped[Promtool.text(labels)] ?? [], samples), "\(labels)")
        }
    }

    @Test(.enabled(if: available, "Debian's promtool is absent; skipping the block interop test"))
    func hearthReadsBlocksPromtoolWrote() throws {
        let dir = TemporaryDirectory()
        var om = ""
        let start = 1_700_000_000
        om += "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n"
        for i in 0..<40 {
            for k in 0..<500 {
                om += "http_requests_total{code=\"\(200 + i % 4)\",path=\"/p\(i)\"} \(k * (i + 1)) \(start + k * 30)\n"
            }
        }
        om += "# TYPE temp gauge\n"
        for k in 0..<500 {
            let v: String = k % 50 == 7 ? "NaN" : k % 50 == 9 ? "+Inf" : k % 50 == 11 ? "-Inf" : "\(Double(k) * -0.125)"
            om += "temp{room=\"a b\\\"c\"} \(v) \(start + k * 30).5\n"
        }
        om += "# EOF\n"
        let omPath = dir.path + "/in.om"
        try om.write(toFile: omPath, atomically: true, encoding: .utf8)
        let tsdb = dir.path + "/tsdb"
        let (status, output) = try runProgram(Self.promtool, ["tsdb", "create-blocks-from", "openmetrics", omPath, tsdb])
        #expect(status == 0, "\(output)")
        let dumped = try Promtool.dump(tsdb)
        let blocks = try FileManager.default.contentsOfDirectory(atPath: tsdb).filter { ULID($0) != nil }.sorted()
        #expect(blocks.count >= 2, "500 samples 30 s apart span more than one 2h block")
        let opened = try blocks.map { try Block(directory: tsdb + "/" + $0) }
        let merged = try MergeQuerier(opened).completeSelection([], minTime: .min, maxTime: .max)
        #expect(merged.count == dumped.count)
        #expect(merged.count == 41)
        for s in merged {
            #expect(Promtool.same(dumped[Promtool.text(s.labels)] ?? [], try s.samples()), "\(s.labels)")
        }
        // The label APIs over Prometheus's index.
        #expect(opened[0].labelNames([], hints: LabelHints()).values == ["__name__", "code", "path", "room"])
        #expect(opened[0].labelValues("code", [], hints: LabelHints()).values == ["200", "201", "202", "203"])
    }
}
