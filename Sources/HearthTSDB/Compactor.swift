import HearthBlock
import HearthFileIO
import HearthModel
import HearthStorage
import Logging
import Synchronization

/// Which blocks to merge next, after Prometheus's leveled compactor: overlapping blocks first
/// (vertical compaction); otherwise, for each range above the smallest, blocks that together
/// fill one aligned range, or that lie wholly before the newest block. The newest block is
/// left alone, so a fresh block stays available for piece-wise backup for one block range.
public enum CompactionPlanner {
    /// Block ranges: `base`, then ×3 each step (2h, 6h, 18h, 54h, ...), up to `maxRange`.
    public static func ranges(base: Int64, maxRange: Int64) -> [Int64] {
        var out = [base]
        while let last = out.last, last * 3 <= maxRange { out.append(last * 3) }
        return out
    }

    /// The largest block range for a retention: 10% of it, at most 31 days (Prometheus's rule).
    public static func maxRange(retention: Int64, base: Int64) -> Int64 {
        let limit: Int64 = 31 * 24 * 3600 * 1000
        guard retention > 0 else { return limit }
        return max(base, min(retention / 10, limit))
    }

    /// The blocks to compact together, or nil.
    public static func plan(_ metas: [BlockMeta], ranges: [Int64]) -> [BlockMeta]? {
        let sorted = metas.sorted { $0.minTime < $1.minTime }
        if let overlap = overlapping(sorted) { return overlap }
        guard sorted.count > 1 else { return nil }
        let candidates = Array(sorted.dropLast())
        guard let highTime = candidates.last?.minTime else { return nil }
        for range in ranges.dropFirst() {
            for group in split(candidates, range: range) where group.count > 1 {
                let mint = group.first!.minTime, maxt = group.last!.maxTime
                if maxt - mint == range || maxt <= highTime { return group }
            }
        }
        return nil
    }

    /// The first run of blocks whose time ranges overlap, if any.
    static func overlapping(_ sorted: [BlockMeta]) -> [BlockMeta]? {
        var group: [BlockMeta] = []
        var groupMax = Int64.min
        for m in sorted {
            if !group.isEmpty && m.minTime < groupMax {
                group.append(m)
                groupMax = max(groupMax, m.maxTime)
                continue
            }
            if group.count > 1 { return group }
            group = [m]
            groupMax = m.maxTime
        }
        return group.count > 1 ? group : nil
    }

    /// Groups of consecutive blocks within one aligned range of `range`; blocks larger than
    /// their aligned range are skipped.
    static func split(_ sorted: [BlockMeta], range: Int64) -> [[BlockMeta]] {
        var out: [[BlockMeta]] = []
        var i = 0
        while i < sorted.count {
            let m = sorted[i]
            let t0 = floorDiv(m.minTime, range) * range
            if m.maxTime > t0 + range {
                i += 1
                continue
            }
            var group: [BlockMeta] = []
            while i < sorted.count && sorted[i].maxTime <= t0 + range {
                group.append(sorted[i])
                i += 1
            }
            if !group.isEmpty { out.append(group) }
        }
        return out
    }

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return a % b < 0 ? q - 1 : q
    }
}

extension DB {
    /// What one maintenance pass did.
    public struct CompactionReport: Sendable {
        public var headBlocks: [BlockMeta] = []
        public var mergedBlocks: [BlockMeta] = []
        public var deletedBlocks: [ULID] = []
    }

    var blockRange: Int64 { options.head.chunkRange }

    /// One maintenance pass: the head's oldest ranges into blocks, then blocks merged while
    /// the planner finds work, then retention.
    @discardableResult
    public func compact() throws -> CompactionReport {
        try maintenance.withLock { _ in
            var report = CompactionReport()
            guard !closed.load(ordering: .relaxed) else { return report }
            try loadNewBlocksLocked()
            logReadDamage()
            report.headBlocks = try compactHeadLocked()
            report.mergedBlocks = try compactBlocksLocked()
            report.deletedBlocks = try applyRetentionLocked()
            return report
        }
    }

    /// Writes the head's oldest block range as a block, as long as the head spans more than
    /// 1.5 block ranges, truncating the head and the WAL after each.
    @discardableResult
    public func compactHead() throws -> [BlockMeta] {
        try maintenance.withLock { _ in try compactHeadLocked() }
    }

