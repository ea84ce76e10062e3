import HearthEncoding

/// The state of Prometheus's XOR encoder (Gorilla-style, `chunkenc/xor.go`) without its bytes:
/// each append takes the ``ByteSink`` that holds them. ``XORAppender`` pairs it with an array;
/// the head pairs it with segments of a shared page, so an open chunk costs no allocation of its own.
///
/// The sink must already hold the chunk's 2-byte sample-count header (written as zeros; the
/// count is filled in when the bytes are read). Then come the first timestamp as a signed varint
/// and its value as 64 raw bits, the second timestamp delta as an unsigned varint, then
/// delta-of-delta timestamps and XOR-compressed values.
@frozen
public struct XOREncoder: Sendable {
    // Widest fields first: the head keeps one of these per series.
    /// Timestamp and value of the last sample.
    @usableFromInline var _lastTimestamp: Int64
    @usableFromInline var lastValueBits: UInt64
    @usableFromInline var tDelta: UInt64
    @usableFromInline var register: BitRegister
    /// Number of samples in the chunk.
    @usableFromInline var _count: UInt16
    @usableFromInline var leading: UInt8
    @usableFromInline var trailing: UInt8

    @inlinable
    public init() {
        register = BitRegister()
        _count = 0
        _lastTimestamp = 0
        lastValueBits = 0
        tDelta = 0
        leading = 0xFF
        trailing = 0
    }

    @inlinable
    init(register: BitRegister, count: UInt16, lastTimestamp: Int64, lastValueBits: UInt64, tDelta: UInt64,
         leading: UInt8, trailing: UInt8) {
        self.register = register
        self._count = count
        self._lastTimestamp = lastTimestamp
        self.lastValueBits = lastValueBits
        self.tDelta = tDelta
        self.leading = leading
        self.trailing = trailing
    }

    @inlinable public var count: UInt16 { _count }
    @inlinable public var lastTimestamp: Int64 { _lastTimestamp }
    /// The value of the last sample.
    @inlinable public var lastValue: Double { Double(bitPattern: lastValueBits) }
    /// Bits written to the register but not yet spilled to the sink (0...7 between appends).
    @inlinable public var pendingBits: UInt8 { register.pendingCount }
    /// Those bits as a zero-padded byte.
    @inlinable public var pendingByte: UInt8 { register.pendingByte }

    /// The encoder's complete state alongside the sink's complete bytes.
    @inlinable
    public func state(completeBytes: [UInt8]) -> XORAppender.State {
        XORAppender.State(completeBytes: completeBytes, pendingByte: pendingByte, pendingBits: pendingBits,
                          count: _count, lastTimestamp: _lastTimestamp, lastValueBits: lastValueBits,
                          tDelta: tDelta, leading: leading, trailing: trailing)
    }

    /// The encoder of a saved ``XORAppender/State``; nil if the state is inconsistent.
    @inlinable
    public init?(restoring s: XORAppender.State) {
        guard s.completeBytes.count >= 2, s.pendingBits < 8, s.count > 0 || s.completeBytes.count == 2 else {
            return nil
        }
        self.init(register: BitRegister(pending: UInt64(s.pendingByte) << 56, pendingCount: s.pendingBits),
                  count: s.count, lastTimestamp: s.lastTimestamp, lastValueBits: s.lastValueBits, tDelta: s.tDelta,
                  leading: s.leading, trailing: s.trailing)
    }

