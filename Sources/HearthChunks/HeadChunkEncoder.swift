import HearthEncoding

/// The encoder of the head's open chunks: Prometheus's XOR encoding, or, when the chunk's first
/// value is a short decimal, the decimal encoding (``ChunkEncoding/decimal``), which stores most
/// real-world values in half the bits.
///
/// Counters and gauges are mostly integers or numbers with a few decimal places (`1234.56`);
/// XOR of two such doubles leaves most mantissa bits set, so XOR spends 25–40 bits on each.
/// The decimal encoding keeps the value as an integer `m` and a power of ten `e` (value =
/// `Double(m) / 10^e`, checked bit for bit before it is used) and writes the delta-of-delta of
/// `m` in a few bits. Values that are not short decimals (NaN, staleness markers, -0, ratios)
/// are written XOR-style inside the same chunk, so nothing is ever approximated.
///
/// Layout after the 2-byte count header: the first timestamp (signed varint), then `e` (4 bits)
/// and `m` (64 bits); the second sample's timestamp delta (varint); then timestamp
/// delta-of-deltas exactly as in XOR. Each value after the first is one of
///
///     0                      delta-of-delta of m is 0
///     100 / 101 / 110 + 4 / 8 / 12 bits       zigzag delta-of-delta
///     1110 / 11110 / 111110 + 16 / 24 / 32 bits
///     1111110 + 64 bits
///     11111110 + 4 bits e'   e grows to e' (m and its delta scaled), then a value code
///     11111111 + XOR value   not a short decimal: XOR against the previous sample's bits
///
/// The head converts a decimal chunk to XOR when it cuts it (``DecimalChunk/xorBytes(_:)``).
@frozen
public struct HeadChunkEncoder: Sendable {
    /// Timestamps, XOR values and the sample count (the XOR chunk's whole state).
    @usableFromInline var base: XOREncoder
    /// Decimal state packed in a byte (the head keeps one encoder per series): the power of
    /// ten in the low 4 bits, then whether the chunk uses the decimal encoding (decided by its
    /// first value) and whether it may.
    @usableFromInline var flags: UInt8
    /// The newest decimal value's `m` and its delta.
    @usableFromInline var m: Int64
    @usableFromInline var delta: Int64

    @usableFromInline static let decimalFlag: UInt8 = 0x10
    @usableFromInline static let allowedFlag: UInt8 = 0x20

    @inlinable var isDecimal: Bool {
        get { flags & Self.decimalFlag != 0 }
        set { flags = newValue ? flags | Self.decimalFlag : flags & ~Self.decimalFlag }
    }
    @inlinable var decimalAllowed: Bool { flags & Self.allowedFlag != 0 }
    @inlinable var exponent: UInt8 {
        get { flags & 0x0F }
        set { flags = flags & 0xF0 | newValue }
    }

    /// - Parameter decimal: false to write XOR whatever the values (the head chooses so for a
    ///   series whose last chunk was smaller in XOR).
    @inlinable
    public init(decimal: Bool = true) {
        base = XOREncoder()
        flags = decimal ? Self.allowedFlag : 0
        m = 0
        delta = 0
    }

    @inlinable public var encoding: ChunkEncoding { isDecimal ? .decimal : .xor }
    @inlinable public var count: UInt16 { base.count }
    @inlinable public var lastTimestamp: Int64 { base.lastTimestamp }
    @inlinable public var lastValue: Double { base.lastValue }
    @inlinable public var pendingBits: UInt8 { base.pendingBits }
    @inlinable public var pendingByte: UInt8 { base.pendingByte }

    /// See ``XOREncoder/firstTimestamp(completeCount:byte:)``: both encodings start alike.
    @inlinable
    public func firstTimestamp(completeCount: Int, byte: (Int) -> UInt8) -> Int64 {
        base.firstTimestamp(completeCount: completeCount, byte: byte)
    }

    /// Appends a sample, spilling complete bytes to `sink`, which must hold the zeroed count header.
    @inlinable
    public mutating func append<Sink: ByteSink>(timestamp t: Int64, value v: Double, into sink: inout Sink) {
        if base._count == 0 {
            isDecimal = false
            if decimalAllowed, let (first, e) = Self.shortestDecimal(v, from: 0) {
                isDecimal = true
                exponent = e
                m = first
                delta = 0
                base.writeTimestamp(t, into: &sink)
                base.register.writeBits(UInt64(e), count: 4, into: &sink)
                base.register.writeBits(UInt64(bitPattern: first), count: 64, into: &sink)
                base.finishSample(t, v.bitPattern, into: &sink)
                return
            }
        }
        guard isDecimal else {
            base.append(timestamp: t, value: v, into: &sink)
            return
        }
        base.writeTimestamp(t, into: &sink)
        writeDecimalValue(v, into: &sink)
        base.finishSample(t, v.bitPattern, into: &sink)
    }

