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
        guard encoding == .xor else { return [] }
        var ts: [Int64] = [], vs: [Double] = []
        let ok: Bool = bytes.withUnsafeBytes { raw in
            do throws(ChunkDecodeError) {
                try decodeXORChunk(raw, timestamps: &ts, values: &vs)
                return true
            } catch { return false }
        }
        guard ok else { return [] }
        return zip(ts, vs).map { Sample($0, $1) }
    }
}

extension SeriesData {
    /// Chunks in time order with overlaps resolved: chunks that overlap an earlier one are
    /// decoded and merged sample by sample (one sample per timestamp; on a tie the chunk listed
    /// later wins, so a newer source overrides an older one) and encoded again.
    public static func mergeChunks(_ chunks: [ChunkData]) -> [ChunkData] {
        guard chunks.count > 1 else { return chunks }
        var order = chunks.indices.sorted { chunks[$0].minTime != chunks[$1].minTime ? chunks[$0].minTime < chunks[$1].minTime : $0 < $1 }
        var overlapping = false
        for k in 1..<order.count where chunks[order[k]].minTime <= chunks[order[k - 1]].maxTime {
            overlapping = true
            break
        }
        if !overlapping { return order.map { chunks[$0] } }
        // Decode by position so that ties prefer the later-listed chunk.
        order = Array(chunks.indices)
        var byTime: [Int64: (Int, Double)] = [:]
        for i in order {
            for s in chunks[i].decodedSamples() { byTime[s.timestamp] = (i, s.value) }
        }
        let samples = byTime.keys.sorted().map { Sample($0, byTime[$0]!.1) }
        return ChunkData.encode(samples)
    }
}
