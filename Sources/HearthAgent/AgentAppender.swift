import HearthModel
import HearthStorage
import HearthScrape
import HearthWAL
import Synchronization

/// One scrape's samples for the agent's log: collected in memory, written with one `write(2)`
/// at commit (a series record for new series, then one samples record).
public final class AgentAppender: Appender {
    let storage: AgentStorage
    var samples: [WALSample] = []
    var newSeries: [WALSeries] = []
    var newRefs: [Labels: UInt64] = [:]

    init(storage: AgentStorage) {
        self.storage = storage
    }

    @discardableResult
    public func append(_ ref: UInt64, _ labels: Labels, _ t: Int64, _ v: Double) throws(AppendError) -> UInt64 {
        var known: (ref: UInt64, newest: Int64)?
        storage.table.withLock { table in
            if ref != 0, let s = table.series[ref] {
                known = (ref, s.lastTimestamp)
            } else if let r = table.ref(of: labels) {
                known = (r, table.series[r]?.lastTimestamp ?? .min)
            }
        }
        if let known {
            guard t > known.newest else {
                let series = labels.isEmpty ? storage.table.withLock { table in
                    table.series[known.ref].map { table.store.labels($0.labels) } ?? Labels()
                } : labels
                throw .outOfOrder(series: series, timestamp: t, newest: known.newest)
            }
            samples.append(WALSample(ref: known.ref, timestamp: t, value: v))
            return known.ref
        }
        guard !labels.isEmpty else { throw .unknownSeries(ref: ref) }
        guard labels.count <= Labels.maximumCount else {
            throw .invalidLabels("\(labels.count) labels; a series may have at most \(Labels.maximumCount)")
        }
        let newRef: UInt64
        if let r = newRefs[labels] {
            newRef = r
        } else {
            newRef = storage.table.withLock { table in
                defer { table.nextRef += 1 }
                return table.nextRef
            }
            newRefs[labels] = newRef
            newSeries.append(WALSeries(ref: newRef, labels: labels))
        }
        samples.append(WALSample(ref: newRef, timestamp: t, value: v))
        return newRef
    }

    public func commit() throws(CommitError) {
        defer { reset() }
        do { try write() } catch { throw CommitError(message: "\(error)") }
    }

    /// The batch to the table and the WAL (one write).
    private func write() throws {
        guard !samples.isEmpty || !newSeries.isEmpty else { return }
        let segment = storage.wal.position.segment
        // Series go into the table before their records can be read, so a queue that reads a
        // sample always finds its labels. A series forgotten since this scrape looked it up is
        // brought back and logged again.
        storage.table.withLock { table in
            for s in newSeries {
                let handle = table.store.add(s.labels)
                table.insert(s.ref, Series(labels: handle, lastTimestamp: .min, lastSegment: segment), labels: s.labels)
            }
            for i in samples.indices {
                let ref = samples[i].ref
                let t = samples[i].timestamp
                func note(_ s: inout Series) {
                    s.lastTimestamp = max(s.lastTimestamp, t)
                    s.lastSegment = segment
                }
                // One lookup per sample in the common case.
                if table.series.update(ref, note) == nil, var gone = table.forgotten.removeValue(forKey: ref) {
                    note(&gone)
                    let labels = table.store.labels(gone.labels)
                    table.insert(ref, gone, labels: labels)
                    newSeries.append(WALSeries(ref: ref, labels: labels))
                }
            }
        }
        var buffer: [UInt8] = []
        var payload: [UInt8] = []
        WALRecordCodec.frameBatch(series: newSeries, samples: samples, into: &buffer, scratch: &payload)
        let ticket = try storage.wal.log(buffer)
        try storage.wal.waitUntilDurable(ticket)
        // The write may have started a new segment: the series' newest samples are there.
        let written = storage.wal.position.segment
        if written != segment {
            storage.table.withLock { table in
                for s in samples {
                    table.series.update(s.ref) { $0.lastSegment = written }
                }
            }
        }
    }

    public func rollback() {
        reset()
    }

    func reset() {
        samples.removeAll(keepingCapacity: true)
        newSeries.removeAll(keepingCapacity: true)
        newRefs.removeAll(keepingCapacity: true)
    }
}

typealias Series = AgentStorage.Series
