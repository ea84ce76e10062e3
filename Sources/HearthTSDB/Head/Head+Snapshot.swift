import Dispatch
import HearthChunks
import HearthEncoding
import HearthFileIO
import HearthIndex
import HearthModel
import HearthWAL
import Synchronization

/// The head snapshot written on clean shutdown, so that the next start loads it instead of
/// replaying the WAL. Format (all integers big-endian unless varint):
///
///     magic "HSNP" | version (1) | WAL segment (8) | WAL offset (8) | next ref (8)
///     | symbol count (uvarint) | symbols: length (uvarint) bytes ...
///     | series count (uvarint)
///     | per series, in increasing ref order: ref (uvarint) | label hash (8) | label count (uvarint)
///       | (name symbol, value symbol) uvarints
///       | nextAt (8) | open chunk: length of its complete bytes (uvarint,
///         0 = none) | complete bytes | pending byte (1) | pending bits (1) | count (2)
///         | last timestamp (8) | last value bits (8) | timestamp delta (8) | leading (1) | trailing (1)
///         | flags (1: decimal, decimal allowed, next chunk XOR) | exponent (1) | m (8) | m's delta (8)
///       | mapped count (uvarint) | per mapped chunk: ref (8) min (8) max (8) samples (2)
///     | CRC32C of everything before (4)
///
/// Labels are stored once in the symbol table, so loading interns them for free; series come
/// in ref order with their hash, so postings load already sorted and nothing is rehashed; and
/// the open chunk's encoder state is stored whole, so loading does not decode chunks.
enum HeadSnapshot {
    static let magic: [UInt8] = Array("HSNP".utf8)
    static let version: UInt8 = 5
    static let fileName = "head.snapshot"

    /// Writes the snapshot to `path` through a temporary file, a sync and a rename, and returns
    /// its size. Streams: what it holds is one buffer of about a megabyte, not a copy of the
    /// head (encoding a 100k-series head into one array doubled the process's memory at shutdown).
    /// Returns nil, writing nothing, if series keep vanishing while it writes (a truncation
    /// running concurrently; at shutdown none does): the next start then replays the WAL.
    static func write(_ head: Head, walPosition: WALPosition, to path: String) throws -> Int? {
        for _ in 0..<3 {
            if let size = try writeOnce(head, walPosition: walPosition, to: path) { return size }
        }
        return nil
    }

    private static func writeOnce(_ head: Head, walPosition: WALPosition, to path: String) throws -> Int? {
        var refs: [UInt64] = []
        head.forEachSeries { ref, _, _ in refs.append(ref) }
        refs.sort()
        var out = Output(bytes: header(head, walPosition: walPosition, seriesCount: refs.count))
        let written = try FileSystem.writeFileAtomically(path, streaming: { (file: borrowing File) throws(FileIOError) -> Bool in
            var scratch: [UInt8] = []
            for ref in refs {
                guard appendSeries(ref, of: head, to: &out.bytes, scratch: &scratch) else { return false }
                if out.bytes.count >= 1 << 20 { try out.flush(to: file) }
            }
            try out.finish(to: file)
            return true
        })
        return written ? out.size : nil
    }

    /// The snapshot's bytes on their way to the file, and the CRC of those already written.
    private struct Output {
        var bytes: [UInt8]
        var crc: UInt32 = 0
        var size = 0

        mutating func flush(to file: borrowing File) throws(FileIOError) {
            crc = CRC32C.checksum(bytes, continuing: crc)
            try write(to: file)
        }

        /// Writes what is left and the CRC of everything.
        mutating func finish(to file: borrowing File) throws(FileIOError) {
            crc = CRC32C.checksum(bytes, continuing: crc)
            BigEndian.append(crc, to: &bytes)
            try write(to: file)
        }

        private mutating func write(to file: borrowing File) throws(FileIOError) {
            try file.write(bytes)
            size += bytes.count
            bytes.removeAll(keepingCapacity: true)
        }
    }

    /// Everything before the series: magic, version, WAL position, next ref, symbols, count.
    static func header(_ head: Head, walPosition: WALPosition, seriesCount: Int) -> [UInt8] {
        var out = magic
        out.append(version)
        BigEndian.append(UInt64(walPosition.segment), to: &out)
        BigEndian.append(UInt64(walPosition.offset), to: &out)
        BigEndian.append(head.nextRef.load(ordering: .relaxed), to: &out)
        // The head's own symbol table is written whole: ids in the snapshot are the head's ids,
        // so loading re-interns the strings in order and keeps every series' ids as they are.
        let symbolCount = head.symbols.count
        VarInt.appendUnsigned(UInt64(symbolCount), to: &out)
        for id in 0..<symbolCount {
            let s = head.symbols.string(UInt32(id))
            VarInt.appendUnsigned(UInt64(s.utf8.count), to: &out)
            out.append(contentsOf: s.utf8)
        }
        VarInt.appendUnsigned(UInt64(seriesCount), to: &out)
        return out
    }

