import HearthBlock
import HearthExposition
import HearthFileIO
import HearthModel
import HearthStorage

/// Backfill: blocks from an OpenMetrics text file, as `promtool tsdb create-blocks-from
/// openmetrics` makes them: every sample must carry a timestamp; samples are grouped into
/// blocks by aligned block range, each block spanning its first to last sample.
public enum OpenMetricsImport {
    public struct Report: Sendable {
        public var blocks: [BlockMeta] = []
        public var series = 0
        public var samples = 0
    }

    public static func run(file: String, into directory: String, blockDuration: Int64 = 2 * 3600 * 1000) throws -> Report {
        guard let bytes = try FileSystem.readFile(file) else { throw BlockError.io("\(file) does not exist") }
        var bySeries: [Labels: [Sample]] = [:]
        var parser = OpenMetricsParser(bytes)
        var report = Report()
        while let entry = try parser.next() {
            guard case .sample(let labels, let value, let timestamp) = entry else { continue }
            guard let timestamp else { throw BlockError.invalidInput("expected timestamp for series \(labels), got none") }
            guard StorableTime.range.contains(timestamp) else {
                throw BlockError.invalidInput("timestamp \(timestamp) of series \(labels) is outside the storable range [\(StorableTime.minimum), \(StorableTime.maximum)]")
            }
            bySeries[labels, default: []].append(Sample(timestamp, value))
            report.samples += 1
        }
        report.series = bySeries.count
        guard !bySeries.isEmpty else { return report }
        // The aligned block ranges that hold samples (only those: a file whose samples are
        // years apart makes a few blocks, not one walk over every range in between).
        var ranges = Set<Int64>()
        for key in bySeries.keys {
            // Time order, one sample per timestamp (the last one written wins).
            var list = bySeries[key]!
            list = list.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
            var deduped: [Sample] = []
            deduped.reserveCapacity(list.count)
            for s in list {
                if deduped.last?.timestamp == s.timestamp { deduped[deduped.count - 1] = s } else { deduped.append(s) }
            }
            for sample in deduped { ranges.insert(CompactionPlanner.floorDiv(sample.timestamp, blockDuration)) }
            bySeries[key] = deduped
        }
        try FileSystem.createDirectory(directory)
        let ordered = bySeries.keys.sorted()
        for range in ranges.sorted() {
            let t = range * blockDuration
            let upper = t + blockDuration
            var series: [SeriesData] = []
            var lo = Int64.max, hi = Int64.min
            for labels in ordered {
                let window = bySeries[labels]!.filter { $0.timestamp >= t && $0.timestamp < upper }
                guard let first = window.first, let last = window.last else { continue }
                lo = min(lo, first.timestamp)
                hi = max(hi, last.timestamp)
                series.append(SeriesData(labels: labels, chunks: ChunkData.encode(window), minTime: .min, maxTime: .max))
            }
            if !series.isEmpty, let meta = try BlockWriter.write(parent: directory, plan: .init(minTime: lo, maxTime: hi + 1), series: series) {
                report.blocks.append(meta)
            }
        }
        return report
    }
}
