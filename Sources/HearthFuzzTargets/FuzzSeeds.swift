import HearthBlock
import HearthChunks
import HearthFileIO
import HearthModel
import Logging
import HearthRemoteProtocol
import HearthSnappy
import HearthStorage
import HearthTSDB
import HearthWAL

/// Valid inputs to start each target from, built with Hearth's own writers (so the fuzzer
/// begins inside the formats, past their magic numbers and checksums). `hearth-fuzz seed DIR`
/// writes them to `DIR/<target>/`; the committed corpus under `Fuzz/corpus/` was made so.
public enum FuzzSeeds {
    public static func seeds(for target: String) -> [[UInt8]] {
        switch target {
        case "promql-parse":
            // Nesting around the limit, so the fuzzer starts where depth bugs live.
            return (queries + [String(repeating: "(", count: 499) + "1" + String(repeating: ")", count: 499),
                               Array(repeating: "x", count: 600).joined(separator: " or "),
                               "up" + String(repeating: "[1m:]", count: 300)]).map { Array($0.utf8) }
        case "promql-eval", "http-api": return (0..<12).map { n in (0..<(n * 7)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ n) } }
        case "snappy": return [Snappy.encode(Array(exposition.utf8)), Snappy.encode(Array(repeating: 0x61, count: 300)), []]
        case "remote-write-v1": return [WriteRequestEncoder.v1(writeSeries)]
        case "remote-write-v2": return [WriteRequestEncoder.v2(writeSeries)]
        case "remote-read": return [readRequest.encode()]
        case "remote-read-samples":
            return [ReadResponseEncoder.samples([writeSeries.map { ReadResponseEncoder.SeriesSamples(labels: $0.0, samples: $0.1) }, []])]
        case "remote-read-frames":
            let chunks = writeSeries.map { s in
                (s.0, ChunkData.encode(s.1).map { ReadResponseEncoder.XORChunk(minTime: $0.minTime, maxTime: $0.maxTime, bytes: $0.bytes) })
            }
            return [ReadResponseEncoder.chunkedFrame(chunks, queryIndex: 0) + ReadResponseEncoder.chunkedFrame(Array(chunks.prefix(1)), queryIndex: 1)]
        case "pushdown-answer":
            let matrix = #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"node"},"values":[[1.5,"1"],[2.5,"NaN"]]},{"metric":{},"values":[[1,"+Inf"]]}]},"warnings":["w"]}"#
            let vector = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"\"x\"","b":"é"},"value":[1,"2"]}]}}"#
            return [[1] + Array(matrix.utf8), [2] + Array(vector.utf8), [3] + Array(#"{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}"#.utf8)]
        case "exposition-text": return [Array(exposition.utf8)]
        case "openmetrics": return [Array(openMetrics.utf8)]
        case "regex": return [String(repeating: "(", count: 1000) + "a" + String(repeating: ")", count: 1000) + "\na", "a.*b\naxxb", "(?i)get|post\nPOST", "^(\\d+)ms$\n250ms", "[[:alpha:]]+\\.(?P<ext>\\w+)\nfile.txt",
                              "\\p{Greek}+\nαβγ"].map { Array($0.utf8) }
        case "template": return [String(repeating: "{{if 1}}", count: 256) + "x" + String(repeating: "{{end}}", count: 256),
                                 "{{define \"a\"}}{{template \"a\" .}}{{end}}{{template \"a\" .}}",
                                 "{{ $labels.job }} is down ({{ $value | humanize }})", "{{ range $k, $v := .Labels }}{{ $k }}={{ $v }} {{ end }}",
                                 "{{ if gt .Value 1.0 }}high{{ else }}low{{ end }} {{ printf \"%.2f\" .Value }}"].map { Array($0.utf8) }
        case "config": return [Array(config.utf8)]
        case "rule-file": return [Array(rules.utf8)]
        case "target-groups": return [#"[{"targets": ["a:9100", "b:9100"], "labels": {"job": "node", "env": "prod"}}, {"targets": []}]"#,
                                      "- targets: ['localhost:9090']\n  labels:\n    job: prometheus\n"].map { Array($0.utf8) }
        case "chunk": return chunks
        case "wal-record": return walRecords
        case "wal-segment": return [walSegment]
        case "block-meta": return [Array(#"{"ulid":"01JD3X0000000000000000000A","minTime":0,"maxTime":7200000,"stats":{"numSamples":240,"numSeries":2,"numChunks":2},"compaction":{"level":1,"sources":["01JD3X0000000000000000000A"]},"version":1}"#.utf8)]
        case "tombstones":
            var t = Tombstones()
            t.add(1, DeletedInterval(0, 1000))
            t.add(7, DeletedInterval(-5, Int64.max))
            return [t.encoded()]
        case "block": return block()
        case "data-directory": return dataDirectory()
        default: return []
        }
    }

    static let queries = [
        "up", "rate(http_requests_total{job=~\"api|web\"}[5m])", "sum by (job) (rate(x[1m])) / ignoring(le) group_left y",
        "histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))", "max_over_time(deriv(rate(x[1m])[5m:1m])[10m:])",
        "x offset -1h @ 1609746000", "topk(3, count_values(\"v\", up))", "label_replace(up, \"a\", \"$1\", \"job\", \"(.*)\")",
        "{\"my.metric\", \"label.name\"=\"x\"}", "-2 ^ 3 ^ 2 % 0x10 + 0755 - 1_000 * 1e-3", "quantile_over_time(0.5, x[1h:5m] @ end())",
        "absent(nonexistent{job=\"a\"}) or vector(time())", "clamp(x, -Inf, +Inf) > bool NaN", "x unless on() y and z",
        "`raw\\string`", "sum without (instance) (x) # comment",
    ]

    static let exposition = """
        # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
        # TYPE node_cpu_seconds_total counter
        node_cpu_seconds_total{cpu="0",mode="idle"} 123456.78
        node_cpu_seconds_total{cpu="0",mode="user"} 1.5e3 1700000000000
        # TYPE h histogram
        h_bucket{le="0.1"} 1
        h_bucket{le="+Inf"} 3
        h_sum 0.7
        h_count 3
        escaped{path="C:\\\\dir\\"x\\"\\n"} NaN

        """

    static let openMetrics = """
        # TYPE a counter
        # HELP a A counter.
        a_total{l="v"} 1.0 # {trace_id="abc"} 1.0 1700000000.5
        a_created{l="v"} 1700000000.0
        # TYPE g gauge
        # UNIT g seconds
        g_seconds 2.5e-3
        # EOF

        """

    static let config = """
        global:
          scrape_interval: 15s
          external_labels: {cluster: a}
        rule_files: [rules/*.yml]
        scrape_configs:
          - job_name: node
            static_configs: [{targets: ["localhost:9100"], labels: {env: prod}}]
            relabel_configs:
              - {source_labels: [__address__], regex: "(.*):9100", target_label: host, replacement: "$1"}
              - {action: hashmod, source_labels: [host], modulus: 4, target_label: shard}
            metric_relabel_configs: [{action: drop, source_labels: [__name__], regex: "go_.*"}]
        remote_write:
          - url: http://localhost:9090/api/v1/write
            queue_config: {max_shards: 4}
            write_relabel_configs: [{action: labeldrop, regex: tmp_.*}]
        alerting:
          alertmanagers: [{static_configs: [{targets: ["localhost:9093"]}]}]

        """

    static let rules = """
        groups:
          - name: example
            interval: 30s
            rules:
              - record: job:up:sum
                expr: sum by (job) (up)
              - alert: Down
                expr: up == 0
                for: 5m
                keep_firing_for: 1m
                labels: {severity: page}
                annotations: {summary: "{{ $labels.instance }} down for {{ $value | humanizeDuration }}"}

        """

    static var writeSeries: [(Labels, [Sample])] {
        [(Labels(["__name__": "up", "job": "a"]), [Sample(0, 1), Sample(15_000, 0), Sample(30_000, StaleMarker.value)]),
         (Labels(["__name__": "x", "le": "+Inf"]), [Sample(-1, .nan), Sample(Int64.max, .infinity)])]
    }

    static var readRequest: ReadRequest {
        var r = ReadRequest()
        var q = ReadQuery()
        q.startMs = 0
        q.endMs = 3_600_000
        q.matchers = [(.equal, "__name__", "up"), (.regexMatch, "job", "a|b")]
        r.queries = [q]
        r.acceptedResponseTypes = [.streamedXORChunks]
        return r
    }

    static var chunks: [[UInt8]] {
        var xor = XORAppender()
        for i in 0..<130 { xor.append(timestamp: Int64(i) * 15_000 + (i % 3 == 0 ? 7 : 0), value: i % 5 == 0 ? .nan : Double(i) * 1.25) }
        return [[0] + xor.bytes]
    }

    static var walRecords: [[UInt8]] {
        var series: [UInt8] = []
        WALRecordCodec.encodeSeries([WALSeries(ref: 1, labels: Labels(["__name__": "up", "job": "a"]))], into: &series)
        var samples: [UInt8] = []
        WALRecordCodec.encodeSamples([WALSample(ref: 1, timestamp: 0, value: 1), WALSample(ref: 1, timestamp: 15_000, value: 2)], into: &samples)
        return [series, samples]
    }

    static var walSegment: [UInt8] {
        var out: [UInt8] = []
        var scratch: [UInt8] = []
        WALRecordCodec.frameBatch(series: [WALSeries(ref: 1, labels: Labels(["__name__": "up", "job": "a"]))],
                                  samples: (0..<20).map { WALSample(ref: 1, timestamp: Int64($0) * 15_000, value: Double($0)) },
                                  into: &out, scratch: &scratch)
        return out
    }

    /// A data directory with a little data, written by a real DB.
    static func writeDatabase(_ dir: TemporaryDirectory, snapshot: Bool) -> DB? {
        var options = DB.Options(path: dir.path)
        options.head.stripeCount = 16
        options.snapshotOnShutdown = snapshot
        guard let db = try? DB(options: options, logger: FuzzTargets.silent) else { return nil }
        let appender = db.appender()
        for i in 0..<300 {
            _ = try? appender.append(0, Labels(["__name__": "up", "job": "a"]), Int64(i) * 15_000, Double(i % 7))
            _ = try? appender.append(0, Labels(["__name__": "x", "k": "v\u{e9}"]), Int64(i) * 15_000, Double(i) * 0.5)
        }
        try? appender.commit()
        return db
    }

    static func block() -> [[UInt8]] {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        guard let db = writeDatabase(dir, snapshot: false), let name = try? db.snapshot(withHead: true) else { return [] }
        try? db.close()
        let root = dir.path + "/snapshots/" + name
        guard let ulid = (try? FileSystem.list(root))?.first,
              let meta = try? FileSystem.readFile(root + "/" + ulid + "/meta.json"),
              let index = try? FileSystem.readFile(root + "/" + ulid + "/index"),
              let chunks = try? FileSystem.readFile(root + "/" + ulid + "/chunks/000001") else { return [] }
        var valid = FuzzInputBuilder()
        valid.bool(true)
        valid.choice(1, of: 4)
        valid.bytes(chunks ?? [], maxLength: 4096)
        valid.rest(index ?? [])
        var ownMeta = FuzzInputBuilder()
        ownMeta.bool(false)
        ownMeta.bytes(meta ?? [], maxLength: 512)
        ownMeta.choice(1, of: 4)
        ownMeta.bytes(chunks ?? [], maxLength: 4096)
        ownMeta.rest(index ?? [])
        return [valid.bytes, ownMeta.bytes]
    }

    static func dataDirectory() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for snapshot in [false, true] {
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            guard let db = writeDatabase(dir, snapshot: snapshot) else { continue }
            try? db.close()
            let read = { (name: String) in ((try? FileSystem.readFile(dir.path + "/" + name)) ?? nil) ?? [] }
            var b = FuzzInputBuilder()
            b.bool(false)
            let snapshotBytes = read("head.snapshot")
            b.bool(!snapshotBytes.isEmpty)
            if !snapshotBytes.isEmpty { b.bytes(snapshotBytes, maxLength: 4096) }
            b.bool(false)
            b.bool(false)
            b.bytes(read("chunks_head/000001"), maxLength: 4096)
            b.rest(read("wal/00000000"))
            out.append(b.bytes)
        }
        // The same records, as payloads the target frames itself (checksums fixed).
        var framed = FuzzInputBuilder()
        framed.bool(true)
        framed.bool(false)
        framed.bool(false)
        framed.bool(false)
        framed.choice(0, of: 4)
        for record in walRecords { framed.bytes(record, maxLength: 300) }
        out.append(framed.bytes)
        return out
    }
}

/// Writes what ``FuzzInput`` reads, so seeds can be packed in its layout.
struct FuzzInputBuilder {
    var bytes: [UInt8] = []

    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    mutating func choice(_ i: Int, of n: Int) {
        if n <= 256 { bytes.append(UInt8(i)) } else { bytes += [UInt8(i >> 8), UInt8(i & 0xFF)] }
    }

    /// At most `maxLength` bytes (longer input is cut).
    mutating func bytes(_ data: [UInt8], maxLength: Int) {
        let n = min(data.count, maxLength)
        choice(n, of: maxLength + 1)
        bytes += data.prefix(n)
    }

    mutating func rest(_ data: [UInt8]) { bytes += data }
}
