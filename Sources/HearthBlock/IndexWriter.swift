import HearthEncoding
import HearthModel

/// A chunk as the index lists it: its time range (both ends inclusive) and its reference
/// into the block's segment files.
public struct IndexChunkMeta: Sendable, Equatable {
    public var minTime: Int64
    public var maxTime: Int64
    public var ref: UInt64

    public init(minTime: Int64, maxTime: Int64, ref: UInt64) {
        self.minTime = minTime
        self.maxTime = maxTime
        self.ref = ref
    }
}

/// Builds an `index` file in Prometheus's index format v2 (tsdb/docs/format/index.md):
/// header, symbol table, 16-byte-aligned series, postings (the all-series list first, under
/// the empty label pair), the postings offset table and the TOC. Label indices and the label
/// offset table, which no v2 reader uses, are left empty as Prometheus does since 2.x.
///
/// The whole file is built in memory: the series are already in memory when a block is cut,
/// and one sequential write is the cheapest way to disk.
public enum IndexWriter {
    public static let magic: UInt32 = 0xBAAA_D700
    public static let version: UInt8 = 2
    public static let tocSize = 6 * 8 + 4

    /// Encodes `series`, which must be sorted by labels, without duplicates, each with chunks
    /// in increasing, non-overlapping time order.
    public static func encode(_ series: [(labels: Labels, chunks: [IndexChunkMeta])]) throws(BlockError) -> [UInt8] {
        var out: [UInt8] = []
        BigEndian.append(magic, to: &out)
        out.append(version)

        // Symbols: every name and value, sorted by bytes (Go's string order).
        var set = Set<String>()
        for s in series { for l in s.labels { set.insert(l.name); set.insert(l.value) } }
        let symbols = set.sorted { $0.utf8Precedes($1) }
        var symbolIndex: [String: UInt32] = [:]
        symbolIndex.reserveCapacity(symbols.count)
        for (i, s) in symbols.enumerated() { symbolIndex[s] = UInt32(i) }
        let tocSymbols = out.count
        let symbolsStart = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        BigEndian.append(UInt32(symbols.count), to: &out)
        for s in symbols {
            VarInt.appendUnsigned(UInt64(s.utf8.count), to: &out)
            out.append(contentsOf: s.utf8)
        }
        try finishSection(&out, start: symbolsStart, what: "symbol table")

        // Series, recording postings as (name index << 32 | value index) → series ids.
        let tocSeries = out.count
        var postings: [UInt64: [UInt32]] = [:]
        var all: [UInt32] = []
        all.reserveCapacity(series.count)
        var content: [UInt8] = []
        var previous: Labels?
        var lastChunkRef: UInt64 = 0
        for s in series {
            if let previous, !(previous < s.labels) {
                throw .invalidInput("series out of order or duplicated: \(s.labels) after \(previous)")
            }
            previous = s.labels
            while out.count % 16 != 0 { out.append(0) }
            guard out.count / 16 <= Int(UInt32.max) else { throw .invalidInput("index too large for 32-bit series references") }
            let id = UInt32(out.count / 16)
            all.append(id)
            content.removeAll(keepingCapacity: true)
            VarInt.appendUnsigned(UInt64(s.labels.count), to: &content)
            for l in s.labels {
                let n = symbolIndex[l.name]!, v = symbolIndex[l.value]!
                VarInt.appendUnsigned(UInt64(n), to: &content)
                VarInt.appendUnsigned(UInt64(v), to: &content)
                postings[UInt64(n) << 32 | UInt64(v), default: []].append(id)
            }
            VarInt.appendUnsigned(UInt64(s.chunks.count), to: &content)
            var prevMaxT: Int64 = 0, prevRef: UInt64 = 0
            for (i, c) in s.chunks.enumerated() {
                guard c.maxTime >= c.minTime, i == 0 || c.minTime > prevMaxT, c.ref >= lastChunkRef else {
                    throw .invalidInput("chunks of \(s.labels) unordered or overlapping")
                }
                if i == 0 {
                    VarInt.appendSigned(c.minTime, to: &content)
                    VarInt.appendUnsigned(UInt64(c.maxTime - c.minTime), to: &content)
                    VarInt.appendUnsigned(c.ref, to: &content)
                } else {
                    VarInt.appendUnsigned(UInt64(c.minTime - prevMaxT), to: &content)
                    VarInt.appendUnsigned(UInt64(c.maxTime - c.minTime), to: &content)
                    VarInt.appendSigned(Int64(bitPattern: c.ref &- prevRef), to: &content)
                }
                prevMaxT = c.maxTime
                prevRef = c.ref
                lastChunkRef = c.ref
            }
            VarInt.appendUnsigned(UInt64(content.count), to: &out)
            out.append(contentsOf: content)
            BigEndian.append(CRC32C.checksum(content), to: &out)
        }

        // No label indices (readers of v2 use the postings offset table).
        let tocLabelIndices = out.count
        while out.count % 4 != 0 { out.append(0) }
        let tocPostings = out.count
        var table: [UInt8] = []
        var tableCount: UInt32 = 0
        func writePostings(_ name: String, _ value: String, _ ids: [UInt32]) {
            while out.count % 4 != 0 { out.append(0) }
            table.append(2)
            VarInt.appendUnsigned(UInt64(name.utf8.count), to: &table)
            table.append(contentsOf: name.utf8)
            VarInt.appendUnsigned(UInt64(value.utf8.count), to: &table)
            table.append(contentsOf: value.utf8)
            VarInt.appendUnsigned(UInt64(out.count), to: &table)
            tableCount += 1
            BigEndian.append(UInt32(4 + 4 * ids.count), to: &out)
            let start = out.count
            BigEndian.append(UInt32(ids.count), to: &out)
            for id in ids { BigEndian.append(id, to: &out) }
            let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            BigEndian.append(crc, to: &out)
        }
        writePostings("", "", all)
        for key in postings.keys.sorted() {
            writePostings(symbols[Int(key >> 32)], symbols[Int(key & 0xFFFF_FFFF)], postings[key]!)
        }

        let tocLabelTable = out.count
        let tocPostingsTable = out.count
        let tableStart = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        BigEndian.append(tableCount, to: &out)
        out.append(contentsOf: table)
        try finishSection(&out, start: tableStart, what: "postings offset table")

        let tocStart = out.count
        for v in [tocSymbols, tocSeries, tocLabelIndices, tocLabelTable, tocPostings, tocPostingsTable] {
            BigEndian.append(UInt64(v), to: &out)
        }
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[tocStart...])) }
        BigEndian.append(crc, to: &out)
        return out
    }

    /// Fills in the 4-byte length at `start` and appends the CRC of the bytes after it.
    static func finishSection(_ out: inout [UInt8], start: Int, what: String) throws(BlockError) {
        let length = out.count - start - 4
        guard length <= Int(UInt32.max) else { throw .invalidInput("\(what) exceeds 4 GiB") }
        out[start] = UInt8(truncatingIfNeeded: length >> 24)
        out[start + 1] = UInt8(truncatingIfNeeded: length >> 16)
        out[start + 2] = UInt8(truncatingIfNeeded: length >> 8)
        out[start + 3] = UInt8(truncatingIfNeeded: length)
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 4)...])) }
        BigEndian.append(crc, to: &out)
    }
}
