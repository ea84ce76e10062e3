import HearthConfig
import HearthHTTPAPI
import HearthHTTPClient
import HearthModel
import HearthRemoteWrite
import HearthTSDB
import HearthTestSupport
import Logging
import Testing

/// `hearth server`'s remote write: the same queue, reading the TSDB head's WAL. Kept beside the
/// agent's tests because both use the recording receiver.
@Suite struct DBSourceTests {
    /// Both request formats, and protocol 1.0 without write relabeling (its labels are
    /// encoded straight from the source, external labels merged as they are).
    @Test(arguments: [("prometheus.WriteRequest", true), ("io.prometheus.write.v2.Request", true), ("prometheus.WriteRequest", false)])
    func theServerForwardsWhatItStoresWithExternalLabelsAndWriteRelabeling(message: String, relabel: Bool) async throws {
        let dir = TemporaryDirectory("hearth-server-rw")
        let db = try DB(options: DB.Options(path: dir.path), logger: Logger(label: "test"))
        let receiver = RecordingReceiver()
        let server = HTTPServer(host: "127.0.0.1", port: 0, responder: receiver, threads: 1, logger: Logger(label: "test"))
        let port = try await server.start()
        let client = HTTPClient()
        let config = try Config(yaml: """
            global: {external_labels: {replica: r1}}
            remote_write:
              - url: http://127.0.0.1:\(port)/api/v1/write
                queue_config: {batch_send_deadline: 50ms}
                protobuf_message: \(message)
            \(relabel ? "    write_relabel_configs: [{source_labels: [__name__], regex: 'drop_me', action: drop}]" : "")
            """)
        let queue = RemoteWriteQueue(name: "s", client: try RemoteWriteClient(config: config.remoteWrite[0], externalLabels: config.global.externalLabels, client: client),
                                     source: db, positionFile: nil, logger: Logger(label: "test"), pollInterval: .milliseconds(10))
        let task = Task { await queue.run() }
        var expected: [String: [Sample]] = [:]
        for t in stride(from: Int64(1_000), through: 20_000, by: 1_000) {
            let a = db.appender()
            for i in 0..<50 {
                _ = try a.append(0, Labels(["__name__": "kept", "i": String(i)]), t, Double(i))
                expected["\(Labels(["__name__": "kept", "i": String(i), "replica": "r1"]))", default: []].append(Sample(t, Double(i)))
            }
            _ = try a.append(0, Labels(["__name__": "drop_me"]), t, 1)
            if !relabel { expected["\(Labels(["__name__": "drop_me", "replica": "r1"]))", default: []].append(Sample(t, 1)) }
            try a.commit()
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while receiver.total < (relabel ? 1_000 : 1_020) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(firstDifference(expected, receiver.samples) == nil)
        #expect(queue.statistics.dropped == (relabel ? 20 : 0), "the relabel-dropped series' samples are counted, not sent")
        queue.stop(flushFor: .zero)
        await task.value
        try db.close()
        await server.shutdown()
        await client.shutdown()
    }
}
