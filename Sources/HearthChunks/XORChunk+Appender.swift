import HearthEncoding

/// Builds a float chunk in Prometheus's XOR encoding (Gorilla-style, `chunkenc/xor.go`),
/// bit for bit: a 2-byte big-endian sample count, the first timestamp as a signed varint and
/// its value as 64 raw bits, the second timestamp delta as an unsigned varint, then
/// delta-of-delta timestamps and XOR-compressed values.
///
/// A value type with one byte array: the head keeps one per open chunk, so its size matters.
@frozen
public struct XORAppender: Sendable {
    @usableFromInline var stream: BitWriter
    /// Number of samples in the chunk.
    @usableFromInline var _count: UInt16
    public var count: UInt16 { _count }
    /// Timestamp and value of the last sample.
    @usableFromInline var _lastTimestamp: Int64
    public var lastTimestamp: Int64 { _lastTimestamp }
    @usableFromInline var lastValueBits: UInt64
    @usableFromInline var tDelta: UInt64
    @usableFromInline var leading: UInt8
    @usableFromInline var trailing: UInt8

    /// Starts an empty chunk. The buffer is pre-sized as Prometheus pre-sizes its chunks (128 bytes).
    @inlinable
    public init(reservingCapacity capacity: Int = 128) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(capacity)
        bytes.append(0)
        bytes.append(0)
        stream = BitWriter(bytes: bytes)
        _count = 0
        _lastTimestamp = 0
        lastValueBits = 0
        tDelta = 0
        leading = 0xFF
        trailing = 0
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
        self.stream = BitWriter(bytes: complete, pending: used == 0 ? 0 : UInt64(bytes[bits / 8]) << 56,
                                pendingCount: UInt8(used))
        self._count = n
        self._lastTimestamp = it.decoder.t
        self.lastValueBits = it.decoder.valueBits
        self.tDelta = it.decoder.tDelta
        self.leading = it.decoder.leading
        self.trailing = it.decoder.trailing
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

    public var state: State {
        State(completeBytes: stream.bytes, pendingByte: UInt8(truncatingIfNeeded: stream.pending >> 56),
              pendingBits: stream.pendingCount, count: _count, lastTimestamp: _lastTimestamp,
              lastValueBits: lastValueBits, tDelta: tDelta, leading: leading, trailing: trailing)
    }

    /// Restores an encoder from ``state``; nil if the state is inconsistent.
    public init?(restoring s: State) {
        guard s.completeBytes.count >= 2, s.pendingBits < 8, s.count > 0 || s.completeBytes.count == 2 else {
            return nil
        }
        stream = BitWriter(bytes: s.completeBytes, pending: UInt64(s.pendingByte) << 56, pendingCount: s.pendingBits)
        _count = s.count
        _lastTimestamp = s.lastTimestamp
        lastValueBits = s.lastValueBits
        tDelta = s.tDelta
        leading = s.leading
        trailing = s.trailing
    }

    /// The encoded chunk, with its sample count header. Builds a new array: read it when the
    /// chunk is cut or queried, not per append.
    @inlinable
    public var bytes: [UInt8] {
        var out = stream.finishedBytes()
        out[0] = UInt8(truncatingIfNeeded: _count &>> 8)
        out[1] = UInt8(truncatingIfNeeded: _count)
        return out
    }

