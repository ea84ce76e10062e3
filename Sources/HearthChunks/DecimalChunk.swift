import HearthEncoding

/// Reading the decimal encoding of ``HeadChunkEncoder``, and converting it to XOR.
public enum DecimalChunk {
    /// The largest power of ten a chunk uses (it fits the 4-bit field, and 10^15 times a value
    /// below 2^53 stays exact where it matters: the check in the encoder decides).
    public static let maxExponent: UInt8 = 15

    /// 10^e for e in 0...15, exactly (every one is a double without rounding).
    @inlinable @inline(__always)
    public static func powerOfTen(_ e: UInt8) -> Double {
        switch e {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        default: 1e15
        }
    }

    /// The chunk's samples in Prometheus's XOR encoding (what head chunk files, blocks and
    /// remote read carry). Throws if the bytes do not decode.
    public static func xorBytes(_ bytes: UnsafeRawBufferPointer) throws(ChunkDecodeError) -> [UInt8] {
        let total = XORDecoder.declaredCount(bytes)
        var decoder = DecimalDecoder()
        var out = XORAppender(reservingCapacity: 16 + total * 4)
        while try decoder.next(bytes, total: total) {
            out.append(timestamp: decoder.t, value: decoder.value)
        }
        return out.bytes
    }
}

extension DecimalChunk {
    /// Bytes the samples of an XOR chunk take in the decimal encoding (header included), so
    /// that the head can start a series' next chunk in whichever encoding was smaller.
    public static func decimalByteCount(ofXOR bytes: UnsafeRawBufferPointer) throws(ChunkDecodeError) -> Int {
        let total = XORDecoder.declaredCount(bytes)
        var decoder = XORDecoder()
        var encoder = HeadChunkEncoder()
        var sink = CountingSink()
        while try decoder.next(bytes, total: total) {
            encoder.append(timestamp: decoder.t, value: decoder.value, into: &sink)
        }
        return 2 + sink.count + (encoder.pendingBits > 0 ? 1 : 0)
    }
}

/// A sink that only counts, to size an encoding without building it.
struct CountingSink: ByteSink {
    var count = 0
    mutating func appendByte(_ byte: UInt8) { count &+= 1 }
}

/// Something that decodes a chunk sample by sample from bytes it does not own. A generic
/// constraint only, so readers specialize for each encoding.
public protocol ChunkSampleDecoder {
    init()
    var t: Int64 { get }
    var valueBits: UInt64 { get }
    /// Decodes the next sample; false once `total` samples were read; throws on bad bytes.
    mutating func next(_ bytes: UnsafeRawBufferPointer, total: Int) throws(ChunkDecodeError) -> Bool
}

extension XORDecoder: ChunkSampleDecoder {}

/// Decodes a ``ChunkEncoding/decimal`` chunk (see ``HeadChunkEncoder`` for the layout).
@frozen
public struct DecimalDecoder: Sendable, ChunkSampleDecoder {
    /// Timestamps and XOR-coded values are read as an XOR chunk reads them.
    public var xor: XORDecoder
    public var exponent: UInt8 = 0
    public var scale: Double = 1
    public var m: Int64 = 0
    public var delta: Int64 = 0

    @inlinable
    public init() {
        xor = XORDecoder()
    }

    @inlinable public var t: Int64 { xor.t }
    @inlinable public var valueBits: UInt64 { xor.valueBits }
    @inlinable public var value: Double { Double(bitPattern: xor.valueBits) }

    @inlinable
    public mutating func next(_ bytes: UnsafeRawBufferPointer, total: Int) throws(ChunkDecodeError) -> Bool {
        guard xor.index < total else { return false }
        if xor.index == 0 {
            guard let u = xor.readVarint(bytes) else { throw .badVarint }
            xor.t = VarInt.unZigZag(u)
            guard let e = xor.reader.readBits(bytes, count: 4), let first = xor.reader.readBits(bytes, count: 64) else {
                throw .truncated
            }
            try setExponent(UInt8(e))
            m = Int64(bitPattern: first)
            xor.valueBits = (Double(m) / scale).bitPattern
        } else {
            try xor.readTimestamp(bytes)
            try readValue(bytes)
        }
        xor.index &+= 1
        return true
    }

    @inlinable
    mutating func setExponent(_ e: UInt8) throws(ChunkDecodeError) {
        guard e <= DecimalChunk.maxExponent else { throw .truncated }
        exponent = e
        scale = DecimalChunk.powerOfTen(e)
    }

    @inlinable
    mutating func readValue(_ bytes: UnsafeRawBufferPointer) throws(ChunkDecodeError) {
        while true {
            guard let first = xor.reader.readBit(bytes) else { throw .truncated }
            if !first {
                applyDeltaOfDelta(0)
                return
            }
            guard let two = xor.reader.readBits(bytes, count: 2) else { throw .truncated }
            var width = 0
            switch two {
            case 0b00: width = 4
            case 0b01: width = 8
            case 0b10: width = 12
            default:
                // 1 11 then: 0 → 16, 10 → 24, 110 → 32, 1110 → 64, 11110 → new exponent, 11111 → XOR.
                var ones = 0
                while ones < 5 {
                    guard let bit = xor.reader.readBit(bytes) else { throw .truncated }
                    if !bit { break }
                    ones &+= 1
                }
                switch ones {
                case 0: width = 16
                case 1: width = 24
                case 2: width = 32
                case 3: width = 64
                case 4:
                    guard let e = xor.reader.readBits(bytes, count: 4) else { throw .truncated }
                    let grow = Int(e) - Int(exponent)
                    guard grow > 0 else { throw .truncated }
                    try setExponent(UInt8(e))
                    let factor = HeadChunkEncoder.integerPowerOfTen(grow)
                    m = m &* factor
                    delta = delta &* factor
                    continue
                default:
                    try xor.readValue(bytes)
                    return
                }
            }
            guard let z = xor.reader.readBits(bytes, count: width) else { throw .truncated }
            applyDeltaOfDelta(Int64(bitPattern: z &>> 1) ^ -Int64(bitPattern: z & 1))
            return
        }
    }

    @inlinable @inline(__always)
    mutating func applyDeltaOfDelta(_ dod: Int64) {
        delta = delta &+ dod
        m = m &+ delta
        xor.valueBits = (Double(m) / scale).bitPattern
    }
}
