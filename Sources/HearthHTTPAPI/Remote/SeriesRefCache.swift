import HearthEncoding
import Synchronization

/// Remote write's shortcut from a series' encoded labels to its head ref: a request repeats the
/// label sets of earlier requests, and finding the ref from their bytes skips decoding,
/// checking, hashing and looking up the labels again.
///
/// Keys are two independent hashes of the encoded label fields and their length; the bytes themselves are
/// not kept (that would cost as much memory as the head's own labels). Two label sets would have
/// to collide in 96 bits to be confused. Entries whose series has left the head are dropped by
/// the caller when the head no longer knows the ref.
public final class SeriesRefCache: Sendable {
    struct Key: Hashable {
        var a: UInt64
        var b: UInt64
        func hash(into hasher: inout Hasher) { hasher.combine(a) }
    }

    static let shardCount = 64
    let maxPerShard: Int
    final class Shard: Sendable {
        let map = Mutex<[Key: UInt64]>([:])
    }

    private let shards: [Shard]

    public init(maxEntries: Int = 8 << 20) {
        maxPerShard = max(1024, maxEntries / Self.shardCount)
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// xxhash64, plus CRC32C (one instruction per 8 bytes) and the length: 96 bits that two
    /// different label sets would both have to share.
    static func key(_ bytes: UnsafeRawBufferPointer) -> Key {
        Key(a: XXHash64.hash(bytes), b: UInt64(CRC32C.checksum(bytes)) << 32 | UInt64(truncatingIfNeeded: bytes.count))
    }

    func ref(for bytes: UnsafeRawBufferPointer) -> UInt64? {
        let k = Self.key(bytes)
        return shards[Int(k.a % UInt64(Self.shardCount))].map.withLock { $0[k] }
    }

    func insert(_ bytes: UnsafeRawBufferPointer, ref: UInt64) {
        let k = Self.key(bytes)
        shards[Int(k.a % UInt64(Self.shardCount))].map.withLock { map in
            if map.count >= maxPerShard { map.removeAll(keepingCapacity: true) }
            map[k] = ref
        }
    }

    func remove(_ bytes: UnsafeRawBufferPointer) {
        let k = Self.key(bytes)
        _ = shards[Int(k.a % UInt64(Self.shardCount))].map.withLock { $0.removeValue(forKey: k) }
    }

    public var count: Int { shards.reduce(0) { n, s in n + s.map.withLock { $0.count } } }
}
