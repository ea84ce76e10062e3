import HearthEncoding

/// Why decoding a chunk stopped early. Chunks come from disk and from the network,
/// so every length is checked and a bad chunk is an error, never a trap.
public enum ChunkDecodeError: Error, Sendable, Equatable {
    case truncated
    case badVarint
}

/// Decodes an XOR chunk from raw bytes. It does not own the bytes: every call takes the buffer,
/// so the same decoder reads heap arrays and memory-mapped files, and it is a plain struct with
/// no reference counting in the loop.
@frozen
public struct XORDecoder: Sendable {
    public var reader: BitReader
    public var t: Int64 = 0
    public var tDelta: UInt64 = 0
    public var valueBits: UInt64 = 0
    public var leading: UInt8 = 0
    public var trailing: UInt8 = 0
    /// Samples decoded so far.
    public var index: Int = 0

    @inlinable
    public init() {
        reader = BitReader(bitOffset: 16)
    }

    /// The sample count stored in the chunk header.
    @inlinable
    public static func declaredCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytes.count < 2 ? 0 : Int(BigEndian.readUInt16(bytes, at: 0))
    }

    @inlinable
    public var value: Double { Double(bitPattern: valueBits) }

    /// Decodes the next sample into `t`/`value`. Returns false at the end of the chunk (when
    /// `index` reaches `total`) and throws on malformed bytes.
    @inlinable
    public mutating func next(_ bytes: UnsafeRawBufferPointer, total: Int) throws(ChunkDecodeError) -> Bool {
        guard index < total else { return false }
        switch index {
        case 0:
            guard let u = readVarint(bytes) else { throw .badVarint }
            t = VarInt.unZigZag(u)
            guard let v = reader.readBits(bytes, count: 64) else { throw .truncated }
            valueBits = v
        default:
            try readTimestamp(bytes)
            try readValue(bytes)
        }
        index &+= 1
        return true
    }

    /// The timestamp of every sample but the first: the second's delta as a varint, then
    /// delta-of-deltas. Shared with ``DecimalDecoder``, whose timestamps are the same.
    @inlinable @inline(__always)
    mutating func readTimestamp(_ bytes: UnsafeRawBufferPointer) throws(ChunkDecodeError) {
        if index == 1 {
            guard let d = readVarint(bytes) else { throw .badVarint }
            tDelta = d
            t = t &+ Int64(bitPattern: d)
            return
        }
        var prefix: UInt8 = 0
        for _ in 0..<4 {
            guard let bit = reader.readBit(bytes) else { throw .truncated }
            prefix = prefix &<< 1
            if !bit { break }
            prefix |= 1
        }
        var dod: Int64 = 0
        var size = 0
        switch prefix {
        case 0b0: break
        case 0b10: size = 14
        case 0b110: size = 17
        case 0b1110: size = 20
        default:
            guard let bits = reader.readBits(bytes, count: 64) else { throw .truncated }
            dod = Int64(bitPattern: bits)
        }
        if size != 0 {
            guard var bits = reader.readBits(bytes, count: size) else { throw .truncated }
            // Negative values come back as large unsigned numbers.
            if bits > (1 &<< UInt64(size &- 1)) { bits = bits &- (1 &<< UInt64(size)) }
            dod = Int64(bitPattern: bits)
        }
        tDelta = UInt64(bitPattern: Int64(bitPattern: tDelta) &+ dod)
        t = t &+ Int64(bitPattern: tDelta)
    }

    @inlinable
    mutating func readVarint(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            guard let b = reader.readByte(bytes) else { return nil }
            result |= UInt64(b & 0x7F) &<< shift
            if b < 0x80 { return result }
            shift &+= 7
        }
        return nil
    }

    @inlinable
    mutating func readValue(_ bytes: UnsafeRawBufferPointer) throws(ChunkDecodeError) {
        guard let changed = reader.readBit(bytes) else { throw .truncated }
        if !changed { return }
        guard let newWindow = reader.readBit(bytes) else { throw .truncated }
        var significant: Int
        if newWindow {
            guard let l = reader.readBits(bytes, count: 5), let m = reader.readBits(bytes, count: 6) else {
                throw .truncated
            }
            significant = Int(m)
            if significant == 0 { significant = 64 }
            leading = UInt8(l)
            let tr = 64 &- Int(l) &- significant
            guard tr >= 0 else { throw .truncated }
            trailing = UInt8(tr)
        } else {
            significant = 64 &- Int(leading) &- Int(trailing)
            guard significant > 0, significant <= 64 else { throw .truncated }
        }
        guard let bits = reader.readBits(bytes, count: significant) else { throw .truncated }
        valueBits ^= bits &<< UInt64(trailing)
    }
}

/// A self-contained iterator over a chunk held in a byte array.
public struct XORIterator: Sendable {
    public let bytes: [UInt8]
    public var decoder = XORDecoder()
    public let declaredCount: Int
    /// Set when the chunk turned out malformed; iteration then stops.
    public private(set) var error: ChunkDecodeError?

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        self.declaredCount = bytes.withUnsafeBytes { XORDecoder.declaredCount($0) }
    }

    public var timestamp: Int64 { decoder.t }
    public var value: Double { decoder.value }

    /// Advances to the next sample; false at the end or on a malformed chunk (see `error`).
    public mutating func next() -> Bool {
        guard error == nil else { return false }
        let total = declaredCount
        var d = decoder
        let result: Result<Bool, ChunkDecodeError> = bytes.withUnsafeBytes { raw in
            do throws(ChunkDecodeError) { return .success(try d.next(raw, total: total)) } catch {
                return .failure(error)
            }
        }
        decoder = d
        switch result {
        case .success(let more): return more
        case .failure(let e):
            error = e
            return false
        }
    }
}

/// Decodes a whole chunk into timestamp and value arrays, appending to them.
/// The fast way to read a chunk when every sample is wanted.
@inlinable
public func decodeXORChunk(
    _ bytes: UnsafeRawBufferPointer, timestamps: inout [Int64], values: inout [Double]
) throws(ChunkDecodeError) {
    try decodeChunk(bytes, as: XORDecoder.self, timestamps: &timestamps, values: &values)
}

/// ``decodeXORChunk(_:timestamps:values:)`` for any encoding's decoder (XOR or decimal).
@inlinable
public func decodeChunk<D: ChunkSampleDecoder>(
    _ bytes: UnsafeRawBufferPointer, as: D.Type, timestamps: inout [Int64], values: inout [Double]
) throws(ChunkDecodeError) {
    let total = XORDecoder.declaredCount(bytes)
    var d = D()
    timestamps.reserveCapacity(timestamps.count + total)
    values.reserveCapacity(values.count + total)
    while try d.next(bytes, total: total) {
        timestamps.append(d.t)
        values.append(Double(bitPattern: d.valueBits))
    }
}