    func compactHeadLocked(crashPoint: ((String) throws -> Void)? = nil) throws -> [BlockMeta] {
        var written: [BlockMeta] = []
        let range = blockRange
        var done = Int64.min
        while true {
            let mn = head.minTime, mx = head.maxTime
            guard mn != .max, mx != .min, mx - mn > range / 2 * 3 else { break }
            // A chunk cut under another block range (the flag changed between runs) can keep
            // the head's minimum below a range already written: never write a range twice.
            let mint = max(CompactionPlanner.floorDiv(mn, range) * range, done)
            let maxt = mint + range
            guard mx - mint > range / 2 * 3 else { break }
            done = maxt
            // New samples in the range being written are refused from here on.
            head.raiseFloor(to: maxt)
            var unreadable: [String] = []
            let series = head.select([], minTime: mint, maxTime: maxt - 1, unreadable: &unreadable)
            logUnreadable(unreadable, writing: "a block")
            if let meta = try BlockWriter.write(parent: options.path, plan: .init(minTime: mint, maxTime: maxt),
                                                series: series, crashPoint: crashPoint) {
                let block = try Block(directory: options.path + "/\(meta.ulid)")
                blockList.withLock { $0 = Self.sorted($0 + [block]) }
                written.append(meta)
                counters.compactionsValue.add(1, ordering: .relaxed)
                logger.info("head compacted into a block", metadata: [
                    "block": "\(meta.ulid)", "min_time": "\(mint)", "max_time": "\(maxt)",
                    "series": "\(meta.stats.numSeries)", "samples": "\(meta.stats.numSamples)",
                ])
            }
            try crashPoint?("before-truncate")
            try truncateHead(before: maxt)
            counters.headTruncationsValue.add(1, ordering: .relaxed)
        }
        return written
    }

    /// Head chunks a block or snapshot is written without (their file could not be read).
    func logUnreadable(_ unreadable: [String], writing what: String) {
        guard !unreadable.isEmpty else { return }
        logger.error("head chunks could not be read and are left out", metadata: [
            "writing": "\(what)", "chunks": "\(unreadable.count)", "first": "\(unreadable[0])",
        ])
    }

    /// Merges blocks as long as the planner finds a group.
    @discardableResult
    public func compactBlocks() throws -> [BlockMeta] {
        try maintenance.withLock { _ in try compactBlocksLocked() }
    }

    func compactBlocksLocked(crashPoint: ((String) throws -> Void)? = nil) throws -> [BlockMeta] {
        let ranges = CompactionPlanner.ranges(base: blockRange,
                                              maxRange: CompactionPlanner.maxRange(retention: options.retentionTime, base: blockRange))
        var written: [BlockMeta] = []
        while true {
            let current = blocks
            guard let group = CompactionPlanner.plan(current.map(\.meta), ranges: ranges) else { break }
            let ids = Set(group.map(\.ulid))
            let parts = current.filter { ids.contains($0.meta.ulid) }
            let meta = try merge(parts, crashPoint: crashPoint)
            if let meta { written.append(meta) }
        }
        return written
    }

    /// Writes `parts` as one block (tombstones applied, overlaps deduplicated) and swaps it in.
    @discardableResult
    func merge(_ parts: [Block], crashPoint: ((String) throws -> Void)? = nil) throws -> BlockMeta? {
        var plan = BlockWriter.Plan(minTime: parts.map(\.minTime).min()!, maxTime: parts.map(\.maxTime).max()!)
        plan.level = parts.map(\.meta.level).max()! + 1
        plan.sources = Array(Set(parts.flatMap(\.meta.sources))).sorted()
        plan.parents = parts.map { BlockMeta.Parent(ulid: $0.meta.ulid, minTime: $0.minTime, maxTime: $0.maxTime) }
        let series = MergeQuerier.merge(parts.map { $0.select([], minTime: .min, maxTime: .max) }, minTime: .min, maxTime: .max)
        let meta = try BlockWriter.write(parent: options.path, plan: plan, series: series, crashPoint: crashPoint)
        let new = try meta.map { try Block(directory: options.path + "/\($0.ulid)") }
        try crashPoint?("before-swap")
        try replaceBlocks(parts, with: new.map { [$0] } ?? [])
        counters.compactionsValue.add(1, ordering: .relaxed)
        logger.info("blocks compacted", metadata: [
            "sources": "\(parts.map { "\($0.meta.ulid)" })", "block": "\(meta.map { "\($0.ulid)" } ?? "none (all deleted)")",
            "min_time": "\(plan.minTime)", "max_time": "\(plan.maxTime)",
        ])
        return meta
    }
}

extension DB {
    /// ``compactHead()`` with a hook called between steps ("chunks", "index", "meta",
    /// "before-truncate"); crash tests throw from it.
    public func compactHeadForTesting(_ hook: @escaping (String) throws -> Void) throws {
        try maintenance.withLock { _ in _ = try compactHeadLocked(crashPoint: hook) }
    }

    /// ``compactBlocks()`` with a hook ("chunks", "index", "meta", "before-swap").
    public func compactBlocksForTesting(_ hook: @escaping (String) throws -> Void) throws {
        try maintenance.withLock { _ in _ = try compactBlocksLocked(crashPoint: hook) }
    }
}