    /// Decodes the first timestamp (the chunk's min time), a byte-aligned varint right after the
    /// header; `byte(i)` reads complete byte `i` of the sink, `completeCount` of them exist, and
    /// bytes beyond those come from the register. Undefined for an empty chunk.
    @inlinable
    public func firstTimestamp(completeCount: Int, byte: (Int) -> UInt8) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = 2
        let pendingBytes = Int(register.pendingCount) / 8
        while shift < 64 {
            let b: UInt8
            if i < completeCount {
                b = byte(i)
            } else if i - completeCount < pendingBytes {
                b = UInt8(truncatingIfNeeded: register.pending &>> UInt64(56 - 8 * (i - completeCount)))
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

    /// Appends a sample, spilling complete bytes to `sink`. The caller enforces ordering; the
    /// encoder accepts any timestamps.
    @inlinable
    public mutating func append<Sink: ByteSink>(timestamp t: Int64, value v: Double, into sink: inout Sink) {
        let vbits = v.bitPattern
        writeTimestamp(t, into: &sink)
        if _count == 0 {
            register.writeBits(vbits, count: 64, into: &sink)
        } else {
            writeValue(vbits, into: &sink)
        }
        finishSample(t, vbits, into: &sink)
    }

    /// The timestamp part of a sample: a varint first timestamp, a varint second delta, then
    /// delta-of-deltas. Shared with ``HeadChunkEncoder``, whose timestamps are the same.
    @inlinable @inline(__always)
    mutating func writeTimestamp<Sink: ByteSink>(_ t: Int64, into sink: inout Sink) {
        switch _count {
        case 0:
            writeVarint(VarInt.zigZag(t), into: &sink)
        case 1:
            let delta = UInt64(bitPattern: t &- _lastTimestamp)
            writeVarint(delta, into: &sink)
            tDelta = delta
        default:
            let delta = UInt64(bitPattern: t &- _lastTimestamp)
            let dod = Int64(bitPattern: delta &- tDelta)
            if dod == 0 {
                register.writeBit(false, into: &sink)
            } else if Self.fits(dod, bits: 14) {
                register.writeBits(0b10, count: 2, into: &sink)
                register.writeBits(UInt64(bitPattern: dod), count: 14, into: &sink)
            } else if Self.fits(dod, bits: 17) {
                register.writeBits(0b110, count: 3, into: &sink)
                register.writeBits(UInt64(bitPattern: dod), count: 17, into: &sink)
            } else if Self.fits(dod, bits: 20) {
                register.writeBits(0b1110, count: 4, into: &sink)
                register.writeBits(UInt64(bitPattern: dod), count: 20, into: &sink)
            } else {
                register.writeBits(0b1111, count: 4, into: &sink)
                register.writeBits(UInt64(bitPattern: dod), count: 64, into: &sink)
            }
            tDelta = delta
        }
    }

    /// Records the sample as the newest and spills complete bytes.
    @inlinable @inline(__always)
    mutating func finishSample<Sink: ByteSink>(_ t: Int64, _ vbits: UInt64, into sink: inout Sink) {
        _lastTimestamp = t
        lastValueBits = vbits
        _count &+= 1
        register.flush(into: &sink)
    }

    /// Prometheus's `bitRange`: whether `x` fits the signed `bits`-wide field of the encoding.
    @inlinable @inline(__always)
    static func fits(_ x: Int64, bits: Int64) -> Bool {
        -((1 &<< (bits &- 1)) &- 1) <= x && x <= 1 &<< (bits &- 1)
    }

    @inlinable
    mutating func writeVarint<Sink: ByteSink>(_ value: UInt64, into sink: inout Sink) {
        var v = value
        while v >= 0x80 {
            register.writeBits(UInt64(UInt8(truncatingIfNeeded: v) | 0x80), count: 8, into: &sink)
            v >>= 7
        }
        register.writeBits(UInt64(UInt8(truncatingIfNeeded: v)), count: 8, into: &sink)
    }

    @inlinable
    mutating func writeValue<Sink: ByteSink>(_ vbits: UInt64, into sink: inout Sink) {
        let delta = vbits ^ lastValueBits
        if delta == 0 {
            register.writeBit(false, into: &sink)
            return
        }
        register.writeBit(true, into: &sink)
        var newLeading = UInt8(truncatingIfNeeded: delta.leadingZeroBitCount)
        let newTrailing = UInt8(truncatingIfNeeded: delta.trailingZeroBitCount)
        // The leading count has 5 bits in the encoding.
        if newLeading >= 32 { newLeading = 31 }
        if leading != 0xFF && newLeading >= leading && newTrailing >= trailing {
            register.writeBit(false, into: &sink)
            register.writeBits(delta &>> UInt64(trailing), count: 64 &- Int(leading) &- Int(trailing), into: &sink)
            return
        }
        leading = newLeading
        trailing = newTrailing
        register.writeBit(true, into: &sink)
        register.writeBits(UInt64(newLeading), count: 5, into: &sink)
        // 64 significant bits do not fit in 6 bits; 0 stands for 64 (it cannot occur otherwise).
        let significant = 64 &- Int(newLeading) &- Int(newTrailing)
        register.writeBits(UInt64(significant & 63), count: 6, into: &sink)
        register.writeBits(delta &>> UInt64(newTrailing), count: significant, into: &sink)
    }
}
