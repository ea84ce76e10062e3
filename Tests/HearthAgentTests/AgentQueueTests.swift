import Foundation
import HearthAgent
import HearthConfig
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthStorage
import HearthRemoteProtocol
import HearthRemoteWrite
import HearthScrape
import HearthSnappy
import HearthTestSupport
import HearthWAL
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A remote-write receiver that can be taken down (503, or a 4xx) and records every sample it
/// accepted, per series, in arrival order.
final class RecordingReceiver: HTTPResponder, Sendable {
    let state = Mutex<(down: Bool, status: Int, samples: [String: [Sample]], requests: Int)>((false, 503, [:], 0))
    /// The oldest sample timestamp in the last request refused while down.
    let lastRefusedOldest = Mutex<Int64?>(nil)

    func setDown(_ down: Bool, status: Int = 503) { state.withLock { $0.down = down; $0.status = status } }
    var samples: [String: [Sample]] { state.withLock { $0.samples } }
    var total: Int { state.withLock { $0.samples.values.reduce(0) { $0 + $1.count } } }

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let (down, status) = state.withLock { ($0.down, $0.status) }
        guard let proto = try? Snappy.decode(Array(request.body.readableBytesView), limit: 1 << 26) else {
            return .text(.badRequest, "bad snappy\n")
        }
        var got: [(String, [Sample])] = []
        do {
            try proto.withUnsafeBytes { raw in
                let visit: (inout WriteSeries) throws -> Void = { s in got.append(("\(try Labels(validating: s.labels))", s.samples)) }
                if request.headers.first(name: "Content-Type")?.contains("io.prometheus.write.v2.Request") == true {
                    try WriteRequestDecoder.decodeV2(raw, visit)
                } else {
                    try WriteRequestDecoder.decodeV1(raw, visit)
                }
            }
        } catch { return .text(.badRequest, "\(error)\n") }
        if down {
            lastRefusedOldest.withLock { $0 = got.flatMap { $0.1.map(\.timestamp) }.min() }
            return HTTPResponse(status: .init(statusCode: status))
        }
        state.withLock { s in
            s.requests += 1
            for (k, v) in got { s.samples[k, default: []] += v }
        }
        return HTTPResponse(status: .noContent)
    }
}

/// Drives an agent storage and one queue against a ``RecordingReceiver``.
final class QueueHarness {
    let dir: TemporaryDirectory
    let receiver = RecordingReceiver()
    let server: HTTPServer
    let client = HTTPClient()
    var storage: AgentStorage
    var queue: RemoteWriteQueue<AgentStorage>?
    var task: Task<Void, Never>?
    var port = 0
    let options: AgentStorage.Options
    let queueYAML: String
    /// Every sample committed, per series, in order: the ground truth.
    var written: [String: [Sample]] = [:]
    var refs: [String: UInt64] = [:]

    init(segmentSize: Int = 1 << 20, maxBytes: Int64 = 0, queueYAML: String = "") async throws {
        dir = TemporaryDirectory("hearth-agent")
        var o = AgentStorage.Options(path: dir.path)
        o.segmentSize = segmentSize
        o.maxBytes = maxBytes
        o.maxAgeMilliseconds = 0
        options = o
        self.queueYAML = queueYAML
        storage = try AgentStorage(options: o, logger: Logger(label: "test"))
        server = HTTPServer(host: "127.0.0.1", port: 0, responder: receiver, threads: 1, logger: Logger(label: "test"))
        port = try await server.start()
    }

    func startQueue() throws {
        let yaml = """
            remote_write:
              - url: http://127.0.0.1:\(port)/api/v1/write
                queue_config: {batch_send_deadline: 50ms, min_backoff: 10ms, max_backoff: 50ms, max_samples_per_send: 100, max_shards: 4\(queueYAML)}
            """
        let config = try Config(yaml: yaml).remoteWrite[0]
        let q = RemoteWriteQueue(name: "q", client: try RemoteWriteClient(config: config, externalLabels: Labels(), client: client),
                                 source: storage, positionFile: dir.path + "/q.position", logger: Logger(label: "test"),
                                 pollInterval: .milliseconds(10))
        queue = q
        task = Task { await q.run() }
    }

    func stopQueue() async {
        queue?.stop(flushFor: .zero)
        await task?.value
    }

