/// The chunk encoding byte, with Prometheus's values (`chunkenc.Encoding`), so the same byte
/// can be written into head chunk files, blocks and remote-read frames.
public enum ChunkEncoding: UInt8, Sendable {
    case none = 0
    case xor = 1
    case histogram = 2
    case floatHistogram = 3
}

/// Prometheus's chunk sizing: a chunk aims at 120 samples, and a chunk is cut at twice that
/// if the predicted end time turned out wrong.
public enum ChunkLimits {
    public static let samplesPerChunk = 120
}
