import HearthModel
import HearthStorage
import HearthWAL
import Synchronization

/// A batch of appends to the head: ``append(_:_:_:_:)`` validates and buffers each sample;
/// ``commit()`` writes the batch to the WAL (one write) and only then makes it visible;
/// ``rollback()`` discards it. Not thread-safe: one appender per batch, any number of appenders
/// in parallel.
public final class HeadAppender: Appender {
    let head: Head
    let wal: WAL?
    let id: UInt32
    var samples: [WALSample] = []
    /// Series records this batch logs: the series it created and any it touched whose record
    /// is not yet in the WAL (created by a batch that has not committed).
    var newSeries: [WALSeries] = []
    var newSeriesRefs: Set<UInt64> = []
    var hashScratch: [UInt8] = []
    var walBuffer: [UInt8] = []
    var minT = Int64.max
    var maxT = Int64.min
    /// Computed once per batch: the window does not move while the batch is open.
    let minValidTime: Int64

    init(head: Head, wal: WAL?) {
        self.head = head
        self.wal = wal
        var id = head.appenderIDs.wrappingAdd(1, ordering: .relaxed).oldValue
        if id == 0 { id = head.appenderIDs.wrappingAdd(1, ordering: .relaxed).oldValue }
        self.id = id
        self.minValidTime = head.appendableMinValidTime
        hashScratch.reserveCapacity(256)
    }

    /// Number of samples buffered in this batch.
    public var pendingSamples: Int { samples.count }

    /// The ref of the series with `labels`, creating it if needed. Lets callers cache refs
    /// (scrape loops, remote-write decoders) and append by ref afterwards.
    public func ref(for labels: Labels) throws(AppendError) -> UInt64 {
        guard !labels.isEmpty else { throw .invalidLabels("empty label set") }
        guard labels.count <= Labels.maximumCount else {
            throw .invalidLabels("\(labels.count) labels; a series may have at most \(Labels.maximumCount)")
        }
        let hash = labels.stableHash(scratch: &hashScratch)
        if let ref = head.lookup(labels, hash: hash) { return ref }
        let (ref, created) = head.getOrCreate(labels, hash: hash)
        if created { logSeries(ref, labels) }
        return ref
    }

    private func logSeries(_ ref: UInt64, _ labels: Labels) {
        if newSeriesRefs.insert(ref).inserted { newSeries.append(WALSeries(ref: ref, labels: labels)) }
    }

    /// Buffers a sample for the series `ref` (from a previous append or ``ref(for:)``) or, when
    /// `ref` is 0 or unknown, for the series with `labels`. Returns the series' ref.
    ///
    /// - Throws: ``AppendError`` for an out-of-order, too-old or conflicting duplicate sample;
    ///   the batch stays usable and the sample is not buffered. An exact duplicate of the newest
    ///   sample is accepted and ignored.
    @discardableResult
    public func append(_ ref: UInt64, _ labels: Labels, _ t: Int64, _ v: Double) throws(AppendError) -> UInt64 {
        var ref = ref == 0 ? try self.ref(for: labels) : ref
        guard StorableTime.range.contains(t) else { throw .outOfRange(series: head.labelsOf(ref) ?? labels, timestamp: t) }
        if t < minValidTime {
            throw .tooOld(series: head.labelsOf(ref) ?? labels, timestamp: t, minValidTime: minValidTime)
        }
        var (verdict, unlogged) = check(ref, t, v.bitPattern)
        if case .unknownSeries = verdict {
            // A stale cached ref: fall back to the labels (a caller with only the ref tries again
            // with them).
            guard !labels.isEmpty else { throw .unknownSeries(ref: ref) }
            ref = try self.ref(for: labels)
            (verdict, unlogged) = check(ref, t, v.bitPattern)
        }
        if unlogged && !newSeriesRefs.contains(ref), let l = head.labelsOf(ref) { logSeries(ref, l) }
        switch verdict {
        case .ok:
            samples.append(WALSample(ref: ref, timestamp: t, value: v))
            if t < minT { minT = t }
            if t > maxT { maxT = t }
        case .duplicate:
            break
        case .outOfOrder(let newest):
            throw .outOfOrder(series: head.labelsOf(ref) ?? labels, timestamp: t, newest: newest)
        case .differentValue:
            throw .duplicateTimestamp(series: head.labelsOf(ref) ?? labels, timestamp: t)
        case .unknownSeries:
            throw .unknownSeries(ref: ref)
        }
        return ref
    }

