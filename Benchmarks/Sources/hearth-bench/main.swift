// Measurements that package-benchmark does not express well: resident memory per series and
// restart time, each on a freshly generated data set. Build with -c release.
//
//   hearth-bench memory  SERIES SAMPLES     resident bytes per series after ingest
//   hearth-bench restart SERIES SAMPLES     open time from the head snapshot and from the WAL alone
//   hearth-bench append  SERIES ROUNDS      samples/s appending to existing series, one thread
//   hearth-bench fsync   WRITERS BATCHES    samples/s with --storage.tsdb.wal-sync none vs group-commit
//   hearth-bench promql SERIES HOURS      PromQL engine time, Hearth vs Debian's Prometheus, same data
//   hearth-bench block-lookup SERIES RUNS   select 10 of SERIES series in a block by two equality matchers
//   hearth-bench harness FILE 0             the harness data set (scripts/dump_harness_data.py):
//                                           ingest rate, resident bytes per series, restart times
import HearthModel
import HearthTSDB
import HearthWAL
import CBenchShims
import HearthChunks
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Series shaped like the side-by-side harness's hosts: node-exporter-like names and labels.
func labels(_ i: Int) -> Labels {
    let names = ["node_cpu_seconds_total", "node_load1", "node_memory_MemFree_bytes", "node_network_receive_bytes_total",
                 "node_disk_read_bytes_total", "node_filesystem_avail_bytes", "http_request_duration_seconds_bucket", "up"]
    return Labels([
        "__name__": names[i % names.count], "instance": "host-\(i / 94):9100", "job": i % 94 < 63 ? "node" : "api",
        "region": "region-\(i / 94 % 4)", "cpu": String(i % 4), "mode": "m\(i % 94 / 8)",
    ])
}

func residentBytes() -> (rss: Int, hwm: Int) {
    guard let f = fopen("/proc/self/status", "r") else { return (0, 0) }
    defer { fclose(f) }
    var rss = 0, hwm = 0
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, f) != nil {
        let s = String(cString: line)
        let kb = Int(s.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        if s.hasPrefix("VmRSS:") { rss = kb * 1024 }
        if s.hasPrefix("VmHWM:") { hwm = kb * 1024 }
    }
    return (rss, hwm)
}

func mallocInfo() -> (inUse: Int, free: Int, mapped: Int) {
    var a = 0, b = 0, c = 0
    bench_malloc_info(&a, &b, &c)
    return (a, b, c)
}

