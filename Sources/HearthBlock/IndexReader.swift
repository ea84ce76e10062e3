#if canImport(Glibc)
import Glibc
#endif
import HearthEncoding
import HearthFileIO
import HearthIndex
import HearthModel

/// Reads an index file (format v2) through a memory mapping. At open it keeps only the symbol
/// offsets and, per label name, the file positions of its postings offset entries (8 bytes per
/// label pair); strings, series and postings are decoded from the mapping when asked for.
/// Every read is bounds-checked: an index from another tool may be damaged.
public final class IndexReader: Sendable {
    let file: MappedFile
    let size: Int
    let path: String
    /// Where each symbol's length prefix is.
    let symbolOffsets: [Int]
    /// Label name → positions of its entries' value fields in the postings offset table,
    /// in value order.
    let entries: [String: [Int]]
    /// Label names in byte order (without the empty all-postings name).
    public let labelNames: [String]
    let allPostingsEntry: Int?

    /// Where reads report a series entry or postings list that fails its checksum.
    public let damage: ReadDamage

    public init(path: String, damage: ReadDamage = ReadDamage()) throws(BlockError) {
        self.path = path
        self.damage = damage
        guard let size = FileSystem.fileSize(path) else { throw .io("\(path) does not exist") }
        guard size >= 5 + IndexWriter.tocSize else { throw .corrupt(file: path, reason: "shorter than header and TOC") }
        do { file = try MappedFile(path: path, capacity: size) } catch { throw BlockError(error) }
        self.size = size
        let raw = file.bytes(at: 0, count: size)
        guard BigEndian.readUInt32(raw, at: 0) == IndexWriter.magic else { throw .corrupt(file: path, reason: "bad magic") }
        guard raw[4] == 2 else { throw .corrupt(file: path, reason: "unsupported index version \(raw[4])") }
        let tocStart = size - IndexWriter.tocSize
        let toc = UnsafeRawBufferPointer(rebasing: raw[tocStart..<size - 4])
        guard CRC32C.checksum(toc) == BigEndian.readUInt32(raw, at: size - 4) else {
            throw .corrupt(file: path, reason: "TOC checksum mismatch")
        }
        let symbolsAt = Int(truncatingIfNeeded: BigEndian.readUInt64(raw, at: tocStart))
        let postingsTableAt = Int(truncatingIfNeeded: BigEndian.readUInt64(raw, at: tocStart + 40))

        // Symbols.
        var offsets: [Int] = []
        if symbolsAt != 0 {
            let body = try Self.section(raw, at: symbolsAt, path: path, what: "symbol table")
            guard body.count >= 4 else { throw .corrupt(file: path, reason: "symbol table too short") }
            let count = Int(BigEndian.readUInt32(body, at: 0))
            guard count <= body.count else { throw .corrupt(file: path, reason: "symbol count \(count) too large") }
            offsets.reserveCapacity(count)
            var i = 4
            for _ in 0..<count {
                offsets.append(symbolsAt + 4 + i)
                guard let n = VarInt.readUnsigned(body, at: &i), Self.fits(n, body.count - i) else {
                    throw .corrupt(file: path, reason: "symbol table truncated")
                }
                i += Int(n)
            }
        }
        symbolOffsets = offsets

        // Postings offset table.
        var entries: [String: [Int]] = [:]
        var names: [String] = []
        var all: Int?
        if postingsTableAt != 0 {
            let body = try Self.section(raw, at: postingsTableAt, path: path, what: "postings offset table")
            guard body.count >= 4 else { throw .corrupt(file: path, reason: "postings offset table too short") }
            let count = Int(BigEndian.readUInt32(body, at: 0))
            var i = 4
            let base = postingsTableAt + 4
            var lastName: [UInt8] = []
            var current: [Int] = []
            var started = false
            for _ in 0..<count {
                guard i < body.count, body[i] == 2 else { throw .corrupt(file: path, reason: "bad postings offset entry") }
                i += 1
                guard let nl = VarInt.readUnsigned(body, at: &i), Self.fits(nl, body.count - i) else {
                    throw .corrupt(file: path, reason: "postings offset table truncated")
                }
                let name = UnsafeRawBufferPointer(rebasing: body[i..<i + Int(nl)])
                i += Int(nl)
                let valueAt = i
                guard let vl = VarInt.readUnsigned(body, at: &i), Self.fits(vl, body.count - i) else {
                    throw .corrupt(file: path, reason: "postings offset table truncated")
                }
                i += Int(vl)
                guard VarInt.readUnsigned(body, at: &i) != nil else { throw .corrupt(file: path, reason: "postings offset table truncated") }
                if !started || !name.elementsEqual(lastName) {
                    if started && !lastName.isEmpty { entries[String(decoding: lastName, as: UTF8.self)] = current }
                    started = true
                    lastName = Array(name)
                    current = []
                    if !lastName.isEmpty { names.append(String(decoding: name, as: UTF8.self)) }
                }
                if name.isEmpty {
                    all = base + valueAt
                } else {
                    current.append(base + valueAt)
                }
            }
            if !lastName.isEmpty { entries[String(decoding: lastName, as: UTF8.self)] = current }
        }
        self.entries = entries
        self.labelNames = names
        self.allPostingsEntry = all
    }

