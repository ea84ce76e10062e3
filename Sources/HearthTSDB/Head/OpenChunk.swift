import HearthChunks
import HearthEncoding

/// A series' open chunk: the encoder's state (``HeadChunkEncoder``: XOR, or the decimal
/// encoding that takes about half the memory for typical values) and the chain of
/// ``ChunkSpace`` segments that holds its bytes (the zeroed 2-byte count header first). A plain value: whoever drops a chunk
/// must ``release(in:)`` its segments, and its bytes may only be read under the stripe's lock.
struct OpenChunk {
    var encoder = HeadChunkEncoder()
    /// First and last segment of the chain; `first` is `ChunkSpace.none` when no chunk is open.
    var first = ChunkSpace.none
    var last = ChunkSpace.none
    /// Complete bytes in the chain, header included.
    var completeCount: UInt32 = 0

    /// No open chunk.
    static let closed = OpenChunk()

    /// Starts an empty chunk in `space`; `decimal: false` keeps it XOR whatever its values.
    init(in space: ChunkSpace, decimal: Bool = true) {
        encoder = HeadChunkEncoder(decimal: decimal)
        first = space.allocate()
        last = first
        let b = space.base(of: first)
        b[0] = 0
        b[1] = 0
        completeCount = 2
    }

    private init() {}

    /// A chunk continuing from a saved encoder state (a head snapshot); nil if the state is inconsistent.
    init?(restoring state: HeadChunkEncoder.State, in space: ChunkSpace) {
        guard let e = HeadChunkEncoder(restoring: state) else { return nil }
        self.init(in: space)
        encoder = e
        state.xor.completeBytes.withUnsafeBufferPointer { appendComplete(UnsafeBufferPointer(rebasing: $0[2...]), in: space) }
    }

    var isOpen: Bool { first != ChunkSpace.none }
    /// How the bytes are encoded: XOR, or decimal (converted to XOR when the chunk is cut).
    var encoding: ChunkEncoding { encoder.encoding }
    /// Samples in the chunk (0 when none is open).
    var count: UInt16 { encoder.count }
    var lastTimestamp: Int64 { encoder.lastTimestamp }
    var lastValue: Double { encoder.lastValue }
    /// Size of the encoded chunk in bytes.
    var byteCount: Int { Int(completeCount) + (encoder.pendingBits > 0 ? 1 : 0) }

    @inline(__always)
    mutating func append(timestamp t: Int64, value v: Double, in space: ChunkSpace) {
        var sink = sink(in: space)
        encoder.append(timestamp: t, value: v, into: &sink)
        take(sink)
    }

    /// Timestamp of the first sample. Undefined for an empty chunk.
    func firstTimestamp(in space: ChunkSpace) -> Int64 {
        // The varint ends within the first 12 bytes, so within the first segment.
        let b = space.base(of: first)
        return encoder.firstTimestamp(completeCount: min(Int(completeCount), ChunkSpace.dataBytes)) { b[$0] }
    }

    /// The chunk in XOR (what the chunk files, blocks and remote read take): its bytes, or
    /// converted from the decimal encoding. Also returns the size in the other encoding, so the
    /// caller can start the series' next chunk in the smaller one.
    func xorBytes(in space: ChunkSpace) -> (bytes: [UInt8], otherEncodingSize: Int) {
        let native = bytes(in: space)
        if encoding == .xor {
            let decimal = native.withUnsafeBytes { raw in (try? DecimalChunk.decimalByteCount(ofXOR: raw)) ?? .max }
            return (native, decimal)
        }
        // The encoder wrote these bytes under the stripe's lock: they decode.
        let xor = native.withUnsafeBytes { raw in (try? DecimalChunk.xorBytes(raw)) ?? [] }
        return (xor, native.count)
    }

