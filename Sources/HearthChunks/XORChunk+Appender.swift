import HearthEncoding

/// Builds a float chunk in Prometheus's XOR encoding, bit for bit: an ``XOREncoder`` with its
/// own byte array (a 2-byte big-endian sample count, then the encoded samples).
@frozen
public struct XORAppender: Sendable {
    /// Complete bytes, starting with the (zeroed) count header.
    @usableFromInline var stream: [UInt8]
    @usableFromInline var encoder: XOREncoder

    /// Number of samples in the chunk.
    @inlinable public var count: UInt16 { encoder.count }
    /// Timestamp of the last sample.
    @inlinable public var lastTimestamp: Int64 { encoder.lastTimestamp }
    /// The value of the last sample.
    @inlinable public var lastValue: Double { encoder.lastValue }

    /// Starts an empty chunk. The buffer is pre-sized as Prometheus pre-sizes its chunks (128 bytes).
    @inlinable
    public init(reservingCapacity capacity: Int = 128) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(capacity)
        bytes.append(0)
        bytes.append(0)
        stream = bytes
        encoder = XOREncoder()
    }

    /// Reopens an existing chunk for appending, replaying it to recover the encoder state
    /// (as Prometheus's `XORChunk.Appender()` does). Returns nil if the bytes are not a valid chunk.
    public init?(resuming bytes: [UInt8]) {
        guard bytes.count >= 2 else { return nil }
        var it = XORIterator(bytes: bytes)
        var n: UInt16 = 0
        while it.next() { n += 1 }
        guard it.error == nil, Int(n) == it.declaredCount else { return nil }
        let bits = it.decoder.reader.bitOffset
        // The stream must end at the last decoded bit, padded to a byte.
        guard (bits + 7) / 8 == bytes.count else { return nil }
        let used = bits % 8
        var complete = Array(bytes[..<(bits / 8)])
        complete[0] = 0
        complete[1] = 0
        stream = complete
        encoder = XOREncoder(
            register: BitRegister(pending: used == 0 ? 0 : UInt64(bytes[bits / 8]) << 56, pendingCount: UInt8(used)),
            count: n, lastTimestamp: it.decoder.t, lastValueBits: it.decoder.valueBits, tDelta: it.decoder.tDelta,
            leading: it.decoder.leading, trailing: it.decoder.trailing)
    }

    /// The encoder's complete state, for the head snapshot: restoring it needs no decoding.
    public struct State: Sendable, Equatable {
        public var completeBytes: [UInt8]
        public var pendingByte: UInt8
        public var pendingBits: UInt8
        public var count: UInt16
        public var lastTimestamp: Int64
        public var lastValueBits: UInt64
        public var tDelta: UInt64
        public var leading: UInt8
        public var trailing: UInt8

        public init(completeBytes: [UInt8], pendingByte: UInt8, pendingBits: UInt8, count: UInt16,
                    lastTimestamp: Int64, lastValueBits: UInt64, tDelta: UInt64, leading: UInt8, trailing: UInt8) {
            self.completeBytes = completeBytes
            self.pendingByte = pendingByte
            self.pendingBits = pendingBits
            self.count = count
            self.lastTimestamp = lastTimestamp
            self.lastValueBits = lastValueBits
            self.tDelta = tDelta
            self.leading = leading
            self.trailing = trailing
        }
    }

    public var state: State { encoder.state(completeBytes: stream) }

    /// Restores an encoder from ``state``; nil if the state is inconsistent.
    public init?(restoring s: State) {
        guard let e = XOREncoder(restoring: s) else { return nil }
        stream = s.completeBytes
        encoder = e
    }

    /// The encoded chunk, with its sample count header. Builds a new array: read it when the
    /// chunk is cut or queried, not per append.
    @inlinable
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        appendBytes(to: &out)
        return out
    }

    /// Appends the encoded chunk (as ``bytes`` would return it) to `out`, without building an
    /// intermediate array.
    @inlinable
    public func appendBytes(to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: encoder.count &>> 8))
        out.append(UInt8(truncatingIfNeeded: encoder.count))
        stream.withUnsafeBufferPointer { out.append(contentsOf: $0[2...]) }
        if encoder.pendingBits > 0 { out.append(encoder.pendingByte) }
    }

    /// Timestamp of the first sample (the chunk's min time), decoded from the chunk, so the
    /// head need not store it per series. Undefined for an empty chunk.
    @inlinable
    public var firstTimestamp: Int64 {
        stream.withUnsafeBufferPointer { b in encoder.firstTimestamp(completeCount: b.count) { b[$0] } }
    }

    /// Size of the encoded chunk in bytes.
    @inlinable
    public var byteCount: Int { stream.count &+ (encoder.pendingBits > 0 ? 1 : 0) }

    /// Appends a sample. The caller enforces ordering; the encoder accepts any timestamps.
    @inlinable
    public mutating func append(timestamp t: Int64, value v: Double) {
        encoder.append(timestamp: t, value: v, into: &stream)
    }
}