    /// The body of a `len <4b> | body | CRC32 <4b>` section, checksum verified.
    static func section(_ raw: UnsafeRawBufferPointer, at offset: Int, path: String, what: String) throws(BlockError) -> UnsafeRawBufferPointer {
        guard offset >= 0, offset <= raw.count - 4 else { throw .corrupt(file: path, reason: "\(what) offset out of range") }
        let length = Int(BigEndian.readUInt32(raw, at: offset))
        guard offset + 4 + length + 4 <= raw.count else { throw .corrupt(file: path, reason: "\(what) length out of range") }
        let body = UnsafeRawBufferPointer(rebasing: raw[offset + 4..<offset + 4 + length])
        guard CRC32C.checksum(body) == BigEndian.readUInt32(raw, at: offset + 4 + length) else {
            throw .corrupt(file: path, reason: "\(what) checksum mismatch")
        }
        return body
    }

    var raw: UnsafeRawBufferPointer { file.bytes(at: 0, count: size) }

    /// Symbol number `i`.
    func symbol(_ i: UInt64) -> String? {
        guard i < UInt64(symbolOffsets.count) else { return nil }
        let raw = self.raw
        var at = symbolOffsets[Int(i)]
        guard let n = VarInt.readUnsigned(raw, at: &at), Self.fits(n, raw.count - at) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<at + Int(n)]), as: UTF8.self)
    }

    /// The value bytes of the entry at `position` and the postings offset it points to.
    func entry(_ raw: UnsafeRawBufferPointer, _ position: Int) -> (UnsafeRawBufferPointer, Int)? {
        var at = position
        guard let n = VarInt.readUnsigned(raw, at: &at), Self.fits(n, raw.count - at) else { return nil }
        let value = UnsafeRawBufferPointer(rebasing: raw[at..<at + Int(n)])
        at += Int(n)
        guard let off = VarInt.readUnsigned(raw, at: &at) else { return nil }
        return (value, Int(truncatingIfNeeded: off))
    }

    /// Sorted values of label `name`.
    public func labelValues(_ name: String) -> [String] {
        guard let list = entries[name] else { return [] }
        let raw = self.raw
        return list.compactMap { entry(raw, $0).map { String(decoding: $0.0, as: UTF8.self) } }
    }

    /// Series ids of every series, in label order.
    public func allPostings() -> PostingsList {
        guard let all = allPostingsEntry else { return [] }
        guard let (_, off) = entry(raw, all) else { return [] }
        return readPostings(at: off)
    }

    /// Series ids carrying `name="value"`.
    public func postings(name: String, value: String) -> PostingsList {
        guard let list = entries[name] else { return [] }
        let raw = self.raw
        var target = value
        return target.withUTF8 { t -> PostingsList in
            let key = UnsafeRawBufferPointer(t)
            var lo = 0, hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                guard let (v, _) = entry(raw, list[mid]) else { return [] }
                if Self.compare(v, key) < 0 { lo = mid + 1 } else { hi = mid }
            }
            guard lo < list.count, let (v, off) = entry(raw, list[lo]), Self.compare(v, key) == 0 else { return [] }
            return readPostings(at: off)
        }
    }

    /// Union of the postings of every value of `name` that `accept` takes.
    public func postings(name: String, where accept: (String) -> Bool) -> PostingsList {
        guard let list = entries[name] else { return [] }
        let raw = self.raw
        var lists: [PostingsList] = []
        for position in list {
            guard let (v, off) = entry(raw, position) else { continue }
            if accept(String(decoding: v, as: UTF8.self)) { lists.append(readPostings(at: off)) }
        }
        return Postings.union(lists)
    }

    /// Whether a length read from the file fits in the `available` bytes (without converting
    /// a hostile 64-bit length to `Int`, which could trap).
    @inline(__always)
    static func fits(_ length: UInt64, _ available: Int) -> Bool {
        available >= 0 && length <= UInt64(available)
    }

    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    func readPostings(at offset: Int) -> PostingsList {
        guard let body = try? Self.section(raw, at: offset, path: path, what: "postings"), body.count >= 4 else {
            damage.record("\(path): postings list at offset \(offset) unreadable (checksum or length)")
            return []
        }
        let n = Int(BigEndian.readUInt32(body, at: 0))
        guard 4 + 4 * n <= body.count else {
            damage.record("\(path): postings list at offset \(offset) holds fewer entries than it counts")
            return []
        }
        var out = PostingsList()
        out.reserveCapacity(n)
        for k in 0..<n { out.append(UInt64(BigEndian.readUInt32(body, at: 4 + 4 * k))) }
        return out
    }

    /// Labels and chunk metadata of series `id`.
    public func series(_ id: UInt64) throws(BlockError) -> (labels: Labels, chunks: [IndexChunkMeta]) {
        guard let result = decodeSeries(id) else {
            damage.record("\(path): series entry at offset \(id &* 16) unreadable (checksum, length or symbols)")
            throw .corrupt(file: path, reason: "series entry at offset \(id &* 16) unreadable")
        }
        return result
    }

    func decodeSeries(_ id: UInt64) -> (labels: Labels, chunks: [IndexChunkMeta])? {
        let raw = self.raw
        guard id < UInt64(raw.count / 16) else { return nil }
        var at = Int(id) * 16
        guard let len = VarInt.readUnsigned(raw, at: &at), Self.fits(len, raw.count - at - 4) else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: raw[at..<at + Int(len)])
        guard CRC32C.checksum(body) == BigEndian.readUInt32(raw, at: at + Int(len)) else { return nil }
        var i = 0
        guard let count = VarInt.readUnsigned(body, at: &i), count <= UInt64(body.count) else { return nil }
        var labels: [Label] = []
        labels.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let n = VarInt.readUnsigned(body, at: &i), let v = VarInt.readUnsigned(body, at: &i),
                  let name = symbol(n), let value = symbol(v) else { return nil }
            labels.append(Label(name, value))
        }
        guard let nc = VarInt.readUnsigned(body, at: &i), nc <= UInt64(body.count) else { return nil }
        var chunks: [IndexChunkMeta] = []
        chunks.reserveCapacity(Int(nc))
        var prevMax: Int64 = 0, prevRef: UInt64 = 0
        for k in 0..<nc {
            if k == 0 {
                guard let mint = VarInt.readSigned(body, at: &i), let d = VarInt.readUnsigned(body, at: &i),
                      let ref = VarInt.readUnsigned(body, at: &i) else { return nil }
                prevMax = mint &+ Int64(bitPattern: d)
                prevRef = ref
                chunks.append(IndexChunkMeta(minTime: mint, maxTime: prevMax, ref: ref))
            } else {
                guard let dmin = VarInt.readUnsigned(body, at: &i), let d = VarInt.readUnsigned(body, at: &i),
                      let dref = VarInt.readSigned(body, at: &i) else { return nil }
                let mint = prevMax &+ Int64(bitPattern: dmin)
                prevMax = mint &+ Int64(bitPattern: d)
                prevRef = prevRef &+ UInt64(bitPattern: dref)
                chunks.append(IndexChunkMeta(minTime: mint, maxTime: prevMax, ref: prevRef))
            }
        }
        return (Labels(sorted: labels), chunks)
    }
}
