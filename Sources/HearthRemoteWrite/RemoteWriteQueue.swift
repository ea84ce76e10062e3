import HearthConfig
import HearthEncoding
import HearthFileIO
import HearthModel
import HearthWAL
import Logging
import Synchronization

/// One `remote_write` destination fed from a write-ahead log.
///
/// The queue tails the log from its position and sends in rounds: it reads up to
/// `max_shards × max_samples_per_send` samples, spreads them over shards by series (so each
/// series stays in order), sends every shard's requests concurrently, retrying each until the
/// receiver takes it, and only then moves its position past the round. The number of shards a
/// round uses follows the backlog: one while the queue keeps up, up to `max_shards` while it
/// catches up after an outage. A round waits for `max_samples_per_send` samples or
/// `batch_send_deadline`, whichever comes first.
///
/// The position is written to `positionFile` (at most once a second and when the queue
/// stops), so a restarted process resumes where the receiver stopped acknowledging instead of
/// losing what the log still holds. A round interrupted by a crash is sent again: samples the
/// receiver already had arrive twice with the same timestamp and value, which Prometheus-style
/// receivers ignore.
public final class RemoteWriteQueue<Source: WALSource>: Sendable {
    public let name: String
    public let client: RemoteWriteClient
    public let statistics = QueueStatistics()
    let source: Source
    let positionFile: String?
    let logger: Logger
    /// Everything before this has been delivered (or dropped).
    let deliveredPosition: Mutex<WALPosition>
    /// Set by ``drop(before:)``; the reader jumps there before its next read.
    let skipTarget = Mutex<WALPosition?>(nil)
    let stopState = Mutex<StopState>(StopState())
    let pollInterval: Duration

    struct StopState {
        var requested = false
        var flushUntil: ContinuousClock.Instant?
    }

    /// - Parameters:
    ///   - positionFile: where the position is kept across restarts; a queue without one (or
    ///     with none written yet) starts at the end of the log.
    public init(name: String, client: RemoteWriteClient, source: Source, positionFile: String?,
                logger: Logger, pollInterval: Duration = .milliseconds(100)) {
        self.name = name
        self.client = client
        self.source = source
        self.positionFile = positionFile
        self.logger = logger
        self.pollInterval = pollInterval
        let start = positionFile.flatMap(Self.readPosition) ?? source.walWrittenPosition()
        self.deliveredPosition = Mutex(start)
    }

