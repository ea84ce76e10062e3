#if canImport(Glibc)
import Glibc
#endif
import HearthBlock
import HearthFileIO
import HearthModel
import Synchronization

extension DB {
    /// Deletes the samples in `[minTime, maxTime]` of the series matching `matchers`: blocks
    /// get tombstones (data goes at their next compaction or ``cleanTombstones()``), the head
    /// records the deletion in `head.tombstones` and drops the data when it is compacted.
    /// Durable when this returns.
    public func delete(_ matchers: [Matcher], minTime: Int64, maxTime: Int64) throws {
        try maintenance.withLock { _ in
            for b in blocks { try b.delete(matchers, minTime: minTime, maxTime: maxTime) }
            let (t, n) = head.delete(matchers, minTime: minTime, maxTime: maxTime)
            if n > 0 { try writeHeadTombstones(t) }
        }
    }

    /// Rewrites every block that has tombstones without the deleted data.
    @discardableResult
    public func cleanTombstones() throws -> [BlockMeta] {
        try maintenance.withLock { _ in
            var written: [BlockMeta] = []
            for b in blocks where !b.tombstones.isEmpty {
                var plan = BlockWriter.Plan(minTime: b.minTime, maxTime: b.maxTime)
                plan.level = b.meta.level
                plan.sources = b.meta.sources
                plan.parents = [BlockMeta.Parent(ulid: b.meta.ulid, minTime: b.minTime, maxTime: b.maxTime)]
                let meta = try BlockWriter.write(parent: options.path, plan: plan,
                                                 series: b.select([], minTime: .min, maxTime: .max))
                let new = try meta.map { try Block(directory: options.path + "/\($0.ulid)") }
                try replaceBlocks([b], with: new.map { [$0] } ?? [])
                counters.compactionsValue.add(1, ordering: .relaxed)
                if let meta { written.append(meta) }
            }
            return written
        }
    }

    /// A consistent copy of the store for backups under `snapshots/<name>`: hard links of the
    /// blocks' files (blocks never change, except tombstones, which are copied) plus, unless
    /// `withHead` is false, the head written as one more block. Returns the snapshot's name.
    public func snapshot(withHead: Bool = true) throws -> String {
        try maintenance.withLock { _ in
            let name = Self.snapshotName()
            let root = options.path + "/snapshots"
            try FileSystem.createDirectory(root)
            let dir = root + "/" + name
            try FileSystem.createDirectory(dir)
            for b in blocks {
                let target = dir + "/\(b.meta.ulid)"
                try FileSystem.createDirectory(target)
                try FileSystem.createDirectory(target + "/chunks")
                for file in ["index", BlockMeta.fileName] {
                    try Self.link(b.directory + "/" + file, target + "/" + file)
                }
                for seg in try FileSystem.list(b.directory + "/chunks") {
                    try Self.link(b.directory + "/chunks/" + seg, target + "/chunks/" + seg)
                }
                try b.tombstones.write(directory: target)
            }
            if withHead, head.minTime != .max, head.maxTime != .min {
                var unreadable: [String] = []
                let series = head.select([], minTime: head.minTime, maxTime: head.maxTime, unreadable: &unreadable)
                logUnreadable(unreadable, writing: "a snapshot")
                try BlockWriter.write(parent: dir, plan: .init(minTime: head.minTime, maxTime: head.maxTime + 1), series: series)
            }
            try FileSystem.syncDirectory(dir)
            return name
        }
    }

    /// `20261121T093000Z-1a2b3c4d5e6f7a8b`, as Prometheus names snapshots.
    static func snapshotName() -> String {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        let stamp = pad(tm.tm_year + 1900, 4) + pad(tm.tm_mon + 1, 2) + pad(tm.tm_mday, 2) + "T"
            + pad(tm.tm_hour, 2) + pad(tm.tm_min, 2) + pad(tm.tm_sec, 2) + "Z"
        let random = UInt64.random(in: 0...UInt64.max)
        let hex = String(random, radix: 16)
        return stamp + "-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func link(_ from: String, _ to: String) throws {
        guard Glibc.link(from, to) == 0 else { throw FileIOError("link", path: to, errno: errno) }
    }
}
