import HearthChunks
import HearthModel

extension ChunkData {
    /// Encodes samples (in time order) as XOR chunks of at most `perChunk` samples.
    public static func encode(_ samples: some Collection<Sample>, perChunk: Int = ChunkLimits.samplesPerChunk) -> [ChunkData] {
        var out: [ChunkData] = []
        var app = XORAppender()
        var first: Int64 = 0
        for s in samples {
            if app.count == 0 { first = s.timestamp }
            app.append(timestamp: s.timestamp, value: s.value)
            if Int(app.count) >= perChunk {
                out.append(ChunkData(minTime: first, maxTime: s.timestamp, bytes: app.bytes))
                app = XORAppender()
            }
        }
        if app.count > 0 { out.append(ChunkData(minTime: first, maxTime: app.lastTimestamp, bytes: app.bytes)) }
        return out
    }

    /// Every sample of the chunk (empty if it is not XOR or does not decode).
    public func decodedSamples() -> [Sample] {
        var out: [Sample] = []
        var ts: [Int64] = [], vs: [Double] = []
        appendSamples(in: .min ... .max, to: &out, timestamps: &ts, values: &vs)
        return out
    }

    /// Appends the chunk's samples within `range` to `out`, decoding through the two scratch
    /// buffers (reused across chunks by the caller). False, with nothing appended, if it does
    /// not decode; a chunk of another encoding (native histograms, not read yet) adds nothing.
    @discardableResult
    func appendSamples(in range: ClosedRange<Int64>, to out: inout [Sample], timestamps ts: inout [Int64], values vs: inout [Double]) -> Bool {
        ts.removeAll(keepingCapacity: true)
        vs.removeAll(keepingCapacity: true)
        let ok: Bool = bytes.withUnsafeBytes { raw in
            do throws(ChunkDecodeError) {
                switch encoding {
                case .xor: try decodeXORChunk(raw, timestamps: &ts, values: &vs)
                case .decimal: try decodeChunk(raw, as: DecimalDecoder.self, timestamps: &ts, values: &vs)
                default: break
                }
                return true
            } catch { return false }
        }
        guard ok else { return false }
        for i in ts.indices where range.contains(ts[i]) { out.append(Sample(ts[i], vs[i])) }
        return true
    }

    /// The chunk as Prometheus can read it: a head's decimal chunk converted to XOR, any other
    /// chunk as it is. For everything that leaves the process or goes to disk (blocks, remote read).
    public var portable: ChunkData {
        guard encoding == .decimal else { return self }
        // Head chunks were encoded in this process; one that does not decode stays as it is
        // and is skipped by readers as an unknown encoding.
        guard let xor = bytes.withUnsafeBytes({ raw in try? DecimalChunk.xorBytes(raw) }) else { return self }
        return ChunkData(minTime: minTime, maxTime: maxTime, encoding: .xor, bytes: xor)
    }
}

extension SeriesData {
    /// Chunks in time order with overlaps resolved: chunks that overlap an earlier one are
    /// decoded and merged sample by sample (one sample per timestamp; on a tie the chunk listed
    /// later wins, so a newer source overrides an older one) and encoded again.
    public static func mergeChunks(_ chunks: [ChunkData]) -> [ChunkData] {
        guard chunks.count > 1 else { return chunks }
        let order = chunks.indices.sorted { chunks[$0].minTime != chunks[$1].minTime ? chunks[$0].minTime < chunks[$1].minTime : $0 < $1 }
        let overlapping = order.indices.dropFirst().contains { chunks[order[$0]].minTime <= chunks[order[$0 - 1]].maxTime }
        if !overlapping { return order.map { chunks[$0] } }
        // In listed order, so that on a tie the later-listed chunk's value stays.
        var byTime: [Int64: Double] = [:]
        for c in chunks {
            for s in c.decodedSamples() { byTime[s.timestamp] = s.value }
        }
        let samples = byTime.keys.sorted().map { Sample($0, byTime[$0]!) }
        return ChunkData.encode(samples)
    }
}
