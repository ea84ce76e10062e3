import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HearthTestSupport
import Testing

/// `hearth server` with Debian's real peers (prometheus, promtool, prometheus-node-exporter):
/// a Prometheus remote-writes what it scrapes (itself and a node exporter) for a minute and
/// Hearth must then hold exactly the same samples; promtool queries Hearth; a Prometheus reads
/// Hearth through remote read; a Prometheus scrapes Hearth's `/federate`.
@Suite(.serialized) struct PeerIntegrationTests {
    static let prometheus = "/usr/bin/prometheus"
    static let promtool = "/usr/bin/promtool"
    static let nodeExporter = "/usr/bin/prometheus-node-exporter"
    static let available = [prometheus, promtool, nodeExporter].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
        && BuiltProducts.executable("hearth") != nil

    static func freePort() -> Int { freeLocalPort() }

    static func get(_ url: String) async throws -> Data {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw ChildError("GET \(url): \((response as? HTTPURLResponse)?.statusCode ?? 0) \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    static func waitReady(_ base: String, _ what: String) async throws {
        for _ in 0..<150 {
            if (try? await get(base + "/-/ready")) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChildError("\(what) did not become ready at \(base)")
    }

    /// Raw samples of every series, from `{__name__=~".+"}[range]` at `time`: labels → [(t, v)].
    static func rawSamples(_ base: String, time: Double, range: String) async throws -> [String: [String]] {
        let q = "{__name__=~\".+\"}[\(range)]".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let data = try await get("\(base)/api/v1/query?query=\(q)&time=\(time)")
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var out: [String: [String]] = [:]
        for s in (json["data"] as! [String: Any])["result"] as! [[String: Any]] {
            let labels = (s["metric"] as! [String: String]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            out[labels] = (s["values"] as! [[Any]]).map { "\($0[0])=\($0[1])" }
        }
        return out
    }

    @Test(.enabled(if: available, "Debian's prometheus, promtool or prometheus-node-exporter is absent (or hearth is not built); skipping the peer integration test"))
    func prometheusPeers() async throws {
        let dir = TemporaryDirectory("hearth-peers")
        let (hearthPort, nodePort, promPort, readerPort, federatorPort) = (Self.freePort(), Self.freePort(), Self.freePort(), Self.freePort(), Self.freePort())
        var children: [ChildProcess] = []
        defer {
            for c in children {
                _ = c.kill(SIGKILL)
                _ = c.wait()
            }
        }
        let hearth = "http://127.0.0.1:\(hearthPort)"
        children.append(try ChildProcess(BuiltProducts.executable("hearth")!, [
            "server", "--storage.tsdb.path=\(dir.path)/hearth", "--web.listen-address=127.0.0.1:\(hearthPort)", "--log.level=warn",
        ], quietStderr: true))
        children.append(try ChildProcess(Self.nodeExporter, ["--web.listen-address=127.0.0.1:\(nodePort)"], quietStderr: true))
        try await Self.waitReady(hearth, "hearth")

        // A Prometheus that scrapes itself and the node exporter and remote-writes to Hearth.
        let config = """
            global:
              scrape_interval: 5s
            scrape_configs:
              - job_name: prometheus
                static_configs: [{targets: ["127.0.0.1:\(promPort)"]}]
              - job_name: node
                static_configs: [{targets: ["127.0.0.1:\(nodePort)"]}]
            remote_write:
              - url: \(hearth)/api/v1/write
                queue_config: {batch_send_deadline: 1s, max_shards: 2}
            """
        try config.write(toFile: dir.path + "/writer.yml", atomically: true, encoding: .utf8)
        let writer = "http://127.0.0.1:\(promPort)"
        children.append(try ChildProcess(Self.prometheus, [
            "--config.file=\(dir.path)/writer.yml", "--storage.tsdb.path=\(dir.path)/writer",
            "--web.listen-address=127.0.0.1:\(promPort)",
        ], quietStderr: true))
        try await Self.waitReady(writer, "the writing Prometheus")
        let started = Date().timeIntervalSince1970
        try await Task.sleep(for: .seconds(60))

        // Compare every series' raw samples over the minute, once Hearth has caught up.
        let t = (Date().timeIntervalSince1970 - 8).rounded(.down)
        let window = "\(Int(t - started - 5))s"
        var theirs: [String: [String]] = [:], ours: [String: [String]] = [:]
        for _ in 0..<30 {
            theirs = try await Self.rawSamples(writer, time: t, range: window)
            ours = try await Self.rawSamples(hearth, time: t, range: window)
            if theirs == ours { break }
            try await Task.sleep(for: .seconds(1))
        }
        let samples = theirs.values.reduce(0) { $0 + $1.count }
        print("peers: Prometheus and Hearth hold \(theirs.count) series and \(samples) samples in the last \(window); identical: \(theirs == ours)")
        #expect(theirs.count > 300, "the node exporter and Prometheus export hundreds of series")
        #expect(Set(theirs.keys) == Set(ours.keys), "series only in Prometheus: \(Set(theirs.keys).subtracting(ours.keys).prefix(5)); only in Hearth: \(Set(ours.keys).subtracting(theirs.keys).prefix(5))")
        for (k, v) in theirs where ours[k] != v {
            Issue.record("\(k): Prometheus \(v.prefix(5)), Hearth \(ours[k]?.prefix(5) ?? [])")
            break
        }

        // promtool against Hearth.
        let start = Int(started), end = Int(t)
        for args in [["query", "instant", hearth, "up"],
                     ["query", "range", "--start=\(start)", "--end=\(end)", "--step=15s", hearth, "rate(node_cpu_seconds_total[1m])"],
                     ["query", "series", "--match=up", hearth],
                     ["query", "labels", hearth, "job"]] {
            let (status, output) = try runProgram(Self.promtool, args)
            #expect(status == 0, "promtool \(args.joined(separator: " ")): \(output.prefix(300))")
            #expect(!output.isEmpty)
            if args[1] == "labels" { #expect(output.contains("node") && output.contains("prometheus")) }
            if args[1] == "series" { #expect(output.contains("job=\"node\"")) }
        }

        // A Prometheus with nothing of its own, reading Hearth through remote read.
        try """
            remote_read:
              - url: \(hearth)/api/v1/read
                read_recent: true
            """.write(toFile: dir.path + "/reader.yml", atomically: true, encoding: .utf8)
        let reader = "http://127.0.0.1:\(readerPort)"
        children.append(try ChildProcess(Self.prometheus, [
            "--config.file=\(dir.path)/reader.yml", "--storage.tsdb.path=\(dir.path)/reader",
            "--web.listen-address=127.0.0.1:\(readerPort)",
        ], quietStderr: true))
        try await Self.waitReady(reader, "the reading Prometheus")
        let throughRead = try await Self.rawSamples(reader, time: t, range: window)
        #expect(throughRead == ours, "remote read returned \(throughRead.count) series, Hearth holds \(ours.count)")

        // A Prometheus federating from Hearth.
        try """
            global:
              scrape_interval: 2s
            scrape_configs:
              - job_name: federate
                honor_labels: true
                metrics_path: /federate
                params: {"match[]": ['{job="node"}']}
                static_configs: [{targets: ["127.0.0.1:\(hearthPort)"]}]
            """.write(toFile: dir.path + "/federator.yml", atomically: true, encoding: .utf8)
        let federator = "http://127.0.0.1:\(federatorPort)"
        children.append(try ChildProcess(Self.prometheus, [
            "--config.file=\(dir.path)/federator.yml", "--storage.tsdb.path=\(dir.path)/federator",
            "--web.listen-address=127.0.0.1:\(federatorPort)",
        ], quietStderr: true))
        try await Self.waitReady(federator, "the federating Prometheus")
        var federated = 0
        for _ in 0..<40 {
            let data = try await Self.get("\(federator)/api/v1/query?query=count(%7Bjob%3D%22node%22%7D)")
            let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            if let r = ((json["data"] as! [String: Any])["result"] as! [[String: Any]]).first,
               let v = Int((r["value"] as! [Any])[1] as! String) {
                federated = v
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        // What Hearth itself has live for job="node" now (series that went stale are not federated).
        let data = try await Self.get("\(hearth)/api/v1/query?query=count(%7Bjob%3D%22node%22%7D)")
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let live = Int((((json["data"] as! [String: Any])["result"] as! [[String: Any]])[0]["value"] as! [Any])[1] as! String)!
        print("peers: the federating Prometheus holds \(federated) series of job=\"node\" (Hearth: \(live) live)")
        #expect(federated == live && federated > 100)
    }
}