    /// One "scrape": `series` series named by index, one sample each at `t`.
    func scrape(series: Int, at t: Int64) throws {
        let a = storage.appender()
        for i in 0..<series {
            let labels = Labels(["__name__": "m", "i": String(i), "pad": String(repeating: "x", count: 40)])
            let key = "\(labels)"
            let v = Double(t) + Double(i)
            refs[key] = try a.append(refs[key] ?? 0, labels, t, v)
            written[key, default: []].append(Sample(t, v))
        }
        try a.commit()
    }

    var writtenTotal: Int { written.values.reduce(0) { $0 + $1.count } }

    /// Generous: other suites running alongside can keep the cooperative pool busy for a while.
    func waitUntilDelivered(_ count: Int, seconds: Double = 120) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if receiver.total >= count { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func reopenStorage() throws {
        try storage.close()
        storage = try AgentStorage(options: options, logger: Logger(label: "test"))
    }

    func shutdown() async {
        await stopQueue()
        try? storage.close()
        await server.shutdown()
        await client.shutdown()
    }
}

/// The first series whose samples differ, briefly; nil when `got` equals `expected`.
func firstDifference(_ expected: [String: [Sample]], _ got: [String: [Sample]]) -> String? {
    for key in Set(expected.keys).union(got.keys).sorted() {
        let e = expected[key] ?? [], g = got[key] ?? []
        if e != g {
            let i = (0..<min(e.count, g.count)).first { e[$0] != g[$0] } ?? min(e.count, g.count)
            return "\(key): \(e.count) expected, \(g.count) received; first difference at #\(i): "
                + "expected \(i < e.count ? "\(e[i])" : "nothing"), received \(i < g.count ? "\(g[i])" : "nothing")"
        }
    }
    return nil
}

@Suite struct AgentQueueTests {
    @Test func deliversEverythingInOrderAfterAnOutage() async throws {
        let h = try await QueueHarness()
        try h.startQueue()
        var t: Int64 = 1_000_000
        for _ in 0..<5 { try h.scrape(series: 300, at: t); t += 1000 }
        #expect(await h.waitUntilDelivered(h.writtenTotal))
        h.receiver.setDown(true)
        for _ in 0..<20 {
            try h.scrape(series: 300, at: t)
            t += 1000
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(h.receiver.total == 1500, "nothing gets through while the receiver is down")
        h.receiver.setDown(false)
        #expect(await h.waitUntilDelivered(h.writtenTotal))
        #expect(firstDifference(h.written, h.receiver.samples) == nil, "every sample, in order, none twice")
        // The counter moves when the response is back, a moment after the receiver recorded.
        let settle = ContinuousClock.now + .seconds(30)
        while h.queue!.statistics.sent < h.writtenTotal && ContinuousClock.now < settle { try await Task.sleep(for: .milliseconds(10)) }
        #expect(h.queue!.statistics.sent == h.writtenTotal)
        #expect(h.queue!.statistics.retried > 0)
        #expect(h.queue!.statistics.shards > 1, "a backlog is sent over several shards")
        await h.shutdown()
    }

    @Test func aRestartDuringAnOutageLosesNothing() async throws {
        let h = try await QueueHarness()
        try h.startQueue()
        var t: Int64 = 5_000_000
        for _ in 0..<3 { try h.scrape(series: 200, at: t); t += 1000 }
        #expect(await h.waitUntilDelivered(h.writtenTotal))
        h.receiver.setDown(true)
        for _ in 0..<10 { try h.scrape(series: 200, at: t); t += 1000 }
        // The agent stops while the receiver is down, and starts again.
        await h.stopQueue()
        try h.reopenStorage()
        #expect(h.storage.seriesCount == 200, "series are replayed from the WAL")
        try h.startQueue()
        for _ in 0..<5 { try h.scrape(series: 200, at: t); t += 1000 }
        h.receiver.setDown(false)
        #expect(await h.waitUntilDelivered(h.writtenTotal))
        try await Task.sleep(for: .milliseconds(200))
        #expect(firstDifference(h.written, h.receiver.samples) == nil, "samples from before and after the restart, in order, none twice")
        await h.shutdown()
    }

    @Test func refusedBatchesAreDroppedNotRetried() async throws {
        let h = try await QueueHarness()
        h.receiver.setDown(true, status: 400)
        try h.startQueue()
        try h.scrape(series: 50, at: 1000)
        let deadline = ContinuousClock.now + .seconds(120)
        while h.queue!.statistics.failed < 50 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(h.queue!.statistics.failed == 50)
        #expect(h.queue!.statistics.retried == 0)
        h.receiver.setDown(false)
        try h.scrape(series: 50, at: 2000)
        #expect(await h.waitUntilDelivered(50))
        #expect(h.receiver.samples.values.allSatisfy { $0.map(\.timestamp) == [2000] })
        await h.shutdown()
    }

    @Test func outOfOrderSamplesAreRefused() async throws {
        let h = try await QueueHarness()
        try h.scrape(series: 1, at: 2000)
        let a = h.storage.appender()
        let labels = Labels(["__name__": "m", "i": "0", "pad": String(repeating: "x", count: 40)])
        #expect(throws: AppendError.self) { _ = try a.append(h.refs.values.first!, labels, 1000, 1) }
        #expect(throws: AppendError.self) { _ = try a.append(0, labels, 2000, 1) }
        #expect(try a.append(0, labels, 3000, 1) == h.refs.values.first!)
        await h.shutdown()
    }

    @Test func deliveredSegmentsBecomeACheckpointAndSeriesSurviveIt() async throws {
        let h = try await QueueHarness(segmentSize: 64 << 10)
        try h.startQueue()
        var t: Int64 = 1_000
        for _ in 0..<120 { try h.scrape(series: 200, at: t); t += 1000 }
        #expect(await h.waitUntilDelivered(h.writtenTotal))
        let segmentsBefore = try WAL.segmentIndexes(h.storage.walDirectory)
        #expect(segmentsBefore.count > 3)
        let result = try h.storage.truncate(queues: [h.queue!])
        #expect(result.checkpointedThrough != nil)
        #expect(result.droppedSamples == 0)
        let segmentsAfter = try WAL.segmentIndexes(h.storage.walDirectory)
        #expect(segmentsAfter.count < segmentsBefore.count)
        // After a restart the series are known from the checkpoint and new samples carry their labels.
        await h.stopQueue()
        try h.reopenStorage()
        #expect(h.storage.seriesCount == 200)
        try h.startQueue()
        for _ in 0..<3 { try h.scrape(series: 200, at: t); t += 1000 }
        #expect(await h.waitUntilDelivered(h.writtenTotal))
        #expect(firstDifference(h.written, h.receiver.samples) == nil)
        await h.shutdown()
    }

    @Test func theSizeBoundDropsTheOldestUnsentDataAndCountsIt() async throws {
        let h = try await QueueHarness(segmentSize: 64 << 10, maxBytes: 256 << 10)
        h.receiver.setDown(true)
        try h.startQueue()
        var t: Int64 = 1_000
        for _ in 0..<200 { try h.scrape(series: 200, at: t); t += 1000 }
        let sizeBefore = h.storage.diskSize
        let result = try h.storage.truncate(queues: [h.queue!])
        #expect(sizeBefore > 256 << 10)
        #expect(h.storage.diskSize <= (256 + 64) << 10, "within the bound, give or take a segment")
        #expect(result.droppedSegments > 0)
        #expect(result.droppedSamples > 0)
        #expect(h.queue!.statistics.droppedByBounds == result.droppedSamples)
        // Before the receiver comes back, wait until the queue retries from past the dropped data
        // (a request already on the wire when the data was dropped could still land).
        let firstKept = 1_000 + Int64(result.droppedSamples / 200) * 1000
        let deadline = ContinuousClock.now + .seconds(120)
        while (h.receiver.lastRefusedOldest.withLock { $0 } ?? 0) < firstKept && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        h.receiver.setDown(false)
        let expected = h.writtenTotal - result.droppedSamples
        #expect(await h.waitUntilDelivered(expected))
        try await Task.sleep(for: .milliseconds(200))
        #expect(h.receiver.total == expected, "what was not dropped is delivered, once")
        // What survives is the newest data, each series still in order.
        // Each scrape is one record, so every series lost the same number of samples.
        let expectedTail = h.written.mapValues { all in Array(all.suffix(h.receiver.samples.values.first?.count ?? 0)) }
        #expect(firstDifference(expectedTail, h.receiver.samples) == nil)
        await h.shutdown()
    }
}