    /// Checks a sample against its series and records it as this batch's pending sample,
    /// in one lock acquisition.
    @inline(__always)
    private func check(_ ref: UInt64, _ t: Int64, _ vbits: UInt64) -> (Appendability, unlogged: Bool) {
        let owner = id
        let i = head.slot(ofRef: ref)
        let next = samples.count
        return samples.withUnsafeBufferPointer { buffered in
            head.stripe(ofRef: ref).series.withLock { s in
                guard s.isLive(i) else { return (.unknownSeries, false) }
                var pending: (timestamp: Int64, valueBits: UInt64)?
                if s.series[i].pendingOwner == owner {
                    // Checked, not trusted: a stale owner id from an abandoned batch must not
                    // point into this batch's buffer.
                    let p = Int(s.series[i].pendingIndex)
                    if p < buffered.count && buffered[p].ref == ref {
                        pending = (buffered[p].timestamp, buffered[p].value.bitPattern)
                    }
                }
                let verdict = s.series[i].admit(t, vbits, owner: owner, index: next, pending: pending, space: s.chunks)
                return (verdict, !s.series[i].walLogged)
            }
        }
    }

    /// Marks the batch's series records as being in the WAL.
    private func markLogged() {
        for s in newSeries {
            let i = head.slot(ofRef: s.ref)
            head.stripe(ofRef: s.ref).series.withLock { st in
                if st.isLive(i) { st.series[i].walLogged = true }
            }
        }
    }

    /// Makes the batch durable in the WAL, then visible. When it returns, the batch survives a
    /// crash of the process (and, in group-commit mode, of the machine).
    public func commit() throws(CommitError) {
        defer { reset() }
        if let wal, !samples.isEmpty || !newSeries.isEmpty {
            encodeRecords()
            do {
                let ticket = try wal.log(walBuffer)
                try wal.waitUntilDurable(ticket)
            } catch {
                clearPending()
                throw CommitError(message: error.description)
            }
            markLogged()
        }
        let dropped: Int
        do {
            dropped = try samples.withUnsafeBufferPointer { try head.appendCommitted($0, clearPendingOf: id) }.dropped
        } catch {
            // A chunk file write failed; the samples are in the WAL and return on replay.
            throw CommitError(message: "writing head chunk: \(error)")
        }
        if dropped > 0 { head.outOfOrderAtCommit.add(dropped, ordering: .relaxed) }
        if !samples.isEmpty { head.extendTimeRange(minT, maxT) }
    }

    /// Discards the buffered samples. Series created by this batch stay in the head (as in
    /// Prometheus) and are logged so that their refs stay valid after a restart.
    public func rollback() {
        clearPending()
        if let wal, !newSeries.isEmpty {
            samples.removeAll()
            encodeRecords()
            if (try? wal.log(walBuffer)) != nil { markLogged() }
        }
        reset()
    }

    private func clearPending() {
        for s in samples {
            let i = head.slot(ofRef: s.ref)
            head.stripe(ofRef: s.ref).series.withLock { st in
                if st.series[i].pendingOwner == id { st.series[i].pendingOwner = 0 }
            }
        }
    }

    private func encodeRecords() {
        walBuffer.removeAll(keepingCapacity: true)
        // Another batch may have logged a series of ours meanwhile.
        newSeries.removeAll { s in
            let i = head.slot(ofRef: s.ref)
            return head.stripe(ofRef: s.ref).series.withLock { $0.isLive(i) && $0.series[i].walLogged }
        }
        var payload: [UInt8] = []
        WALRecordCodec.frameBatch(series: newSeries, samples: samples, into: &walBuffer, scratch: &payload)
    }

    private func reset() {
        samples.removeAll(keepingCapacity: true)
        newSeries.removeAll(keepingCapacity: true)
        newSeriesRefs.removeAll(keepingCapacity: true)
        minT = .max
        maxT = .min
    }
}
