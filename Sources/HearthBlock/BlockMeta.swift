import HearthFileIO
import HearthModel

/// The contents of a block's `meta.json`, in Prometheus's field names. `maxTime` is exclusive.
public struct BlockMeta: Sendable, Equatable {
    public struct Stats: Sendable, Equatable {
        public var numSamples: UInt64 = 0
        public var numSeries: UInt64 = 0
        public var numChunks: UInt64 = 0
        public var numTombstones: UInt64 = 0
        public init() {}
    }

    /// A source block of a compaction (`compaction.parents`).
    public struct Parent: Sendable, Equatable {
        public var ulid: ULID
        public var minTime: Int64
        public var maxTime: Int64

        public init(ulid: ULID, minTime: Int64, maxTime: Int64) {
            self.ulid = ulid
            self.minTime = minTime
            self.maxTime = maxTime
        }
    }

    public var ulid: ULID
    public var minTime: Int64
    public var maxTime: Int64
    public var stats = Stats()
    public var level = 1
    /// The level-1 blocks whose data this block holds.
    public var sources: [ULID] = []
    public var parents: [Parent] = []
    /// Set when a compaction found nothing left in the block (all deleted); the block goes.
    public var deletable = false
    public var version = 1

    public init(ulid: ULID, minTime: Int64, maxTime: Int64) {
        self.ulid = ulid
        self.minTime = minTime
        self.maxTime = maxTime
        self.sources = [ulid]
    }

    public static let fileName = "meta.json"

    /// Reads `directory/meta.json`.
    public static func read(directory: String) throws(BlockError) -> BlockMeta {
        let path = directory + "/" + fileName
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path) } catch { throw BlockError(error) }
        guard let bytes else { throw .invalidMeta("\(path) does not exist") }
        return try parse(bytes)
    }

    public static func parse(_ bytes: [UInt8]) throws(BlockError) -> BlockMeta {
        let json = try JSONValue.parse(bytes)
        guard let text = json["ulid"]?.string, let ulid = ULID(text) else { throw .invalidMeta("missing or bad ulid") }
        guard let mint = json["minTime"]?.int64, let maxt = json["maxTime"]?.int64 else {
            throw .invalidMeta("missing minTime/maxTime")
        }
        guard let version = json["version"]?.int64 else { throw .invalidMeta("missing version") }
        guard version == 1 else { throw .invalidMeta("unsupported version \(version)") }
        // A block's range bounds the head's and the compactor's arithmetic: outside the
        // storable range (or inverted) it can only be damage.
        guard mint <= maxt, StorableTime.blockRange.contains(mint), StorableTime.blockRange.contains(maxt) else {
            throw .invalidMeta("time range [\(mint), \(maxt)) outside the storable range")
        }
        var meta = BlockMeta(ulid: ulid, minTime: mint, maxTime: maxt)
        if let s = json["stats"] {
            meta.stats.numSamples = UInt64(clamping: s["numSamples"]?.int64 ?? 0)
            meta.stats.numSeries = UInt64(clamping: s["numSeries"]?.int64 ?? 0)
            meta.stats.numChunks = UInt64(clamping: s["numChunks"]?.int64 ?? 0)
            meta.stats.numTombstones = UInt64(clamping: s["numTombstones"]?.int64 ?? 0)
        }
        if let c = json["compaction"] {
            meta.level = Int(clamping: c["level"]?.int64 ?? 1)
            meta.sources = (c["sources"]?.array ?? []).compactMap { $0.string.flatMap { ULID($0) } }
            meta.parents = (c["parents"]?.array ?? []).compactMap { p in
                guard let u = p["ulid"]?.string.flatMap({ ULID($0) }), let a = p["minTime"]?.int64,
                      let b = p["maxTime"]?.int64 else { return nil }
                return Parent(ulid: u, minTime: a, maxTime: b)
            }
            meta.deletable = c["deletable"]?.bool ?? false
        }
        return meta
    }

    /// The JSON Prometheus writes (tab-indented, same field order), so diffs against its
    /// blocks stay readable.
    public func encoded() -> [UInt8] {
        var s = "{\n"
        s += "\t\"ulid\": \"\(ulid)\",\n"
        s += "\t\"minTime\": \(minTime),\n"
        s += "\t\"maxTime\": \(maxTime),\n"
        s += "\t\"stats\": {\n"
        var stat: [String] = []
        if stats.numSamples > 0 {
            // Every sample Hearth stores is a float sample (Prometheus 3 writes both fields).
            stat.append("\t\t\"numSamples\": \(stats.numSamples)")
            stat.append("\t\t\"numFloatSamples\": \(stats.numSamples)")
        }
        if stats.numSeries > 0 { stat.append("\t\t\"numSeries\": \(stats.numSeries)") }
        if stats.numChunks > 0 { stat.append("\t\t\"numChunks\": \(stats.numChunks)") }
        if stats.numTombstones > 0 { stat.append("\t\t\"numTombstones\": \(stats.numTombstones)") }
        s += stat.joined(separator: ",\n") + (stat.isEmpty ? "" : "\n")
        s += "\t},\n"
        s += "\t\"compaction\": {\n"
        s += "\t\t\"level\": \(level)"
        if !sources.isEmpty {
            s += ",\n\t\t\"sources\": [\n" + sources.map { "\t\t\t\"\($0)\"" }.joined(separator: ",\n") + "\n\t\t]"
        }
        if deletable { s += ",\n\t\t\"deletable\": true" }
        if !parents.isEmpty {
            s += ",\n\t\t\"parents\": [\n" + parents.map {
                "\t\t\t{\n\t\t\t\t\"ulid\": \"\($0.ulid)\",\n\t\t\t\t\"minTime\": \($0.minTime),\n\t\t\t\t\"maxTime\": \($0.maxTime)\n\t\t\t}"
            }.joined(separator: ",\n") + "\n\t\t]"
        }
        s += "\n\t},\n"
        s += "\t\"version\": \(version)\n}\n"
        return Array(s.utf8)
    }
}
