import Synchronization

/// A queue's running totals, read by whoever exports metrics (Prometheus's
/// `prometheus_remote_storage_*` names in the comments).
public final class QueueStatistics: Sendable {
    let sentValue = Atomic<Int>(0)
    let failedValue = Atomic<Int>(0)
    let retriedValue = Atomic<Int>(0)
    let droppedValue = Atomic<Int>(0)
    let shardsValue = Atomic<Int>(0)
    let highestSentValue = Atomic<Int64>(0)
    let pendingValue = Atomic<Int>(0)
    let bufferDroppedValue = Atomic<Int>(0)

    public init() {}

    /// Samples the receiver accepted (`samples_total`).
    public var sent: Int { sentValue.load(ordering: .relaxed) }
    /// Samples the receiver refused for good with a 4xx (`samples_failed_total`).
    public var failed: Int { failedValue.load(ordering: .relaxed) }
    /// Sample sends that failed and were retried (`samples_retried_total`).
    public var retried: Int { retriedValue.load(ordering: .relaxed) }
    /// Samples never sent: dropped by a buffer bound, `sample_age_limit`, write relabeling or
    /// because their series was unknown (`samples_dropped_total`).
    public var dropped: Int { droppedValue.load(ordering: .relaxed) }
    /// Concurrent requests in the last send round (`shards`).
    public var shards: Int { shardsValue.load(ordering: .relaxed) }
    /// Newest sample timestamp delivered, in ms (`queue_highest_sent_timestamp_seconds`).
    public var highestSentTimestamp: Int64 { highestSentValue.load(ordering: .relaxed) }
    /// Samples read from the log and not yet delivered (`samples_pending`).
    public var pending: Int { pendingValue.load(ordering: .relaxed) }

    /// Of ``dropped``, samples lost because the WAL outgrew its size or age bound before they
    /// were sent (`hearth_remote_storage_wal_dropped_samples_total`).
    public var droppedByBounds: Int { bufferDroppedValue.load(ordering: .relaxed) }

    func addDropped(_ n: Int) { droppedValue.add(n, ordering: .relaxed) }
}