    /// The queue's name for files and metrics: `name:` when given, else a hash of the URL
    /// (Prometheus names queues by a hash of their config).
    public static func defaultName(for url: String, name: String) -> String {
        if !name.isEmpty { return name }
        let hash = XXHash64.hash(Array(url.utf8))
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// Everything before this position has been delivered or dropped.
    public var delivered: WALPosition { deliveredPosition.withLock { $0 } }

    /// Gives up on everything before `position`: the log is deleting it to stay within its
    /// bounds. `samples` is what the queue had not sent; it is counted and logged. (A request
    /// already on the wire may still land: such samples are counted as dropped and delivered.)
    public func drop(before position: WALPosition, samples: Int, reason: String) {
        skipTarget.withLock { $0 = max($0 ?? position, position) }
        deliveredPosition.withLock { $0 = max($0, position) }
        statistics.addDropped(samples)
        statistics.bufferDroppedValue.add(samples, ordering: .relaxed)
        logger.warning("remote write: unsent samples dropped from the WAL", metadata: [
            "queue": "\(name)", "samples": "\(samples)", "reason": "\(reason)", "resuming_at": "\(position)",
        ])
    }

    /// Asks ``run()`` to finish: it keeps sending what is readable for up to `flushFor`, then
    /// returns with its position saved. Unsent samples stay in the log for the next start.
    public func stop(flushFor: Duration = .seconds(5)) {
        stopState.withLock {
            $0.requested = true
            $0.flushUntil = .now + flushFor
        }
    }

    var stopRequested: Bool { stopState.withLock { $0.requested } }

    /// True once stopping and the flush time is over: retries give up.
    var mustStopNow: Bool {
        stopState.withLock { s in s.requested && (s.flushUntil.map { .now >= $0 } ?? true) }
    }

    /// Sends until ``stop(flushFor:)`` (or task cancellation).
    public func run() async {
        let queue = client.config.queue
        var reader = WALTailReader(directory: source.walDirectory, from: delivered)
        var pending: [WALSample] = []
        /// Where the samples in `pending` start in the log.
        var pendingStart = reader.position
        var skippedSegments = 0
        var oldestPendingAt: ContinuousClock.Instant?
        var lastSaved = ContinuousClock.now
        let roundCapacity = queue.maxShards * queue.maxSamplesPerSend
        defer {
            savePosition()
            logger.info("remote write: queue stopped", metadata: [
                "queue": "\(name)", "sent": "\(statistics.sent)", "position": "\(delivered)", "unsent_read": "\(statistics.pending)",
            ])
        }
        while !Task.isCancelled {
            if let target = skipTarget.withLock({ t -> WALPosition? in defer { t = nil }; return t }), target > pendingStart {
                // The log dropped data we had not sent (already counted): forget what we hold
                // and read again from where the dropped data ends.
                pending.removeAll()
                oldestPendingAt = nil
                reader.seek(to: target)
                pendingStart = target
            }
            // Seen before the limit is read: a stop requested after that may follow writes this
            // pass has not read (the agent's last scrapes), so only a stop seen here ends the loop.
            let stopping = stopRequested
            let limit = source.walWrittenPosition()
            let before = pending.count
            do {
                let damage = try reader.read(upTo: limit) { payload in
                    if WALRecordCodec.type(of: payload) == .samples {
                        try WALRecordCodec.forEachSample(payload) { pending.append($0) }
                    }
                    return pending.count < roundCapacity
                }
                for d in damage { logger.error("remote write: damaged WAL record skipped", metadata: ["queue": "\(name)", "where": "\(d)"]) }
            } catch {
                logger.error("remote write: reading the WAL failed", metadata: ["queue": "\(name)", "err": "\(error)"])
            }
            if pending.count > before && oldestPendingAt == nil { oldestPendingAt = .now }
            statistics.pendingValue.store(pending.count, ordering: .relaxed)
            if reader.skippedSegments > skippedSegments {
                logger.warning("remote write: WAL segments were removed before this queue read them", metadata: [
                    "queue": "\(name)", "segments": "\(reader.skippedSegments - skippedSegments)", "resuming_at": "\(reader.position)",
                ])
                skippedSegments = reader.skippedSegments
            }
            let caughtUp = reader.position >= limit
            let due = pending.count >= queue.maxSamplesPerSend || !caughtUp
                || (oldestPendingAt.map { ContinuousClock.now - $0 >= .milliseconds(queue.batchSendDeadline) } ?? false)
                || (stopRequested && !pending.isEmpty)
            if due && !pending.isEmpty {
                switch await sendRound(pending, from: pendingStart) {
                case .stopped: return
                case .overtaken: continue
                case .sent: break
                }
                pending.removeAll(keepingCapacity: true)
                oldestPendingAt = nil
                statistics.pendingValue.store(0, ordering: .relaxed)
            }
            if pending.isEmpty {
                // Everything read so far is delivered (or there was nothing to send).
                deliveredPosition.withLock { $0 = max($0, reader.position) }
                pendingStart = reader.position
            }
            if ContinuousClock.now - lastSaved >= .seconds(1) {
                savePosition()
                lastSaved = .now
            }
            if stopping && (pending.isEmpty && caughtUp || mustStopNow) { return }
            if caughtUp || !due {
                try? await Task.sleep(for: pollInterval)
            }
        }
    }

    enum RoundOutcome {
        case sent
        /// The queue was told to stop before every shard got through.
        case stopped
        /// The log dropped part of the round while it was being retried (see ``drop(before:samples:reason:)``).
        case overtaken
    }

    /// Sends `samples` (in log order, read from `start` on) over as many shards as the round needs.
    ///
    /// Each series' labels are taken from the source once per round, prepared (external
    /// labels, write relabeling) and let go after it: keeping them from round to round would
    /// hold a second copy of every live series' labels. With protocol 1.0 they go straight
    /// from the source into the encoded form the requests copy (``V1LabelSets``).
    func sendRound(_ samples: [WALSample], from start: WALPosition) async -> RoundOutcome {
        let queue = client.config.queue
        let ageLimit = queue.sampleAgeLimit > 0 ? unixMilliseconds() - queue.sampleAgeLimit : Int64.min
        let shardCount = max(queue.minShards, min(queue.maxShards, (samples.count + queue.maxSamplesPerSend - 1) / queue.maxSamplesPerSend))
        // Each series' set number in the round (`unprepared`: unknown to the source or dropped
        // by write relabeling); then the samples go out in log order.
        let unprepared = UInt32.max
        var refs: [UInt64] = []
        var index = RefTable<UInt32>()
        for s in samples where index[s.ref] == nil {
            refs.append(s.ref)
            index[s.ref] = unprepared
        }
        let series = client.roundSeries(refs, from: source)
        for (i, ref) in series.refs.enumerated() { index[ref] = UInt32(i) }
        var shards = [[(index: UInt32, sample: Sample)]](repeating: [], count: shardCount)
        var dropped = 0
        for s in samples {
            guard let i = index[s.ref], i != unprepared, s.timestamp >= ageLimit else {
                dropped += 1
                continue
            }
            shards[Int(s.ref % UInt64(shardCount))].append((i, Sample(s.timestamp, s.value)))
        }
        statistics.addDropped(dropped)
        statistics.shardsValue.store(shardCount, ordering: .relaxed)
        let completed = await withTaskGroup(of: Bool.self) { group in
            for shard in shards where !shard.isEmpty {
                group.addTask { await self.sendShard(shard, series: series, roundStart: start) }
            }
            var all = true
            for await ok in group where !ok { all = false }
            return all
        }
        if completed { return .sent }
        return mustStopNow || Task.isCancelled ? .stopped : .overtaken
    }

    /// Sends one shard's samples in requests of at most `max_samples_per_send`, in order,
    /// retrying each request until it is taken, refused for good, the queue must stop, or the
    /// log drops data this round holds (false for the last two).
    func sendShard(_ samples: [(index: UInt32, sample: Sample)], series: RoundSeries, roundStart: WALPosition) async -> Bool {
        let queue = client.config.queue
        var backoff = Backoff(minimum: queue.minBackoff, maximum: queue.maxBackoff)
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + queue.maxSamplesPerSend)
            let request = samples[start..<end]
            while true {
                if let skip = skipTarget.withLock({ $0 }), skip > roundStart { return false }
                switch await client.send(samples: request, series: series) {
                case .sent:
                    statistics.sentValue.add(end - start, ordering: .relaxed)
                    let newest = samples[start..<end].reduce(Int64.min) { max($0, $1.sample.timestamp) }
                    statistics.highestSentValue.max(newest, ordering: .relaxed)
                    backoff.reset()
                case .drop(let reason):
                    statistics.failedValue.add(end - start, ordering: .relaxed)
                    logger.error("remote write: receiver refused samples; not retrying", metadata: [
                        "queue": "\(name)", "samples": "\(end - start)", "err": "\(reason)",
                    ])
                case .retry(let reason, let after):
                    statistics.retriedValue.add(end - start, ordering: .relaxed)
                    let wait = backoff.next(retryAfter: after)
                    logger.warning("remote write: send failed; retrying", metadata: [
                        "queue": "\(name)", "err": "\(reason)", "retry_in_ms": "\(wait)",
                    ])
                    let until = ContinuousClock.now + .milliseconds(wait)
                    while ContinuousClock.now < until {
                        if mustStopNow || Task.isCancelled { return false }
                        if let skip = skipTarget.withLock({ $0 }), skip > roundStart { return false }
                        try? await Task.sleep(for: min(.milliseconds(100), until - .now))
                    }
                    continue
                }
                break
            }
            start = end
        }
        return true
    }

    func savePosition() {
        guard let positionFile else { return }
        let p = delivered
        do {
            try FileSystem.writeFileAtomically(positionFile, Array("\(p.segment) \(p.offset)\n".utf8))
        } catch {
            logger.error("remote write: couldn't save the queue position", metadata: ["file": "\(positionFile)", "err": "\(error)"])
        }
    }

    static func readPosition(_ path: String) -> WALPosition? {
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        let parts = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 2, let s = Int(parts[0]), let o = Int(parts[1]), s >= 0, o >= 0 else { return nil }
        return WALPosition(segment: s, offset: o)
    }
}
