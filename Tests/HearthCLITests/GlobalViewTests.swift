import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HearthHTTPClient
import NIOHTTP1
import HearthModel
import HearthRemoteProtocol
import HearthSnappy
import HearthTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hearth query` over two HA pairs of Debian's Prometheus (four processes, external labels
/// `{cluster, replica}`) and one `hearth server`, all scraping node exporters: the deduplicated
/// union of what the five hold, checked against each server's own API; a replica stopped mid-run;
/// an endpoint that never answers; promtool against the querier. Needs `prometheus`, `promtool`
/// and `prometheus-node-exporter` (Debian); skipped without them.
@Suite(.serialized) struct GlobalViewTests {
    static let nodeExporter = "/usr/bin/prometheus-node-exporter"
    static var peersInstalled: Bool {
        peerInstalled(Peers.prometheus) && peerInstalled(Promtool.path) && peerInstalled(nodeExporter)
    }

    /// `hearth query` as a child process.
    final class QueryProcess: @unchecked Sendable {
        let child: ChildProcess
        let port: Int
        init(_ args: [String], port: Int) throws {
            guard let hearth = BuiltProducts.executable("hearth") else { throw ChildError("hearth not built") }
            self.port = port
            child = try ChildProcess(hearth, ["query", "--web.listen-address=127.0.0.1:\(port)"] + args, mergeStderr: true)
        }
        var url: String { "http://127.0.0.1:\(port)" }
    }

    static func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    /// Label sets of a vector or matrix result, as sorted dictionaries' descriptions.
    /// An instant query's samples by their labels.
    static func samples(_ data: Any?) -> [[String: String]: Double] {
        var out: [[String: String]: Double] = [:]
        for s in (data as? [String: Any])?["result"] as? [[String: Any]] ?? [] {
            if let labels = s["metric"] as? [String: String], let pair = s["value"] as? [Any], pair.count == 2, let v = pair[1] as? String {
                out[labels] = Double(v)
            }
        }
        return out
    }

    static func labelSets(_ data: Any?) -> Set<[String: String]> {
        let result = ((data as? [String: Any])?["result"] as? [[String: Any]]) ?? (data as? [[String: Any]]) ?? []
        return Set(result.map { ($0["metric"] as? [String: String]) ?? ($0 as? [String: String]) ?? [:] })
    }

    @Test(.enabled(if: peersInstalled, "needs Debian's prometheus, promtool and prometheus-node-exporter; skipping"))
    func globalViewOverTwoHAPairsAndAHearthServer() async throws {
        let tmp = TemporaryDirectory("hearth-global-view")
        var children: [ChildProcess] = []
        defer { for c in children { _ = c.kill(SIGKILL) } }

        // Two node exporters with few collectors (fast scrapes).
        let exporterPorts = [freeLocalPort(), freeLocalPort()]
        for port in exporterPorts {
            children.append(try ChildProcess(Self.nodeExporter, [
                "--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults", "--collector.cpu", "--collector.loadavg",
                "--collector.meminfo",
            ], quietStderr: true))
        }
        // Pair a scrapes the first exporter, pair b the second; 1 s intervals.
        var prometheusURLs: [String: String] = [:]  // "a/0" -> URL
        for (cluster, exporter) in [("a", exporterPorts[0]), ("b", exporterPorts[1])] {
            for replica in ["0", "1"] {
                let port = freeLocalPort()
                let dir = tmp.path + "/prom-\(cluster)\(replica)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try """
                global:
                  scrape_interval: 1s
                  external_labels: {cluster: \(cluster), replica: "\(replica)"}
                scrape_configs:
                  - job_name: node
                    static_configs: [{targets: ['127.0.0.1:\(exporter)']}]
                """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
                children.append(try ChildProcess(Peers.prometheus, [
                    "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data", "--web.listen-address=127.0.0.1:\(port)",
                ], quietStderr: true))
                prometheusURLs["\(cluster)/\(replica)"] = "http://127.0.0.1:\(port)"
            }
        }
        // A Hearth server as cluster c, scraping both exporters.
        let hearthPort = freeLocalPort()
        try """
        global:
          scrape_interval: 1s
          external_labels: {cluster: c}
        scrape_configs:
          - job_name: node
            static_configs: [{targets: ['127.0.0.1:\(exporterPorts[0])', '127.0.0.1:\(exporterPorts[1])']}]
        """.write(toFile: tmp.path + "/hearth.yml", atomically: true, encoding: .utf8)
        let hearth = try HearthServerProcess(["--config.file=\(tmp.path)/hearth.yml", "--storage.tsdb.path=\(tmp.path)/hearth"], port: hearthPort)
        children.append(hearth.child)

        let serverURLs = prometheusURLs.keys.sorted().map { prometheusURLs[$0]! } + [hearth.url]
        let endpoints = serverURLs.map { "--endpoint=\($0.dropFirst("http://".count))" }
        let query = try QueryProcess(endpoints + ["--query.replica-label=replica", "--endpoint.timeout=10s", "--endpoint.check-interval=1s"],
                                     port: freeLocalPort())
        children.append(query.child)
        for url in serverURLs + [query.url] {
            #expect(await Peers.waitForHTTP(url + "/-/ready", seconds: 90), "\(url) ready")
        }
        // Wait until every server has scraped for a while and the querier knows every endpoint's labels.
        // Every replica on its own (dedup=false), so that stopping one later leaves the other
        // with data across the whole failover window.
        let clustersReady = await waitUntil(seconds: 90) {
            let data = await Peers.apiData(query.url + "/api/v1/query?dedup=false&query="
                                           + Self.encode("count by (cluster, replica) (count_over_time(up[15s]) >= 13)"))
            return Self.labelSets(data).count == 5
        }
        try #require(clustersReady, "every server has 13 s of data, read through hearth query")

        // Instant query: the deduplicated union, checked against each server's own answer.
        let t = Int(Date().timeIntervalSince1970) - 2
        var expected = Set<[String: String]>()
        for (key, url) in prometheusURLs {
            for var l in Self.labelSets(await Peers.apiData(url + "/api/v1/query?query=up&time=\(t)")) {
                l["cluster"] = String(key.prefix(1))
                expected.insert(l)
            }
        }
        for var l in Self.labelSets(await Peers.apiData(hearth.url + "/api/v1/query?query=up&time=\(t)")) {
            l["cluster"] = "c"
            expected.insert(l)
        }
        let got = Self.labelSets(await Peers.apiData(query.url + "/api/v1/query?query=up&time=\(t)"))
        #expect(got == expected, "up through hearth query")
        #expect(got.count == 4, "a, b and c's two targets")
        let undeduplicated = Self.labelSets(await Peers.apiData(query.url + "/api/v1/query?query=up&time=\(t)&dedup=false"))
        #expect(undeduplicated.count == 6, "with dedup=false every replica's series: \(undeduplicated)")

        // Series, label names and values: the union of the servers' own, plus the external labels.
        let window = "start=\(t - 5)&end=\(t)"
        var seriesExpected = Set<[String: String]>()
        var namesExpected: Set<String> = ["cluster"]
        var jobsExpected = Set<String>()
        for (key, url) in prometheusURLs.map({ ($0.key, $0.value) }) + [("c", hearth.url)] {
            for var l in Self.labelSets(await Peers.apiData(url + "/api/v1/series?match[]=node_load1&\(window)")) {
                l["cluster"] = String(key.prefix(1))
                seriesExpected.insert(l)
            }
            namesExpected.formUnion(await Peers.apiData(url + "/api/v1/labels?\(window)") as? [String] ?? [])
            jobsExpected.formUnion(await Peers.apiData(url + "/api/v1/label/job/values?\(window)") as? [String] ?? [])
        }
        #expect(Self.labelSets(await Peers.apiData(query.url + "/api/v1/series?match[]=node_load1&\(window)")) == seriesExpected)
        #expect(Set(await Peers.apiData(query.url + "/api/v1/labels?\(window)") as? [String] ?? []) == namesExpected)
        #expect(Set(await Peers.apiData(query.url + "/api/v1/label/job/values?\(window)") as? [String] ?? []) == jobsExpected)
        #expect(await Peers.apiData(query.url + "/api/v1/label/cluster/values") as? [String] == ["a", "b", "c"])
        #expect(await Peers.apiData(query.url + "/api/v1/label/replica/values") as? [String] == [], "replica labels are deduplicated away")

        // Metric metadata: the Hearth server's (from its scrapes) as Prometheus's for the same
        // exporters, and hearth query's the union of every server's.
        func metadata(_ url: String, _ query: String = "") async -> [String: Set<[String: String]>] {
            let data = await Peers.apiData(url + "/api/v1/metadata" + query) as? [String: [[String: String]]] ?? [:]
            return data.mapValues { Set($0) }
        }
        let hearthMetadata = await metadata(hearth.url)
        var unionMetadata: [String: Set<[String: String]>] = [:]
        for url in prometheusURLs.values {
            let own = await metadata(url)
            for name in ["node_cpu_seconds_total", "node_load1", "node_memory_MemTotal_bytes"] {
                #expect(own[name] != nil && hearthMetadata[name] == own[name], "\(name): Hearth \(String(describing: hearthMetadata[name])), Prometheus \(String(describing: own[name]))")
            }
            unionMetadata.merge(own) { $0.union($1) }
        }
        unionMetadata.merge(hearthMetadata) { $0.union($1) }
        #expect(await metadata(query.url) == unionMetadata, "hearth query's metadata is every server's")
        #expect(await metadata(query.url, "?metric=node_load1") == ["node_load1": unionMetadata["node_load1"] ?? []])
        #expect(await metadata(query.url, "?limit=2").count == 2)

        // A range query: each step's value is one of the replicas' own values at that step.
        let rangeQuery = "/api/v1/query_range?query=" + Self.encode("node_memory_MemTotal_bytes") + "&start=\(t - 5)&end=\(t)&step=1"
        let merged = (await Peers.apiData(query.url + rangeQuery) as? [String: Any])?["result"] as? [[String: Any]] ?? []
        #expect(merged.count == 4, "one series per target: a's and b's exporter, and c's two")
        for series in merged {
            let cluster = (series["metric"] as? [String: String])?["cluster"] ?? ""
            let sources = cluster == "c" ? [hearth.url] : [prometheusURLs["\(cluster)/0"]!, prometheusURLs["\(cluster)/1"]!]
            var allowed: [[String]] = []
            for url in sources {
                let own = (await Peers.apiData(url + rangeQuery) as? [String: Any])?["result"] as? [[String: Any]] ?? []
                let forExporter = own.filter { ($0["metric"] as? [String: String])?["instance"] == (series["metric"] as? [String: String])?["instance"] }
                allowed.append((forExporter.first?["values"] as? [[Any]] ?? []).map { "\($0[0])=\($0[1])" })
            }
            for point in (series["values"] as? [[Any]] ?? []).map({ "\($0[0])=\($0[1])" }) {
                #expect(allowed.contains { $0.contains(point) }, "\(cluster): \(point) is one replica's value at that step")
            }
        }

        // Queriers stack: a second hearth query reading the first (its remote read) answers the same.
        let stacked = try QueryProcess(["--endpoint=127.0.0.1:\(query.port)"], port: freeLocalPort())
        children.append(stacked.child)
        #expect(await Peers.waitForHTTP(stacked.url + "/-/ready", seconds: 60))
        #expect(Self.labelSets(await Peers.apiData(stacked.url + "/api/v1/query?query=up&time=\(t)")) == got, "stacked querier")

        // Pushdown: over one Prometheus and the Hearth server, a query whose selectors only one
        // of them can hold is answered by that server's own engine, the same as the fan-out.
        let pair = ["--endpoint=\(prometheusURLs["a/0"]!.dropFirst("http://".count))", "--endpoint=127.0.0.1:\(hearthPort)",
                    "--query.replica-label=replica", "--endpoint.check-interval=1s"]
        let plain = try QueryProcess(pair, port: freeLocalPort())
        let pushing = try QueryProcess(pair + ["--query.pushdown"], port: freeLocalPort())
        children += [plain.child, pushing.child]
        for q in [plain, pushing] { #expect(await Peers.waitForHTTP(q.url + "/-/ready", seconds: 60)) }
        let pushed = [#"sum by (mode) (rate(node_cpu_seconds_total{cluster="a"}[30s]))"#,
                      #"rate(node_cpu_seconds_total{cluster="a", mode="idle"}[30s])"#, #"topk(2, node_load1{cluster="c"})"#]
        for expr in pushed + ["count(up)"] {
            let path = "/api/v1/query?query=" + Self.encode(expr) + "&time=\(t)"
            let want = Self.samples(await Peers.apiData(plain.url + path)), got = Self.samples(await Peers.apiData(pushing.url + path))
            #expect(!want.isEmpty && Set(got.keys) == Set(want.keys), "\(expr): \(got) vs \(want)")
            for (labels, value) in want {
                let other = got[labels] ?? .nan
                #expect(abs(other - value) <= 1e-9 * max(1, abs(value)), "\(expr) \(labels): pushed down \(other), fanned out \(value)")
            }
        }
        let (exposition, _) = try await URLSession.shared.data(from: URL(string: pushing.url + "/metrics")!)
        let metricsText = String(decoding: exposition, as: UTF8.self)
        #expect(metricsText.contains("hearth_query_pushdowns_total{result=\"answered\"} \(pushed.count)"), "\(metricsText)")
        #expect(metricsText.contains("hearth_query_pushdowns_total{result=\"declined\"} 1"))

        // Remote read itself, as Prometheus serves it: the external labels on every series,
        // and a matcher on one answered against its value. Hearth's server does the same.
        for (url, cluster) in [(prometheusURLs["a/1"]!, "a"), (hearth.url, "c")] {
            let matching = try await Self.remoteRead(url, [("__name__", "up"), ("cluster", cluster)], start: (t - 5) * 1000, end: t * 1000)
            #expect(!matching.isEmpty && matching.allSatisfy { $0["cluster"] == cluster }, "\(url): \(matching)")
            let other = try await Self.remoteRead(url, [("__name__", "up"), ("cluster", "elsewhere")], start: (t - 5) * 1000, end: t * 1000)
            #expect(other.isEmpty, "\(url): \(other)")
        }

        // Federation too attaches them, in both.
        for (url, cluster) in [(prometheusURLs["a/1"]!, "a"), (hearth.url, "c")] {
            let (data, _) = try await URLSession.shared.data(from: URL(string: url + "/federate?match[]=up")!)
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("up{") }
            #expect(!lines.isEmpty && lines.allSatisfy { $0.contains("cluster=\"\(cluster)\"") }, "\(url): \(lines)")
        }

        // promtool against the querier.
        for args in [["query", "instant", query.url, "up"], ["query", "range", "--start=\(t - 5)", "--end=\(t)", "--step=1s", query.url, "up"],
                     ["query", "series", "--match=up", query.url], ["query", "labels", query.url, "cluster"]] {
            let (status, out) = try await runProgramOnOwnThread(Promtool.path, args)
            let text = String(decoding: out, as: UTF8.self)
            #expect(status == 0, "promtool \(args.joined(separator: " ")): \(text)")
            #expect(text.contains("a") && text.contains("c"), "promtool \(args[1]): \(text.prefix(300))")
        }

        // Failover: stop replica a/0; a rate() over the switch has a value at every step.
        let stoppedAt = Int(Date().timeIntervalSince1970)
        try await Peers.stop(children[2])  // exporters first, then a/0
        let settled = await waitUntil(seconds: 30) { Int(Date().timeIntervalSince1970) >= stoppedAt + 8 }
        #expect(settled)
        let failover = "/api/v1/query_range?query=" + Self.encode("rate(node_cpu_seconds_total{cluster=\"a\",cpu=\"0\",mode=\"idle\"}[5s])")
            + "&start=\(stoppedAt - 6)&end=\(stoppedAt + 6)&step=1"
        let over = (await Peers.apiData(query.url + failover) as? [String: Any])?["result"] as? [[String: Any]] ?? []
        #expect(over.count == 1, "one series across the failover")
        let steps = (over.first?["values"] as? [[Any]] ?? []).compactMap { ($0[0] as? Double).map(Int.init) }
        #expect(steps == Array((stoppedAt - 6)...(stoppedAt + 6)), "a value at every 1 s step: \(steps)")
        if steps != Array((stoppedAt - 6)...(stoppedAt + 6)) {
            for dedup in ["true", "false"] {
                let raw = "/api/v1/query?query=" + Self.encode("node_cpu_seconds_total{cluster=\"a\",cpu=\"0\",mode=\"idle\"}[25s]")
                    + "&time=\(stoppedAt + 6)&dedup=\(dedup)"
                let series = (await Peers.apiData(query.url + raw) as? [String: Any])?["result"] as? [[String: Any]] ?? []
                for s in series { print("dedup=\(dedup) \(s["metric"] ?? ""): \((s["values"] as? [[Any]] ?? []).map { "\($0[0])" })") }
            }
        }
        print("global view: \(got.count) deduplicated up series over \(serverURLs.count) endpoints; failover steps \(steps.count)/13")

        // An endpoint that takes connections and never answers: a warning within the timeout,
        // or an error without partial responses.
        let silent = try SilentListener()
        defer { silent.close() }
        // The live endpoints (a/0 was stopped) and the silent one, from a discovery file.
        let live = serverURLs.filter { $0 != prometheusURLs["a/0"]! }.map { String($0.dropFirst("http://".count)) }
        let targets = (live + ["127.0.0.1:\(silent.port)"]).map { "\"\($0)\"" }.joined(separator: ", ")
        try "[{\"targets\": [\(targets)]}]".write(toFile: tmp.path + "/endpoints.json", atomically: true, encoding: .utf8)
        let strict = try QueryProcess(["--endpoint.sd-files=\(tmp.path)/endpoints.json", "--query.replica-label=replica",
                                       "--endpoint.timeout=2s", "--endpoint.check-interval=1s"], port: freeLocalPort())
        children.append(strict.child)
        #expect(await Peers.waitForHTTP(strict.url + "/-/ready", seconds: 60))
        let discovered = await waitUntil(seconds: 30) {
            (await Peers.apiData(strict.url + "/api/v1/status/endpoints") as? [[String: Any]])?.count == 5
        }
        #expect(discovered, "the five endpoints of the discovery file")
        let clock = ContinuousClock()
        let started = clock.now
        let answer = await Peers.json(strict.url + "/api/v1/query?query=up") as? [String: Any]
        #expect(clock.now - started < .seconds(15))
        #expect(answer?["status"] as? String == "success")
        let warnings = answer?["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.contains("127.0.0.1:\(silent.port)") }, "\(warnings)")
        let (data, response) = try await URLSession.shared.data(from: URL(string: strict.url + "/api/v1/query?query=up&partial_response=false")!)
        #expect((response as? HTTPURLResponse)?.statusCode != 200)
        #expect(String(decoding: data, as: UTF8.self).contains("127.0.0.1:\(silent.port)"))
        let status = await Peers.apiData(strict.url + "/api/v1/status/endpoints") as? [[String: Any]] ?? []
        #expect(status.count == 5)
        #expect(status.contains { $0["address"] as? String == "127.0.0.1:\(silent.port)" && $0["health"] as? String == "down" })
        #expect(status.filter { ($0["labels"] as? [String: String])?["cluster"] == "a" }.count == 1)
        #expect(status.filter { $0["health"] as? String == "up" }.count == 4, "\(status)")
    }

    /// The label sets a remote read (`SAMPLES`) answers for equality matchers.
    static func remoteRead(_ url: String, _ matchers: [(String, String)], start: Int, end: Int) async throws -> [[String: String]] {
        var query = ReadQuery()
        query.startMs = Int64(start)
        query.endMs = Int64(end)
        query.matchers = matchers.map { (.equal, $0.0, $0.1) }
        var read = ReadRequest()
        read.queries = [query]
        read.acceptedResponseTypes = [.samples]
        // Hearth's client: Foundation's refuses a snappy Content-Encoding in responses.
        let client = HTTPClient()
        let response: HTTPClientResponse
        do {
            response = try await client.execute(method: .POST, url: HTTPURL(url + "/api/v1/read"), headers: [
                ("Content-Type", "application/x-protobuf"), ("Content-Encoding", "snappy"), ("X-Prometheus-Remote-Read-Version", "0.1.0"),
            ], body: Snappy.encode(read.encode()), timeout: 30_000)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        #expect(response.status == 200, "\(url): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        let body = try response.body.withUnsafeBytes { try Snappy.decode($0, limit: 64 << 20) }
        let results = try body.withUnsafeBytes { try ReadResponseDecoder.samples($0) }
        return (results.first ?? []).map { s in Dictionary(uniqueKeysWithValues: s.labels.map { ($0.name, $0.value) }) }
    }

    /// Polls `condition` every 500 ms until it holds or `seconds` pass.
    func waitUntil(seconds: Double, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(500))
        }
        return false
    }
}
