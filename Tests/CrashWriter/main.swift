// A child process for the crash tests: appends batches to a Hearth DB and prints
// "START <batch>" once open, then "ACK <batch>" after each commit returns, until it is killed.
//
// usage: hearth-crash-writer DIR SERIES SYNC_MODE [compact]
// With "compact", blocks are 20 s wide and the DB compacts every 5 batches, so kills land
// during block writes, block merges and head truncations too.
// Batch b holds one sample per series at t = b * 1000 with value expectedValue(series, b).
// On start it continues after the newest batch found in the directory.
import HearthBlock
import HearthModel
import HearthTSDB
import HearthWAL
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Block range of the compacting mode (the test opens the directory with the same).
let crashTestBlockRange: Int64 = 20_000

func expectedValue(_ series: Int, _ batch: Int64) -> Double {
    if batch % 97 == 13 { return StaleMarker.value }
    return Double(series) * 1000.0 + Double(batch) * 0.5
}

let args = CommandLine.arguments
guard args.count == 4 || args.count == 5, let seriesCount = Int(args[2]), let mode = WALSyncMode(rawValue: args[3]) else {
    print("usage: hearth-crash-writer DIR SERIES none|group-commit [compact]")
    exit(2)
}
let compacting = args.count == 5 && args[4] == "compact"
var options = DB.Options(path: args[1])
options.walSyncMode = mode
options.walSegmentSize = 1 << 20  // small segments, so the crash lands across segment cuts too
options.snapshotOnShutdown = false
if compacting {
    options.head.chunkRange = crashTestBlockRange
    options.retentionTime = 0
}
var logger = Logger(label: "crash-writer")
logger.logLevel = .error
let db = try DB(options: options, logger: logger)
let labels = (0..<seriesCount).map { Labels(["__name__": "crash_test", "series": String($0)]) }
let newest = max(db.head.maxTime, db.blocks.map { $0.maxTime - 1 }.max() ?? .min)
var batch: Int64 = newest < 0 ? 0 : newest / 1000 + 1
var refs = [UInt64](repeating: 0, count: seriesCount)
/// Writes straight to fd 1: an acknowledgement must leave the process before the next batch.
func report(_ word: String, _ batch: Int64) {
    var line = Array("\(word) \(batch)\n".utf8)
    line.withUnsafeMutableBytes { _ = write(1, $0.baseAddress!, $0.count) }
}
report("START", batch)
while true {
    let app = db.appender()
    for s in 0..<seriesCount {
        refs[s] = try app.append(refs[s], labels[s], batch * 1000, expectedValue(s, batch))
    }
    try app.commit()
    report("ACK", batch)
    batch += 1
    if compacting && batch % 5 == 0 { try db.compact() }
}