    /// Appends series `ref`'s record; false if the head no longer has it.
    static func appendSeries(_ ref: UInt64, of head: Head, to body: inout [UInt8], scratch: inout [UInt8]) -> Bool {
        guard let (s, mapped, ids, open) = head.withSeries(ref, { s, ids, space in
            (s, Array(s.mapped(in: space)), Array(ids), s.head.isOpen ? s.head.state(in: space) : nil)
        }) else { return false }
        VarInt.appendUnsigned(ref, to: &body)
        BigEndian.append(head.symbols.labels(ids).stableHash(scratch: &scratch), to: &body)
        VarInt.appendUnsigned(UInt64(ids.count / 2), to: &body)
        for id in ids { VarInt.appendUnsigned(UInt64(id), to: &body) }
        BigEndian.append(UInt64(bitPattern: s.nextAt), to: &body)
        if let full = open {
            let state = full.xor
            VarInt.appendUnsigned(UInt64(state.completeBytes.count), to: &body)
            body.append(contentsOf: state.completeBytes)
            body.append(state.pendingByte)
            body.append(state.pendingBits)
            BigEndian.append(state.count, to: &body)
            BigEndian.append(UInt64(bitPattern: state.lastTimestamp), to: &body)
            BigEndian.append(state.lastValueBits, to: &body)
            BigEndian.append(state.tDelta, to: &body)
            body.append(state.leading)
            body.append(state.trailing)
            body.append((full.isDecimal ? 1 : 0) | (full.decimalAllowed ? 2 : 0) | (s.xorChunks ? 4 : 0))
            body.append(full.exponent)
            BigEndian.append(UInt64(bitPattern: full.m), to: &body)
            BigEndian.append(UInt64(bitPattern: full.delta), to: &body)
        } else {
            VarInt.appendUnsigned(0, to: &body)
        }
        VarInt.appendUnsigned(UInt64(mapped.count), to: &body)
        for m in mapped {
            BigEndian.append(m.ref, to: &body)
            BigEndian.append(UInt64(bitPattern: m.minTime), to: &body)
            BigEndian.append(UInt64(bitPattern: m.maxTime), to: &body)
            BigEndian.append(m.sampleCount, to: &body)
        }
        return true
    }

    /// Read-only bytes shared with the parallel loaders.
    struct SharedBytes: @unchecked Sendable {
        let raw: UnsafeRawBufferPointer
    }

    /// What one part of the series section adds: refs in order, postings by (name id, value id),
    /// and its time range.
    struct Part: Sendable {
        var all: [UInt64] = []
        var pairs: [UInt64: [UInt64]] = [:]
        var lo = Int64.max
        var hi = Int64.min
    }

    /// Reads a uvarint at `i`.
    @inline(__always)
    static func uvarint(_ body: UnsafeRawBufferPointer, _ i: inout Int) throws -> UInt64 {
        guard let v = VarInt.readUnsigned(body, at: &i) else { throw Invalid(reason: "truncated at \(i)") }
        return v
    }

    @inline(__always)
    static func u64(_ body: UnsafeRawBufferPointer, _ i: inout Int) throws -> UInt64 {
        guard i + 8 <= body.count else { throw Invalid(reason: "truncated at \(i)") }
        defer { i += 8 }
        return BigEndian.readUInt64(body, at: i)
    }

    /// A count or length: a varint no larger than the snapshot itself (so no arithmetic on it
    /// can overflow, whatever the file holds).
    static func size(_ body: UnsafeRawBufferPointer, _ i: inout Int) throws -> Int {
        let v = try uvarint(body, &i)
        guard v <= UInt64(body.count) else { throw Invalid(reason: "length \(v) at offset \(i) exceeds the snapshot") }
        return Int(v)
    }

    /// Moves `i` past one series record without building anything.
    static func skipSeries(_ body: UnsafeRawBufferPointer, _ i: inout Int) throws {
        _ = try uvarint(body, &i)
        i += 8
        let n = try size(body, &i)
        guard n <= Labels.maximumCount else { throw Invalid(reason: "label count") }
        for _ in 0..<(2 * n) { _ = try uvarint(body, &i) }
        i += 8
        let clen = try size(body, &i)
        if clen > 0 { i += clen + 4 + 24 + 2 + 18 }
        let mcount = try size(body, &i)
        i += mcount * 26
        guard i <= body.count else { throw Invalid(reason: "truncated") }
    }

