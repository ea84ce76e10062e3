import HearthEncoding
import Synchronization

/// Remote write's shortcut from a series' encoded labels to its head ref: a request repeats the
/// label sets of earlier requests, and finding the ref from their bytes skips decoding,
/// checking, hashing and looking up the labels again.
///
/// Keys are a `BytesDigest` of the encoded label fields (96 bits); the bytes themselves are not
/// kept (that would cost as much memory as the head's own labels). A ref whose series has left
/// the head (truncated while idle) is refused by the appender; the caller then decodes the
/// labels from the same bytes, appends by them and caches the new ref.
public final class SeriesRefCache: Sendable {
    static let shardCount = 64
    let maxPerShard: Int
    final class Shard: Sendable {
        let map = Mutex<[BytesDigest: UInt64]>([:])
    }

    private let shards: [Shard]

    public init(maxEntries: Int = 8 << 20) {
        maxPerShard = max(1024, maxEntries / Self.shardCount)
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    func ref(for bytes: UnsafeRawBufferPointer) -> UInt64? {
        let k = BytesDigest(bytes)
        return shards[Int(k.hash % UInt64(Self.shardCount))].map.withLock { $0[k] }
    }

    func insert(_ bytes: UnsafeRawBufferPointer, ref: UInt64) {
        let k = BytesDigest(bytes)
        shards[Int(k.hash % UInt64(Self.shardCount))].map.withLock { map in
            if map.count >= maxPerShard { map.removeAll(keepingCapacity: true) }
            map[k] = ref
        }
    }

    func remove(_ bytes: UnsafeRawBufferPointer) {
        let k = BytesDigest(bytes)
        _ = shards[Int(k.hash % UInt64(Self.shardCount))].map.withLock { $0.removeValue(forKey: k) }
    }

    public var count: Int { shards.reduce(0) { n, s in n + s.map.withLock { $0.count } } }
}
