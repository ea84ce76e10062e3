/// The chunk encoding byte, with Prometheus's values (`chunkenc.Encoding`), so the same byte
/// can be written into head chunk files, blocks and remote-read frames.
public enum ChunkEncoding: UInt8, Sendable {
    case none = 0
    case xor = 1
    case histogram = 2
    case floatHistogram = 3
    /// Hearth's own encoding of open head chunks whose values are short decimals
    /// (``HeadChunkEncoder``). It lives only in memory and in the head snapshot: head chunk
    /// files, blocks and remote read get it as XOR (``DecimalChunk/xorBytes(_:)``).
    case decimal = 0x81
}

/// Prometheus's chunk sizing: a chunk aims at 120 samples, and a chunk is cut at twice that
/// if the predicted end time turned out wrong.
public enum ChunkLimits {
    public static let samplesPerChunk = 120
}