    /// Loads `count` series records starting at `offset` into the head.
    static func loadPart(_ body: UnsafeRawBufferPointer, from offset: Int, count: Int, symbolCount: UInt64,
                         into head: Head) throws -> Part {
        var part = Part()
        part.all.reserveCapacity(count)
        var i = offset
        var ids: [UInt32] = []
        for _ in 0..<count {
            let ref = try uvarint(body, &i)
            guard ref > (part.all.last ?? 0) else { throw Invalid(reason: "series out of ref order") }
            guard head.acceptsReplayedRef(ref) else { throw Invalid(reason: "series ref \(ref) out of range") }
            let hash = try u64(body, &i)
            let n = try size(body, &i)
            guard n <= Labels.maximumCount else { throw Invalid(reason: "label count") }
            ids.removeAll(keepingCapacity: true)
            for _ in 0..<(2 * n) {
                let id = try uvarint(body, &i)
                guard id < symbolCount else { throw Invalid(reason: "symbol ref") }
                ids.append(UInt32(id))
            }
            var s = MemSeries()
            s.walLogged = true
            s.nextAt = Int64(bitPattern: try u64(body, &i))
            var openChunk: HeadChunkEncoder.State?
            var openMinTime = Int64.max
            let clen = try size(body, &i)
            if clen > 0 {
                guard clen + 48 <= body.count - i else { throw Invalid(reason: "chunk length") }
                let bytes = Array(UnsafeRawBufferPointer(rebasing: body[i..<(i + clen)]))
                i += clen
                let pendingByte = body[i], pendingBits = body[i + 1]
                let sampleCount = BigEndian.readUInt16(body, at: i + 2)
                i += 4
                let lastT = Int64(bitPattern: try u64(body, &i)), vbits = try u64(body, &i), tDelta = try u64(body, &i)
                let leading = body[i], trailing = body[i + 1], flags = body[i + 2], exponent = body[i + 3]
                i += 4
                let m = Int64(bitPattern: try u64(body, &i)), delta = Int64(bitPattern: try u64(body, &i))
                let xor = XORAppender.State(
                    completeBytes: bytes, pendingByte: pendingByte, pendingBits: pendingBits, count: sampleCount,
                    lastTimestamp: lastT, lastValueBits: vbits, tDelta: tDelta, leading: leading, trailing: trailing)
                let state = HeadChunkEncoder.State(xor: xor, isDecimal: flags & 1 != 0, decimalAllowed: flags & 2 != 0,
                                                   exponent: exponent, m: m, delta: delta)
                guard let encoder = HeadChunkEncoder(restoring: state) else { throw Invalid(reason: "head chunk") }
                s.xorChunks = flags & 4 != 0
                openChunk = state
                if encoder.count > 0 {
                    openMinTime = bytes.withUnsafeBufferPointer { b in encoder.firstTimestamp(completeCount: b.count) { b[$0] } }
                }
            }
            let mcount = try size(body, &i)
            guard mcount <= (body.count - i) / 26 else { throw Invalid(reason: "mapped count") }
            var mapped: [MappedChunkMeta] = []
            mapped.reserveCapacity(mcount)
            for _ in 0..<mcount {
                let r = try u64(body, &i)
                let mn = Int64(bitPattern: try u64(body, &i))
                let mx = Int64(bitPattern: try u64(body, &i))
                guard i + 2 <= body.count else { throw Invalid(reason: "truncated") }
                let c = BigEndian.readUInt16(body, at: i)
                i += 2
                guard head.chunkFiles.isPlausible(r) else { throw Invalid(reason: "chunk ref \(r) not in the chunk files") }
                mapped.append(MappedChunkMeta(ref: r, minTime: mn, maxTime: mx, sampleCount: c))
            }
            part.lo = Swift.min(part.lo, mapped.first?.minTime ?? openMinTime)
            let openMaxTime = openChunk.flatMap { $0.xor.count > 0 ? $0.xor.lastTimestamp : nil }
            if let hi = openMaxTime ?? mapped.last?.maxTime { part.hi = Swift.max(part.hi, hi) }
            head.insert(s, labelIDs: ids, mapped: mapped, openChunk: openChunk, ref: ref)
            head.stripes[Int(hash & head.mask)].hashes.withLock { h in
                if h.first[hash] == nil { h.first[hash] = ref } else { h.collisions[hash, default: []].append(ref) }
            }
            part.all.append(ref)
            var k = 0
            while k + 1 < ids.count {
                part.pairs[UInt64(ids[k]) << 32 | UInt64(ids[k + 1]), default: []].append(ref)
                k += 2
            }
        }
        return part
    }

