import Foundation
import HearthModel
import HearthQuery
import HearthRemoteProtocol
import HearthSnappy

/// Decoders of what arrives over the network: snappy, remote write 1.0 and 2.0, remote read, a
/// pushed-down query's answer.
enum WireTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget("snappy", "snappy block decoding of raw bytes; what encodes must decode to itself") { bytes in
            if let decoded = try? Snappy.decode(bytes, limit: 1 << 20) {
                // Anything that decodes must survive a round trip.
                guard (try? Snappy.decode(Snappy.encode(decoded), limit: 1 << 20)) == decoded else {
                    fatalError("snappy round trip changed \(decoded.count) bytes")
                }
            }
            let plain = Array(bytes)
            guard (try? Snappy.decode(Snappy.encode(plain), limit: 1 << 21)) == plain else {
                fatalError("snappy round trip of the raw input failed")
            }
        },
        FuzzTarget("remote-write-v1", "prometheus.WriteRequest decoding, label validation and the ref cache's label bytes") { bytes in
            var seen = 0
            _ = try? WriteRequestDecoder.decodeV1(bytes, knownRef: { $0.count % 3 == 0 ? 1 : nil }) { series in
                seen += series.labels.count + series.samples.count + (series.labelBytes?.count ?? 0)
            }
        },
        FuzzTarget("remote-write-v2", "io.prometheus.write.v2.Request decoding: symbol references, labels, samples") { bytes in
            var seen = 0
            _ = try? WriteRequestDecoder.decodeV2(bytes) { series in
                seen += series.labels.count + series.samples.count
            }
        },
        FuzzTarget("remote-read", "prometheus.ReadRequest decoding; what decodes must encode and decode to itself") { bytes in
            guard let request = try? ReadRequest.decode(bytes) else { return }
            let again = request.encode().withUnsafeBytes { try? ReadRequest.decode($0) }
            guard again?.queries.count == request.queries.count else { fatalError("read request round trip lost queries") }
        },
        FuzzTarget("remote-read-samples", "a remote-read SAMPLES response (prometheus.ReadResponse) as a peer may send it") { bytes in
            var seen = 0
            for result in (try? ReadResponseDecoder.samples(bytes)) ?? [] {
                for s in result { seen += s.labels.count + s.samples.count }
            }
        },
        FuzzTarget("remote-read-frames", "a STREAMED_XOR_CHUNKS remote-read body: frame lengths, CRCs, ChunkedReadResponse messages") { bytes in
            var frames = ReadResponseDecoder.Frames(bytes, maxFrameBytes: 1 << 20)
            var seen = 0
            while let frame = try? frames.next() {
                for s in frame.series { seen += s.labels.count + s.chunks.reduce(0) { $0 + $1.bytes.count } }
            }
        },
        FuzzTarget("pushdown-answer", "an endpoint's query API answer, external labels added to its series (the first byte picks which)") { bytes in
            guard let first = bytes.first else { return }
            let choices = [Labels(), Labels(["cluster": "eu"]), Labels(["__name__": "x", "zone": "a\"\\\u{1}é"]), Labels(["a": "1", "job": "j", "zz": ""])]
            let labels = choices[Int(first) % choices.count]
            let body = Array(bytes.dropFirst())
            guard let out = Pushdown.addingLabels(labels, to: body) else { return }
            // Nothing changes without labels; a valid answer stays valid JSON (the whitespace
            // between a series' labels is not kept).
            guard !labels.isEmpty || out == body else { fatalError("the answer changed without labels to add") }
            if (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil,
               (try? JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed])) == nil {
                fatalError("valid JSON became invalid: \(String(decoding: out, as: UTF8.self).debugDescription)")
            }
        },
    ]
}