func tempDir() -> String {
    var template = Array("/tmp/hearth-bench-XXXXXX".utf8CString)
    return String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let logger: Logger = {
    var l = Logger(label: "bench")
    l.logLevel = .error
    return l
}()

func open(_ dir: String, snapshot: Bool = true, sync: WALSyncMode = .none) throws -> DB {
    var o = DB.Options(path: dir)
    o.snapshotOnShutdown = snapshot
    o.walSyncMode = sync
    return try DB(options: o, logger: logger)
}

/// Ingests `samples` rounds of one sample per series at 15 s, 10k samples per commit, as
/// remote write does (the first round creates the series by labels; later rounds use refs).
func ingest(_ db: DB, series: Int, samples: Int) throws -> Double {
    var refs = [UInt64](repeating: 0, count: series)
    return try ingest(db, series: series, steps: 0..<samples, refs: &refs)
}

/// Appends rounds `steps`, reusing (and filling) the caller's ref cache.
func ingest(_ db: DB, series: Int, steps: Range<Int>, refs: inout [UInt64]) throws -> Double {
    let all = (0..<series).map(labels)
    let start = now()
    for step in steps {
        var app = db.appender()
        for i in 0..<series {
            refs[i] = try app.append(refs[i], all[i], Int64(step) * 15_000, Double(i &* 31 &+ step * 7 % 1000) / 4)
            if i % 10_000 == 9_999 {
                try app.commit()
                app = db.appender()
            }
        }
        try app.commit()
    }
    return now() - start
}

let args = CommandLine.arguments
if args.count == 2 && args[1] == "xor-hex" {
    // Differential check against another XOR encoder: each stdin line is a chunk as
    // "t:valuebits t:valuebits ..." (value bit patterns in hex); prints the chunk's bytes in hex.
    let digits = Array("0123456789abcdef".utf8)
    while let line = readLine() {
        var chunk = XORAppender()
        for field in line.split(separator: " ") {
            let parts = field.split(separator: ":")
            guard parts.count == 2, let t = Int64(parts[0]), let bits = UInt64(parts[1], radix: 16) else { continue }
            chunk.append(timestamp: t, value: Double(bitPattern: bits))
        }
        var out: [UInt8] = []
        for b in chunk.bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        print(String(decoding: out, as: UTF8.self))
    }
    exit(0)
}
if args.count == 4 && args[1] == "regex" {
    try RegexBench.run(jsonOut: args[2])
    exit(0)
}
if args.count == 5 && args[1] == "promql-profile" {
    try PromQLCompare.run(series: Int(args[2])!, hours: Int(args[3])!, profile: Int(args[4])!)
    exit(0)
}
if args.count == 4 && args[1] == "promql" {
    try PromQLCompare.run(series: Int(args[2])!, hours: Int(args[3])!)
    exit(0)
}
if args.count == 4 && args[1] == "block-lookup", let n = Int(args[2]), let runs = Int(args[3]) {
    try blockLookupBenchmark(series: n, runs: runs)
    exit(0)
}
if args.count == 4 && args[1] == "harness" {
    let baseline = residentBytes()
    var data: HarnessData? = HarnessData(path: args[2])
    let series = data!.seriesOffsets.count
    let samples = data!.sampleCount
    // The WAL-only directory first; then the measured one, whose DB stays open while the input
    // mapping is dropped, so the resident figure holds only what Hearth itself keeps.
    _ = system("rm -rf /tmp/hearth-bench-wal /tmp/hearth-bench-snapshot")
    do {
        let db = try open("/tmp/hearth-bench-wal", snapshot: false)
        _ = try data!.ingest(into: db)
        try db.close()
    }
    let db = try open("/tmp/hearth-bench-snapshot", snapshot: true)
    let (seconds, rejected) = try data!.ingest(into: db)
    data = nil
    let after = residentBytes()
    print("series=\(series) samples=\(samples) rejected=\(rejected) ingest_samples_per_s=\(Int(Double(samples) / seconds)) (one thread, no HTTP)")
    print("rss_baseline=\(baseline.rss) rss_after=\(after.rss) resident_bytes_per_series=\((after.rss - baseline.rss) / series)")
    print("head_series=\(db.head.numSeries) wal_bytes=\(db.wal.diskSize) chunk_file_bytes=\(db.head.chunkFilesDiskSize)")
    let (inUse, free, mapped) = mallocInfo()
    print("malloc: in_use=\(inUse) free_in_heap=\(free) mmapped=\(mapped) in_use_per_series=\((inUse + mapped) / series)")
    print("head: \(db.head.memoryStatistics())")
    _ = bench_malloc_trim()
    print("after malloc_trim: rss=\(residentBytes().rss) resident_bytes_per_series=\((residentBytes().rss - baseline.rss) / series)")
    try db.close()
    print("restart with: hearth-bench open 1 0 (snapshot), hearth-bench open 0 0 (WAL only)")
    exit(0)
}
guard args.count == 4, let a = Int(args[2]), let b = Int(args[3]) else {
    print("usage: hearth-bench memory|restart|append|fsync N M")
    exit(2)
}

switch args[1] {
case "memory":
    let dir = tempDir()
    let before = residentBytes()
    let db = try open(dir)
    let seconds = try ingest(db, series: a, samples: b)
    let after = residentBytes()
    print("series=\(a) samples_per_series=\(b) ingest_samples_per_s=\(Int(Double(a * b) / seconds))")
    print("rss_before=\(before.rss) rss_after=\(after.rss) hwm=\(after.hwm)")
    print("resident_bytes_per_series=\((after.rss - before.rss) / a) peak_bytes_per_series=\((after.hwm - before.rss) / a)")
    _ = system("rm -rf '\(dir)'")
case "restart":
    let withSnapshot = tempDir(), walOnly = tempDir()
    for (dir, snap) in [(withSnapshot, true), (walOnly, false)] {
        let db = try open(dir, snapshot: snap)
        _ = try ingest(db, series: a, samples: b)
        try db.close()
    }
    for (name, dir, snap) in [("snapshot", withSnapshot, true), ("wal", walOnly, false)] {
        let start = now()
        let db = try open(dir, snapshot: snap)
        let seconds = now() - start
        print("restart_from=\(name) series=\(db.head.numSeries) seconds=\(seconds) snapshot_loaded=\(db.openReport.loadedSnapshot) wal_records=\(db.openReport.walRecords)")
        try db.close()
        _ = system("rm -rf '\(dir)'")
    }
case "append":
    let dir = tempDir()
    let db = try open(dir, snapshot: false)
    var refs = [UInt64](repeating: 0, count: a)
    _ = try ingest(db, series: a, steps: 0..<1, refs: &refs)  // creates the series; not timed
    let seconds = try ingest(db, series: a, steps: 1..<(b + 1), refs: &refs)
    print("series=\(a) rounds=\(b) appended_samples_per_s=\(Int(Double(a * b) / seconds)) (existing series, by ref, 10k per commit, one thread)")
    try db.close()
    _ = system("rm -rf '\(dir)'")
case "fsync":
    for mode in [WALSyncMode.none, .groupCommit] {
        let dir = tempDir()
        let db = try open(dir, snapshot: false, sync: mode)
        let perWriter = 1000
        let start = now()
        runWriters(db, writers: a, batches: b, perWriter: perWriter)
        let seconds = now() - start
        print("wal_sync=\(mode.rawValue) writers=\(a) batches=\(b) samples_per_batch=\(perWriter) samples_per_s=\(Int(Double(a * b * perWriter) / seconds)) batches_per_s=\(Int(Double(a * b) / seconds))")
        try db.close()
        _ = system("rm -rf '\(dir)'")
    }
case "write":
    // write DIR-less: hearth-bench write SERIES SAMPLES writes two directories for `open`.
    for (dir, snap) in [("/tmp/hearth-bench-snapshot", true), ("/tmp/hearth-bench-wal", false)] {
        _ = system("rm -rf '\(dir)'")
        let db = try open(dir, snapshot: snap)
        _ = try ingest(db, series: a, samples: b)
        try db.close()
    }
    print("wrote /tmp/hearth-bench-snapshot and /tmp/hearth-bench-wal")
case "open":
    // hearth-bench open 1 0 opens the snapshot directory; open 0 0 the WAL-only one (copies, so it can repeat).
    let src = a == 1 ? "/tmp/hearth-bench-snapshot" : "/tmp/hearth-bench-wal"
    _ = system("rm -rf /tmp/hearth-bench-open && cp -a \(src) /tmp/hearth-bench-open")
    let start = now()
    let db = try open("/tmp/hearth-bench-open", snapshot: a == 1)
    let seconds = now() - start
    let (inUse, free, mapped) = mallocInfo()
    print("malloc: in_use=\(inUse) free_in_heap=\(free) mmapped=\(mapped)")
    print("head: \(db.head.memoryStatistics())")
    print("restart_from=\(a == 1 ? "snapshot" : "wal") series=\(db.head.numSeries) seconds=\(seconds) snapshot_loaded=\(db.openReport.loadedSnapshot) wal_records=\(db.openReport.walRecords) rss=\(residentBytes().rss)")
default:
    print("unknown measurement \(args[1])")
    exit(2)
}
