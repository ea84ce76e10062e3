/// Two independent hashes of a byte string and its length: xxhash64, and CRC32C beside the
/// length. A cache keyed by it stands in for the bytes without keeping them; two different
/// strings would have to collide in all 96 bits to be confused.
public struct BytesDigest: Hashable, Sendable {
    /// xxhash64 of the bytes; enough to place an entry.
    public var hash: UInt64
    /// CRC32C of the bytes (high half) and their length (low half).
    public var check: UInt64

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        hash = XXHash64.hash(bytes)
        check = UInt64(CRC32C.checksum(bytes)) << 32 | UInt64(truncatingIfNeeded: bytes.count)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}
