import HearthBlock
import HearthFileIO
import HearthWAL
import Logging
import Synchronization

extension DB {
    /// Deletes whole blocks, oldest first: those beyond the retention time (measured from the
    /// newest block's end, as Prometheus does) and, while the store is over the size limit,
    /// the oldest of the rest.
    @discardableResult
    public func applyRetention() throws -> [ULID] {
        try maintenance.withLock { _ in try applyRetentionLocked() }
    }

    func applyRetentionLocked() throws -> [ULID] {
        let newestFirst = blocks.sorted { $0.maxTime > $1.maxTime }
        guard !newestFirst.isEmpty else { return [] }
        var doomed: [Block] = []
        var kept: [Block] = []
        var bySize = 0
        let newestEnd = newestFirst[0].maxTime
        for (i, b) in newestFirst.enumerated() {
            if i > 0 && options.retentionTime > 0 && newestEnd - b.maxTime >= options.retentionTime {
                doomed.append(b)
            } else {
                kept.append(b)
            }
        }
        if options.retentionSize > 0 {
            var total = Int64(wal.diskSize + head.chunkFilesDiskSize)
            var within: [Block] = []
            for b in kept {
                total += Int64(b.sizeBytes)
                if total > options.retentionSize {
                    doomed.append(b)
                    bySize += 1
                } else {
                    within.append(b)
                }
            }
            kept = within
        }
        guard !doomed.isEmpty else { return [] }
        try replaceBlocks(doomed, with: [])
        counters.timeRetentionsValue.add(doomed.count - bySize, ordering: .relaxed)
        counters.sizeRetentionsValue.add(bySize, ordering: .relaxed)
        logger.info("retention deleted blocks", metadata: ["blocks": "\(doomed.map { "\($0.meta.ulid)" })"])
        return doomed.map(\.meta.ulid)
    }
}