    @inlinable
    mutating func writeDecimalValue<Sink: ByteSink>(_ v: Double, into sink: inout Sink) {
        if let next = Self.decimal(v, exponent: exponent) {
            writeDeltaOfDelta(next, into: &sink)
            return
        }
        if let (next, e) = Self.shortestDecimal(v, from: exponent &+ 1) {
            let factor = Self.integerPowerOfTen(Int(e &- exponent))
            let (scaledM, o1) = m.multipliedReportingOverflow(by: factor)
            let (scaledDelta, o2) = delta.multipliedReportingOverflow(by: factor)
            // Deltas of values below 2^53 stay far from overflow after this bound.
            if !o1 && !o2 && scaledM.magnitude < 1 << 60 && scaledDelta.magnitude < 1 << 60 {
                base.register.writeBits(0b1111_1110, count: 8, into: &sink)
                base.register.writeBits(UInt64(e), count: 4, into: &sink)
                exponent = e
                m = scaledM
                delta = scaledDelta
                writeDeltaOfDelta(next, into: &sink)
                return
            }
        }
        base.register.writeBits(0b1111_1111, count: 8, into: &sink)
        base.writeValue(v.bitPattern, into: &sink)
    }

    @inlinable @inline(__always)
    mutating func writeDeltaOfDelta<Sink: ByteSink>(_ next: Int64, into sink: inout Sink) {
        let d = next &- m
        let dod = d &- delta
        m = next
        delta = d
        let z = UInt64(bitPattern: (dod &<< 1) ^ (dod &>> 63))
        if z == 0 {
            base.register.writeBit(false, into: &sink)
        } else if z < 1 << 4 {
            base.register.writeBits(0b100 << 4 | z, count: 7, into: &sink)
        } else if z < 1 << 8 {
            base.register.writeBits(0b101 << 8 | z, count: 11, into: &sink)
        } else if z < 1 << 12 {
            base.register.writeBits(0b110 << 12 | z, count: 15, into: &sink)
        } else if z < 1 << 16 {
            base.register.writeBits(0b1110 << 16 | z, count: 20, into: &sink)
        } else if z < 1 << 24 {
            base.register.writeBits(0b11110 << 24 | z, count: 29, into: &sink)
        } else if z < 1 << 32 {
            base.register.writeBits(0b111110, count: 6, into: &sink)
            base.register.writeBits(z, count: 32, into: &sink)
        } else {
            base.register.writeBits(0b1111110, count: 7, into: &sink)
            base.register.writeBits(z, count: 64, into: &sink)
        }
    }

    /// `v` as `m` with `v == Double(m) / 10^exponent` bit for bit and |m| < 2^53, or nil.
    @inlinable @inline(__always)
    static func decimal(_ v: Double, exponent: UInt8) -> Int64? {
        let scale = DecimalChunk.powerOfTen(exponent)
        let x = (v * scale).rounded()
        // Also false for NaN and infinities.
        guard x.magnitude < 9_007_199_254_740_992 else { return nil }
        let candidate = Int64(x)
        guard (Double(candidate) / scale).bitPattern == v.bitPattern else { return nil }
        return candidate
    }

    /// The smallest exponent from `start` through 15 that writes `v` exactly, with its `m`.
    @inlinable
    static func shortestDecimal(_ v: Double, from start: UInt8) -> (Int64, UInt8)? {
        guard v.isFinite, start <= DecimalChunk.maxExponent else { return nil }
        var e = start
        while e <= DecimalChunk.maxExponent {
            if let candidate = decimal(v, exponent: e) { return (candidate, e) }
            // Larger exponents only make |m| larger.
            if (v * DecimalChunk.powerOfTen(e)).magnitude >= 9_007_199_254_740_992 { return nil }
            e &+= 1
        }
        return nil
    }

    @inlinable
    static func integerPowerOfTen(_ n: Int) -> Int64 {
        var p: Int64 = 1
        for _ in 0..<n { p &*= 10 }
        return p
    }
}

extension HeadChunkEncoder {
    /// The encoder's complete state for the head snapshot: the XOR state (timestamps, XOR
    /// values, bytes) and the decimal state.
    public struct State: Sendable, Equatable {
        public var xor: XORAppender.State
        public var isDecimal: Bool
        public var decimalAllowed: Bool
        public var exponent: UInt8
        public var m: Int64
        public var delta: Int64

        public init(xor: XORAppender.State, isDecimal: Bool = false, decimalAllowed: Bool = true, exponent: UInt8 = 0,
                    m: Int64 = 0, delta: Int64 = 0) {
            self.xor = xor
            self.isDecimal = isDecimal
            self.decimalAllowed = decimalAllowed
            self.exponent = exponent
            self.m = m
            self.delta = delta
        }
    }

    @inlinable
    public func state(completeBytes: [UInt8]) -> State {
        State(xor: base.state(completeBytes: completeBytes), isDecimal: isDecimal, decimalAllowed: decimalAllowed,
              exponent: exponent, m: m, delta: delta)
    }

    /// The encoder of a saved ``State``; nil if the state is inconsistent.
    @inlinable
    public init?(restoring s: State) {
        guard let base = XOREncoder(restoring: s.xor), s.exponent <= DecimalChunk.maxExponent,
              !s.isDecimal || s.decimalAllowed else { return nil }
        self.base = base
        flags = (s.isDecimal ? Self.decimalFlag : 0) | (s.decimalAllowed ? Self.allowedFlag : 0) | s.exponent
        m = s.m
        delta = s.delta
    }
}