    struct Invalid: Error, CustomStringConvertible {
        let reason: String
        var description: String { "invalid head snapshot: \(reason)" }
    }

    /// Loads a snapshot from raw bytes (a memory-mapped file) into an empty head; returns the
    /// WAL position it covers.
    static func load(_ raw: UnsafeRawBufferPointer, into head: Head) throws -> WALPosition {
        do {
            guard raw.count >= 33 + 4, Array(raw[0..<4]) == magic, raw[4] == version else {
                throw Invalid(reason: "bad header")
            }
            let crcAt = raw.count - 4
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<crcAt])) == BigEndian.readUInt32(raw, at: crcAt)
            else { throw Invalid(reason: "checksum mismatch") }
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<crcAt])
            let segment = BigEndian.readUInt64(body, at: 5), offset = BigEndian.readUInt64(body, at: 13)
            guard segment <= UInt64(Int32.max), offset <= UInt64(Int32.max) else { throw Invalid(reason: "WAL position") }
            let position = WALPosition(segment: Int(segment), offset: Int(offset))
            let nextRef = BigEndian.readUInt64(body, at: 21)
            var i = 29
            func uvarint() throws -> UInt64 {
                guard let v = VarInt.readUnsigned(body, at: &i) else { throw Invalid(reason: "truncated at \(i)") }
                return v
            }
            func u64() throws -> UInt64 {
                guard i + 8 <= body.count else { throw Invalid(reason: "truncated at \(i)") }
                defer { i += 8 }
                return BigEndian.readUInt64(body, at: i)
            }
            let symbolCount = try uvarint()
            guard symbolCount <= UInt64(body.count), head.symbols.count == 0 else { throw Invalid(reason: "symbol count") }
            for id in 0..<symbolCount {
                let len = try size(body, &i)
                guard len <= body.count - i else { throw Invalid(reason: "symbol length") }
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: body[i..<(i + len)]), as: UTF8.self)
                guard head.symbols.intern(s) == UInt32(id) else { throw Invalid(reason: "duplicate symbol") }
                i += len
            }
            let seriesCount = try uvarint()
            guard seriesCount <= UInt64(body.count) else { throw Invalid(reason: "series count") }
            // The series are loaded in parts, in parallel: a quick scan finds where each part
            // starts, then every part fills its own postings lists, merged in ref order after.
            let partCount = seriesCount >= 20_000 ? Swift.max(1, Swift.min(4, Processors.online)) : 1
            var starts: [(offset: Int, count: Int)] = []
            var scan = i
            let perPart = Int(seriesCount) / partCount
            for p in 0..<partCount {
                let count = p == partCount - 1 ? Int(seriesCount) - perPart * (partCount - 1) : perPart
                starts.append((scan, count))
                if p < partCount - 1 {
                    for _ in 0..<count { try skipSeries(body, &scan) }
                }
            }
            let results = Mutex([Int: Part]())
            let failure = Mutex<(any Error)?>(nil)
            let partStarts = starts
            // The mapping outlives the parallel loop, which returns before `load` does.
            let shared = SharedBytes(raw: body)
            DispatchQueue.concurrentPerform(iterations: partCount) { p in
                do {
                    let part = try loadPart(shared.raw, from: partStarts[p].offset, count: partStarts[p].count,
                                            symbolCount: symbolCount, into: head)
                    results.withLock { $0[p] = part }
                } catch {
                    failure.withLock { $0 = error }
                }
            }
            if let error = failure.withLock({ $0 }) { throw error }
            let parts = results.withLock { m in (0..<partCount).map { m[$0]! } }
            var all: [UInt64] = []
            all.reserveCapacity(Int(seriesCount))
            var pairs: [UInt64: [UInt64]] = [:]
            var lo = Int64.max, hi = Int64.min
            for (p, part) in parts.enumerated() {
                guard part.all.first ?? .max > all.last ?? 0 else { throw Invalid(reason: "series out of ref order") }
                all.append(contentsOf: part.all)
                for (key, refs) in part.pairs {
                    if p == 0 { pairs[key] = refs } else { pairs[key, default: []].append(contentsOf: refs) }
                }
                lo = Swift.min(lo, part.lo)
                hi = Swift.max(hi, part.hi)
            }
            head.postings.addSorted(all: all, lists: pairs.map { key, refs in
                (head.symbols.string(UInt32(key >> 32)), head.symbols.string(UInt32(truncatingIfNeeded: key)), refs)
            })
            head.seriesCount.add(all.count, ordering: .relaxed)
            head.nextRef.store(nextRef, ordering: .relaxed)
            head.minTimeValue.store(lo, ordering: .relaxed)
            head.maxTimeValue.store(hi, ordering: .relaxed)
            return position
        }
    }
}
