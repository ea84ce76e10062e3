import CoreMetrics
import HearthBlock
import HearthTSDB
import HearthWAL
import Metrics
import Prometheus

/// Hearth's own metrics, in a swift-prometheus registry, named as Prometheus names its own so
/// that existing dashboards work (served at /metrics once the HTTP API exists).
public final class SelfMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let headSeries: CoreMetrics.Gauge
    let headMinTime: CoreMetrics.Gauge
    let headMaxTime: CoreMetrics.Gauge
    let walSize: CoreMetrics.Gauge
    let chunkFilesSize: CoreMetrics.Gauge
    let outOfOrderAtCommit: CoreMetrics.Gauge
    let headMemory: [String: CoreMetrics.Gauge]
    let blocksLoaded: CoreMetrics.Gauge
    let blocksBytes: CoreMetrics.Gauge
    let lowestTimestamp: CoreMetrics.Gauge
    let compactions: CoreMetrics.Gauge
    let compactionsFailed: CoreMetrics.Counter
    let headTruncations: CoreMetrics.Gauge
    let timeRetentions: CoreMetrics.Gauge
    let sizeRetentions: CoreMetrics.Gauge
    /// Distinct pieces of damage (series entries, postings, chunks) queries found in blocks and left out.
    let blockReadDamage: CoreMetrics.Gauge

    public init() {
        let factory = PrometheusMetricsFactory(registry: registry)
        headSeries = CoreMetrics.Gauge(label: "prometheus_tsdb_head_series", factory: factory)
        headMinTime = CoreMetrics.Gauge(label: "prometheus_tsdb_head_min_time", factory: factory)
        headMaxTime = CoreMetrics.Gauge(label: "prometheus_tsdb_head_max_time", factory: factory)
        walSize = CoreMetrics.Gauge(label: "prometheus_tsdb_wal_storage_size_bytes", factory: factory)
        chunkFilesSize = CoreMetrics.Gauge(label: "prometheus_tsdb_head_chunks_storage_size_bytes", factory: factory)
        outOfOrderAtCommit = CoreMetrics.Gauge(label: "hearth_tsdb_out_of_order_samples_dropped_at_commit", factory: factory)
        var memory: [String: CoreMetrics.Gauge] = [:]
        for kind in ["series_slots", "label_refs", "open_chunks", "open_chunk_capacity", "mapped_chunk_refs"] {
            memory[kind] = CoreMetrics.Gauge(label: "hearth_tsdb_head_memory_bytes", dimensions: [("kind", kind)], factory: factory)
        }
        headMemory = memory
        blocksLoaded = CoreMetrics.Gauge(label: "prometheus_tsdb_blocks_loaded", factory: factory)
        blocksBytes = CoreMetrics.Gauge(label: "prometheus_tsdb_storage_blocks_bytes", factory: factory)
        lowestTimestamp = CoreMetrics.Gauge(label: "prometheus_tsdb_lowest_timestamp", factory: factory)
        // Totals kept by the DB, exposed as they are (gauges record the running total).
        compactions = CoreMetrics.Gauge(label: "prometheus_tsdb_compactions_total", factory: factory)
        compactionsFailed = CoreMetrics.Counter(label: "prometheus_tsdb_compactions_failed_total", factory: factory)
        headTruncations = CoreMetrics.Gauge(label: "prometheus_tsdb_head_truncations_total", factory: factory)
        timeRetentions = CoreMetrics.Gauge(label: "prometheus_tsdb_time_retentions_total", factory: factory)
        sizeRetentions = CoreMetrics.Gauge(label: "prometheus_tsdb_size_retentions_total", factory: factory)
        blockReadDamage = CoreMetrics.Gauge(label: "hearth_tsdb_block_read_damage_total", factory: factory)
    }

    public func compactionFailed() { compactionsFailed.increment() }

    /// Reads the engine's state into the gauges.
    public func update(from db: DB) {
        headSeries.record(db.head.numSeries)
        if db.head.numSeries > 0 {
            headMinTime.record(db.head.minTime)
            headMaxTime.record(db.head.maxTime)
        }
        walSize.record(db.wal.diskSize)
        chunkFilesSize.record(db.head.chunkFilesDiskSize)
        outOfOrderAtCommit.record(db.head.outOfOrderDroppedAtCommit)
        let blocks = db.blocks
        blocksLoaded.record(blocks.count)
        blocksBytes.record(blocks.reduce(0) { $0 + $1.sizeBytes })
        if let lowest = blocks.first?.minTime ?? (db.head.numSeries > 0 ? db.head.minTime : nil) { lowestTimestamp.record(lowest) }
        compactions.record(db.counters.compactions)
        headTruncations.record(db.counters.headTruncations)
        timeRetentions.record(db.counters.timeRetentions)
        sizeRetentions.record(db.counters.sizeRetentions)
        blockReadDamage.record(db.blockReadDamage)
        let m = db.head.memoryStatistics()
        headMemory["series_slots"]?.record(m.seriesSlots)
        headMemory["label_refs"]?.record(m.labelRefBytes)
        headMemory["open_chunks"]?.record(m.openChunkBytes)
        headMemory["open_chunk_capacity"]?.record(m.openChunkCapacity)
        headMemory["mapped_chunk_refs"]?.record(m.mappedChunkMetaBytes)
    }

    /// The metrics in Prometheus text format.
    public func exposition() -> String {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
