import HearthModel
import HearthRemoteProtocol
import Testing

@Suite struct V1LabelSetsTests {
    /// What `RemoteWriteClient.prepare` does with external labels: added unless the series has
    /// the name, kept in name order.
    static func merged(_ labels: Labels, _ external: Labels) -> Labels {
        var list = Array(labels)
        for l in external where labels[l.name] == nil { list.append(l) }
        list.sort { $0.name.utf8Precedes($1.name) }
        return Labels(sorted: list)
    }

    /// Requests built from encoded sets are byte for byte the requests built from `Labels`,
    /// with external labels before, between and after a series' names, one the series
    /// overrides, empty sets, long strings and non-ASCII bytes.
    @Test(arguments: [
        Labels(),
        Labels(["cluster": "eu"]),
        Labels(["a": "first", "job": "external-loses", "zz": "last"]),
        Labels(["__address__": "x", "instance": "ext", "region": String(repeating: "r", count: 200)]),
    ])
    func encodedSetsMatchTheLabelsEncoder(external: Labels) {
        let series = [
            Labels(["__name__": "up", "job": "node", "instance": "a:9100"]),
            Labels(["__name__": "http_requests_total", "code": "200", "path": "/api/v1/ünïcödé"]),
            Labels(),
            Labels(["__name__": String(repeating: "m", count: 150), "le": "+Inf"]),
        ]
        var sets = V1LabelSets(externalLabels: external)
        for (i, labels) in series.enumerated() { sets.add(ref: UInt64(100 + i), labels) }
        #expect(sets.refs == [100, 101, 102, 103])

        var indexed: [(index: UInt32, sample: Sample)] = []
        var pairs: [(Labels, Sample)] = []
        for k in 0..<12 {
            let i = (k * 7) % series.count
            let sample = Sample(Int64(k) * 15_000 - 7, k == 5 ? .nan : Double(k) * 1.5)
            indexed.append((UInt32(i), sample))
            pairs.append((Self.merged(series[i], external), sample))
        }
        let fromSets = WriteRequestEncoder.v1(samples: indexed[...], sets: sets)
        let fromLabels = WriteRequestEncoder.v1(samples: pairs[...])
        #expect(fromSets == fromLabels)
    }
}