    /// Appends the encoded chunk, count header filled in, to `out`.
    func appendBytes(to out: inout [UInt8], in space: ChunkSpace) {
        out.append(UInt8(truncatingIfNeeded: encoder.count &>> 8))
        out.append(UInt8(truncatingIfNeeded: encoder.count))
        appendCompleteBytes(after: 2, to: &out, in: space)
        if encoder.pendingBits > 0 { out.append(encoder.pendingByte) }
    }

    /// The encoded chunk as a new array.
    func bytes(in space: ChunkSpace) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        appendBytes(to: &out, in: space)
        return out
    }

    /// The encoder's state and complete bytes (header zeroed), for the head snapshot.
    func state(in space: ChunkSpace) -> HeadChunkEncoder.State {
        var complete: [UInt8] = []
        complete.reserveCapacity(Int(completeCount))
        appendCompleteBytes(to: &complete, in: space)
        return encoder.state(completeBytes: complete)
    }

    /// Returns the chunk's segments to `space`; the chunk is closed afterwards.
    mutating func release(in space: ChunkSpace) {
        if isOpen { space.release(chainFrom: first) }
        self = .closed
    }

    /// Appends the chain's complete bytes (header zeroed) to `out`, for ``rewrite(from:at:in:)``.
    func appendCompleteBytes(to out: inout [UInt8], in space: ChunkSpace) {
        out.append(0)
        out.append(0)
        appendCompleteBytes(after: 2, to: &out, in: space)
    }

    /// Writes this chunk's `completeCount` bytes, found at `offset` of `bytes`, into a new chain
    /// (after ``ChunkSpace/reset(keepingPagesFor:)`` invalidated the old one). Returns the
    /// offset after them.
    mutating func rewrite(from bytes: [UInt8], at offset: Int, in space: ChunkSpace) -> Int {
        let end = offset + Int(completeCount)
        let encoder = self.encoder
        self = OpenChunk(in: space)
        self.encoder = encoder
        bytes.withUnsafeBufferPointer { appendComplete(UnsafeBufferPointer(rebasing: $0[(offset + 2)..<end]), in: space) }
        return end
    }

    /// Appends complete bytes to the chain a segment at a time (loading and compacting, where
    /// a byte at a time showed in restart times).
    private mutating func appendComplete(_ bytes: UnsafeBufferPointer<UInt8>, in space: ChunkSpace) {
        var from = 0
        while from < bytes.count {
            let offset = Int(completeCount) % ChunkSpace.dataBytes
            if offset == 0 { last = space.extend(after: last) }
            let n = min(ChunkSpace.dataBytes - offset, bytes.count - from)
            (space.base(of: last) + offset).update(from: bytes.baseAddress! + from, count: n)
            from += n
            completeCount &+= UInt32(n)
        }
    }

    private func appendCompleteBytes(after skip: Int, to out: inout [UInt8], in space: ChunkSpace) {
        var remaining = Int(completeCount) - skip
        var segment = first
        var offset = skip
        while remaining > 0 {
            let n = min(remaining, ChunkSpace.dataBytes - offset)
            out.append(contentsOf: UnsafeBufferPointer(start: space.base(of: segment) + offset, count: n))
            remaining -= n
            offset = 0
            segment = space.next(after: segment)
        }
    }

    @inline(__always)
    private func sink(in space: ChunkSpace) -> SegmentSink {
        SegmentSink(space: space, last: last, count: completeCount)
    }

    @inline(__always)
    private mutating func take(_ sink: SegmentSink) {
        last = sink.last
        completeCount = sink.count
    }
}

/// Appends bytes at the end of a segment chain, adding a segment when the last one is full.
struct SegmentSink: ByteSink {
    /// Borrowed for one append under the stripe's lock; never outlives the call.
    unowned(unsafe) let space: ChunkSpace
    var last: UInt32
    var count: UInt32

    @inline(__always)
    mutating func appendByte(_ byte: UInt8) {
        let offset = Int(count) % ChunkSpace.dataBytes
        // The header is always there, so offset 0 means the last segment is full.
        if offset == 0 { last = space.extend(after: last) }
        space.base(of: last)[offset] = byte
        count &+= 1
    }
}
