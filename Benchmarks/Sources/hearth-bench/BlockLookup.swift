import HearthBlock
import HearthModel
import HearthStorage

#if canImport(Glibc)
import Glibc
#endif

/// `hearth-bench block-lookup SERIES RUNS`: writes one block of SERIES series (one chunk of
/// 8 samples each), then times selecting 10 of them by two equality matchers: postings
/// lookup and intersection alone, and the whole `select` (series entries and chunks copied).
/// Labels: `job` has 100 values, `instance` SERIES/10 values; `job=X, instance=Y` matches 10.
func blockLookupBenchmark(series count: Int, runs: Int) throws {
    var template = Array("/tmp/hearth-block-bench-XXXXXX".utf8CString)
    let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
    let instances = count / 10
    var input: [SeriesData] = []
    input.reserveCapacity(count)
    for i in 0..<count {
        let labels = Labels(["__name__": "node_metric_\(i % 7)", "job": "job-\(i % 100)",
                             "instance": "host-\(i % instances)", "id": String(i)])
        let samples = (0..<8).map { Sample(Int64($0) * 15_000, Double(i + $0)) }
        input.append(SeriesData(labels: labels, chunks: ChunkData.encode(samples), minTime: .min, maxTime: .max))
    }
    input.sort { $0.labels < $1.labels }
    var start = now()
    guard let meta = try BlockWriter.write(parent: dir, plan: .init(minTime: 0, maxTime: 7_200_000), series: input) else { return }
    print("wrote block of \(meta.stats.numSeries) series in \(now() - start) s")
    input = []
    start = now()
    let block = try Block(directory: dir + "/\(meta.ulid)")
    print("opened in \(now() - start) s; index \(fileBytes(dir + "/\(meta.ulid)/index")) bytes")
    var postingsTimes: [Double] = [], selectTimes: [Double] = []
    for r in 0..<runs {
        let host = (r * 7919) % instances
        let matchers = [try Matcher(.equal, "job", "job-\(host % 100)"), try Matcher(.equal, "instance", "host-\(host)")]
        var t = now()
        let ids = block.index.postings(for: matchers)
        postingsTimes.append(now() - t)
        t = now()
        let selected = block.select(matchers, minTime: .min, maxTime: .max)
        selectTimes.append(now() - t)
        precondition(ids.count == 10 && selected.count == 10, "expected 10 series, got \(ids.count)/\(selected.count)")
    }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    print("select 10 of \(count) by two equality matchers: postings median \(median(postingsTimes) * 1e6) µs, select median \(median(selectTimes) * 1e6) µs (\(runs) runs)")
    _ = system("rm -rf '\(dir)'")
}

func fileBytes(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}
