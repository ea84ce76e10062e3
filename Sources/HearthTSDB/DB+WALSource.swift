import HearthModel
import HearthWAL

/// The DB as a source for remote-write queues: they tail the head's WAL and take labels from
/// the head, whose refs are never reused. Segments a head truncation checkpoints away before a
/// queue read them are lost to that queue, as in Prometheus.
extension DB: WALSource {
    public var walDirectory: String { wal.directory }
    public func walWrittenPosition() -> WALPosition { wal.position }
    public func resolveLabels(_ refs: [UInt64], into labels: inout [UInt64: Labels]) {
        for ref in refs {
            if let l = head.labelsOf(ref) { labels[ref] = l }
        }
    }
}
