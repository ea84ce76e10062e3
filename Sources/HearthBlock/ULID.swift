#if canImport(Glibc)
import Glibc
#endif
import HearthModel

/// A ULID (Universally Unique Lexicographically Sortable Identifier): 48 bits of Unix
/// milliseconds then 80 random bits, written as 26 Crockford base-32 characters. Prometheus
/// names block directories by ULID, so directory order is creation order.
public struct ULID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 128 bits, most significant first.
    public let high: UInt64
    public let low: UInt64

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A new ULID for `milliseconds` since the epoch (now by default).
    public init(milliseconds: UInt64 = ULID.nowMilliseconds()) {
        var rng = SystemRandomNumberGenerator()
        let random = rng.next() as UInt64
        high = (milliseconds << 16) | (random >> 48)
        low = rng.next()
    }

    /// Parses the 26-character text form; nil if it is not one.
    public init?(_ text: some StringProtocol) {
        let chars = Array(text.utf8)
        guard chars.count == 26 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for (i, c) in chars.enumerated() {
            guard let v = Self.value(of: c) else { return nil }
            // 26 × 5 = 130 bits; the first character carries only 3.
            if i == 0 && v > 7 { return nil }
            hi = (hi << 5) | (lo >> 59)
            lo = (lo << 5) | UInt64(v)
        }
        high = hi
        low = lo
    }

    static func value(of c: UInt8) -> UInt8? {
        let upper = (c >= 97 && c <= 122) ? c - 32 : c
        guard let i = alphabet.firstIndex(of: upper) else { return nil }
        return UInt8(i)
    }

    /// Milliseconds since the epoch at which this ULID was made.
    public var milliseconds: UInt64 { high >> 16 }

    public var description: String {
        var out = [UInt8](repeating: 0, count: 26)
        var hi = high, lo = low
        for i in stride(from: 25, through: 0, by: -1) {
            out[i] = Self.alphabet[Int(lo & 31)]
            lo = (lo >> 5) | ((hi & 31) << 59)
            hi >>= 5
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func < (a: ULID, b: ULID) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    public static func nowMilliseconds() -> UInt64 { UInt64(unixMilliseconds()) }
}
