import HearthEncoding
import HearthFileIO

/// A deleted time range of one series, both ends inclusive (Prometheus's `Interval`).
public struct DeletedInterval: Sendable, Equatable {
    public var minTime: Int64
    public var maxTime: Int64

    public init(_ minTime: Int64, _ maxTime: Int64) {
        self.minTime = minTime
        self.maxTime = maxTime
    }

    @inlinable
    public func contains(_ t: Int64) -> Bool { t >= minTime && t <= maxTime }
}

/// Deleted ranges per series reference: a block's `tombstones` file, and the head's record of
/// deletions until they are compacted away.
public struct Tombstones: Sendable, Equatable {
    /// Series ref → sorted, non-overlapping, non-adjacent intervals.
    public private(set) var intervals: [UInt64: [DeletedInterval]] = [:]

    public static let fileName = "tombstones"
    public static let magic: UInt32 = 0x0130_BA30

    public init() {}

    public var isEmpty: Bool { intervals.isEmpty }
    /// Number of intervals (meta.json's `numTombstones`).
    public var count: Int { intervals.values.reduce(0) { $0 + $1.count } }

    /// Adds a deleted range of series `ref`, merging it with overlapping or adjacent ones.
    public mutating func add(_ ref: UInt64, _ interval: DeletedInterval) {
        var list = intervals[ref] ?? []
        list.append(interval)
        list.sort { $0.minTime < $1.minTime }
        var merged: [DeletedInterval] = []
        for iv in list {
            if var last = merged.last, iv.minTime <= last.maxTime &+ 1 || last.maxTime == .max {
                last.maxTime = max(last.maxTime, iv.maxTime)
                merged[merged.count - 1] = last
            } else {
                merged.append(iv)
            }
        }
        intervals[ref] = merged
    }

    public subscript(ref: UInt64) -> [DeletedInterval]? { intervals[ref] }

    /// Whether a sample at `t` of a series with these deletions is deleted.
    @inlinable
    public static func isDeleted(_ t: Int64, in list: [DeletedInterval]) -> Bool {
        for iv in list where iv.contains(t) { return true }
        return false
    }

    /// The file's bytes: magic, format version 1, `ref uvarint | mint varint | maxt varint`
    /// per interval, then the CRC32C of the entries.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        BigEndian.append(Self.magic, to: &out)
        out.append(1)
        let start = out.count
        for ref in intervals.keys.sorted() {
            for iv in intervals[ref]! {
                VarInt.appendUnsigned(ref, to: &out)
                VarInt.appendSigned(iv.minTime, to: &out)
                VarInt.appendSigned(iv.maxTime, to: &out)
            }
        }
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        BigEndian.append(crc, to: &out)
        return out
    }

    /// Reads `directory/tombstones`; a missing file means no deletions.
    public static func read(directory: String) throws(BlockError) -> Tombstones {
        let path = directory + "/" + fileName
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readFile(path) } catch { throw BlockError(error) }
        guard let bytes else { return Tombstones() }
        return try decode(bytes, path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String = fileName) throws(BlockError) -> Tombstones {
        guard bytes.count >= 9 else { throw .corrupt(file: path, reason: "shorter than header and checksum") }
        let result: Result<Tombstones, BlockError> = bytes.withUnsafeBytes { raw in
            guard BigEndian.readUInt32(raw, at: 0) == magic else { return .failure(.corrupt(file: path, reason: "bad magic")) }
            guard raw[4] == 1 else { return .failure(.corrupt(file: path, reason: "unsupported version \(raw[4])")) }
            let body = UnsafeRawBufferPointer(rebasing: raw[5..<raw.count - 4])
            guard CRC32C.checksum(body) == BigEndian.readUInt32(raw, at: raw.count - 4) else {
                return .failure(.corrupt(file: path, reason: "checksum mismatch"))
            }
            var t = Tombstones()
            var i = 0
            while i < body.count {
                guard let ref = VarInt.readUnsigned(body, at: &i), let a = VarInt.readSigned(body, at: &i),
                      let b = VarInt.readSigned(body, at: &i) else { return .failure(.corrupt(file: path, reason: "truncated entry")) }
                t.add(ref, DeletedInterval(a, b))
            }
            return .success(t)
        }
        return try result.get()
    }

    /// Writes `directory/tombstones` atomically.
    public func write(directory: String) throws(BlockError) {
        do { try FileSystem.writeFileAtomically(directory + "/" + Self.fileName, encoded()) } catch { throw BlockError(error) }
    }
}