    /// Appends the encoded chunk (as ``bytes`` would return it) to `out`, without building an
    /// intermediate array.
    @inlinable
    public func appendBytes(to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: _count &>> 8))
        out.append(UInt8(truncatingIfNeeded: _count))
        stream.bytes.withUnsafeBufferPointer { out.append(contentsOf: $0[2...]) }
        if stream.pendingCount > 0 { out.append(UInt8(truncatingIfNeeded: stream.pending &>> 56)) }
    }

    /// The value of the last sample.
    @inlinable
    public var lastValue: Double { Double(bitPattern: lastValueBits) }

    /// Timestamp of the first sample (the chunk's min time), decoded from the chunk, so the
    /// head need not store it per series. Undefined for an empty chunk.
    @inlinable
    public var firstTimestamp: Int64 {
        stream.bytes.withUnsafeBytes { raw in
            var result: UInt64 = 0
            var shift: UInt64 = 0
            var i = 2
            // The first timestamp is a byte-aligned varint right after the header; bytes not
            // yet spilled from the bit register are read from it.
            let pendingBytes = Int(stream.pendingCount) / 8
            while shift < 64 {
                let b: UInt8
                if i < raw.count {
                    b = raw[i]
                } else if i - raw.count < pendingBytes {
                    b = UInt8(truncatingIfNeeded: stream.pending &>> UInt64(56 - 8 * (i - raw.count)))
                } else {
                    break
                }
                result |= UInt64(b & 0x7F) &<< shift
                if b < 0x80 { break }
                shift &+= 7
                i &+= 1
            }
            return VarInt.unZigZag(result)
        }
    }

    /// Bytes allocated for the chunk's buffer.
    @inlinable
    public var bufferCapacity: Int { stream.bytes.capacity }

    /// Size of the encoded chunk in bytes.
    @inlinable
    public var byteCount: Int { (stream.bitCount &+ 7) &>> 3 }

    /// Appends a sample. The caller enforces ordering; the encoder accepts any timestamps.
    @inlinable
    public mutating func append(timestamp t: Int64, value v: Double) {
        let vbits = v.bitPattern
        switch count {
        case 0:
            writeVarint(VarInt.zigZag(t))
            stream.writeBits(vbits, count: 64)
        case 1:
            let delta = UInt64(bitPattern: t &- _lastTimestamp)
            writeVarint(delta)
            writeValue(vbits)
            tDelta = delta
        default:
            let delta = UInt64(bitPattern: t &- _lastTimestamp)
            let dod = Int64(bitPattern: delta &- tDelta)
            if dod == 0 {
                stream.writeBit(false)
            } else if Self.fits(dod, bits: 14) {
                stream.writeBits(0b10, count: 2)
                stream.writeBits(UInt64(bitPattern: dod), count: 14)
            } else if Self.fits(dod, bits: 17) {
                stream.writeBits(0b110, count: 3)
                stream.writeBits(UInt64(bitPattern: dod), count: 17)
            } else if Self.fits(dod, bits: 20) {
                stream.writeBits(0b1110, count: 4)
                stream.writeBits(UInt64(bitPattern: dod), count: 20)
            } else {
                stream.writeBits(0b1111, count: 4)
                stream.writeBits(UInt64(bitPattern: dod), count: 64)
            }
            writeValue(vbits)
            tDelta = delta
        }
        _lastTimestamp = t
        lastValueBits = vbits
        _count &+= 1
        stream.flush()
    }

    /// Prometheus's `bitRange`: whether `x` fits the signed `bits`-wide field of the encoding.
    @inlinable @inline(__always)
    static func fits(_ x: Int64, bits: Int64) -> Bool {
        -((1 &<< (bits &- 1)) &- 1) <= x && x <= 1 &<< (bits &- 1)
    }

    @inlinable
    mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            stream.writeByte(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        stream.writeByte(UInt8(truncatingIfNeeded: v))
    }

    @inlinable
    mutating func writeValue(_ vbits: UInt64) {
        let delta = vbits ^ lastValueBits
        if delta == 0 {
            stream.writeBit(false)
            return
        }
        stream.writeBit(true)
        var newLeading = UInt8(truncatingIfNeeded: delta.leadingZeroBitCount)
        let newTrailing = UInt8(truncatingIfNeeded: delta.trailingZeroBitCount)
        // The leading count has 5 bits in the encoding.
        if newLeading >= 32 { newLeading = 31 }
        if leading != 0xFF && newLeading >= leading && newTrailing >= trailing {
            stream.writeBit(false)
            stream.writeBits(delta &>> UInt64(trailing), count: 64 &- Int(leading) &- Int(trailing))
            return
        }
        leading = newLeading
        trailing = newTrailing
        stream.writeBit(true)
        stream.writeBits(UInt64(newLeading), count: 5)
        // 64 significant bits do not fit in 6 bits; 0 stands for 64 (it cannot occur otherwise).
        let significant = 64 &- Int(newLeading) &- Int(newTrailing)
        stream.writeBits(UInt64(significant & 63), count: 6)
        stream.writeBits(delta &>> UInt64(newTrailing), count: significant)
    }
}
