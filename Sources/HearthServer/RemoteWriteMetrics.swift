import HearthConfig
import HearthModel
import HearthRemoteWrite

/// The remote-write queues' totals in the text exposition format, under Prometheus's names
/// (`prometheus_remote_storage_*`, labelled by `remote_name` and `url`) so that existing
/// remote-write dashboards and alerts work unchanged.
func remoteWriteExposition<Source>(_ queues: [RemoteWriteQueue<Source>]) -> String {
    let families: [(name: String, type: String, help: String, value: (QueueStatistics) -> Double)] = [
        ("prometheus_remote_storage_samples_total", "counter", "Samples the receiver accepted.", { Double($0.sent) }),
        ("prometheus_remote_storage_samples_failed_total", "counter",
         "Samples the receiver refused for good (4xx other than 429).", { Double($0.failed) }),
        ("prometheus_remote_storage_samples_retried_total", "counter", "Samples whose send failed and was retried.", { Double($0.retried) }),
        ("prometheus_remote_storage_samples_dropped_total", "counter",
         "Samples never sent: WAL bounds, sample_age_limit, write relabeling or unknown series.", { Double($0.dropped) }),
        ("hearth_remote_storage_wal_dropped_samples_total", "counter",
         "Unsent samples lost because the WAL outgrew its size or age bound.", { Double($0.droppedByBounds) }),
        ("prometheus_remote_storage_samples_pending", "gauge", "Samples read from the WAL and not yet delivered.", { Double($0.pending) }),
        ("prometheus_remote_storage_shards", "gauge", "Concurrent requests in the last send round.", { Double($0.shards) }),
        ("prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "gauge",
         "Timestamp of the newest sample delivered.", { Double($0.highestSentTimestamp) / 1000 }),
    ]
    var out = ""
    for f in families {
        out += "# HELP \(f.name) \(f.help)\n# TYPE \(f.name) \(f.type)\n"
        for q in queues {
            out += "\(f.name){remote_name=\"\(Labels.escapeValue(q.name))\",url=\"\(Labels.escapeValue(q.client.config.url))\"} \(f.value(q.statistics))\n"
        }
    }
    return out
}
