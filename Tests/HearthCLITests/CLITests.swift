import HearthTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct CLITests {
    func run(_ args: [String]) throws -> (status: Int32, output: String) {
        guard let hearth = BuiltProducts.executable("hearth") else { throw ChildError("hearth not built") }
        let child = try ChildProcess(hearth, args)
        let status = child.wait()
        return (status, child.readLines().joined(separator: "\n"))
    }

    @Test func helpNamesThePrometheusFlags() throws {
        let (status, out) = try run(["server", "--help"])
        #expect(status == 0)
        for flag in ["--storage.tsdb.path", "--storage.tsdb.retention.time", "--web.listen-address", "--config.file",
                     "--storage.tsdb.wal-sync"] {
            #expect(out.contains(flag), "\(flag) missing from --help")
        }
    }

    @Test func invalidFlagValuesAreRejected() throws {
        #expect(try run(["server", "--storage.tsdb.retention.time=15x"]).status != 0)
        #expect(try run(["server", "--storage.tsdb.wal-sync=sometimes"]).status != 0)
    }

    @Test func checkConfigValidatesLikePromtool() throws {
        let tmp = TemporaryDirectory()
        let good = tmp.path + "/good.yml", bad = tmp.path + "/bad.yml"
        try writeText(good, "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['x:1']}]\n")
        try writeText(bad, "scrape_configs:\n  - job_name: a\n    scrape_intervl: 5s\n")
        let ok = try run(["check", "config", good])
        #expect(ok.status == 0 && ok.output.contains("SUCCESS: \(good) is valid prometheus config file syntax"), "\(ok.output)")
        let failed = try run(["check", "config", bad])
        #expect(failed.status != 0 && failed.output.contains("FAILED") && failed.output.contains("line 3: field scrape_intervl not found"), "\(failed.output)")
    }

    func writeText(_ path: String, _ text: String) throws {
        guard let f = fopen(path, "w") else { throw ChildError("cannot write \(path)") }
        fputs(text, f)
        fclose(f)
    }

    @Test func serverShutsDownCleanlyOnSIGTERMAndLeavesASnapshot() throws {
        guard let hearth = BuiltProducts.executable("hearth") else { throw ChildError("hearth not built") }
        let tmp = TemporaryDirectory()
        let child = try ChildProcess(hearth, ["server", "--storage.tsdb.path=\(tmp.path)/data", "--log.level=error"])
        sleepMilliseconds(800)
        let status = child.kill(SIGTERM)
        #expect(status == 0, "exit status \(status)")
        #expect(access(tmp.path + "/data/head.snapshot", F_OK) == 0)
    }
}
