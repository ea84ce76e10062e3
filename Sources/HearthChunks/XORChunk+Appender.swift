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
        stream = BitWriter(bytes: bytes, freeBits: 0)
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
        guard it.error == nil, n == it.declaredCount else { return nil }
        self.stream = BitWriter(bytes: bytes, freeBits: UInt8((8 - it.decoder.reader.bitOffset % 8) % 8))
        // The stream must end exactly at the last decoded bit (plus padding to the byte).
        guard (it.decoder.reader.bitOffset + 7) / 8 == bytes.count || n == 0 else { return nil }
        self._count = n
        self._lastTimestamp = it.decoder.t
        self.lastValueBits = it.decoder.valueBits
        self.tDelta = it.decoder.tDelta
        self.leading = it.decoder.leading
        self.trailing = it.decoder.trailing
    }

    /// The encoded chunk. Valid after every append.
    @inlinable
    public var bytes: [UInt8] { stream.bytes }

    /// The value of the last sample.
    @inlinable
    public var lastValue: Double { Double(bitPattern: lastValueBits) }

    /// Size of the encoded chunk in bytes.
    @inlinable
    public var byteCount: Int { stream.bytes.count }

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
        stream.bytes[0] = UInt8(truncatingIfNeeded: count &>> 8)
        stream.bytes[1] = UInt8(truncatingIfNeeded: count)
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
