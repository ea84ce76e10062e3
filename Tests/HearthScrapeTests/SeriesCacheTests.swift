import HearthEncoding
@testable import HearthScrape
import Testing

@Suite struct SeriesCacheTests {
    static func key(_ line: String) -> SeriesCache.Key {
        Array(line.utf8).withUnsafeBytes { BytesDigest($0) }
    }

    /// Keys that differ in one byte, in length only, or in order all get entries of their own,
    /// found again after the table has grown several times and after eviction.
    @Test func findsEveryKeyThroughGrowthAndEviction() {
        var cache = SeriesCache()
        var lines: [String] = []
        for i in 0..<3_000 {
            lines.append("m{a=\"\(i)\"}")
            lines.append("m{a=\"\(i)\",b=\"\"}")
        }
        lines += ["ab", "ba", "a", "aa", ""]
        for (i, line) in lines.enumerated() {
            #expect(cache.find(Self.key(line)) == nil)
            _ = cache.insert(Self.key(line), ref: UInt64(i + 1), dropped: false, seen: i % 2 == 0 ? 1 : 2)
        }
        for (i, line) in lines.enumerated() {
            #expect(cache.find(Self.key(line)).map { cache[$0].ref } == UInt64(i + 1), "\(line)")
        }
        cache.evict(olderThan: 2)
        #expect(cache.count == lines.count / 2)
        for (i, line) in lines.enumerated() {
            let found = cache.find(Self.key(line)).map { cache[$0].ref }
            #expect(found == (i % 2 == 0 ? nil : UInt64(i + 1)), "\(line)")
        }
    }

    /// After the first scrape the entries array keeps only the room it needs.
    @Test func trimmingGivesBackTheGrownRoom() {
        var cache = SeriesCache()
        for i in 0..<1_100 { _ = cache.insert(Self.key("m{a=\"\(i)\"}"), ref: UInt64(i + 1), dropped: false, seen: 1) }
        #expect(cache.entries.capacity >= 2_048)
        cache.trimCapacity()
        #expect(cache.entries.capacity < 1_200)
        for i in 0..<1_100 { #expect(cache.find(Self.key("m{a=\"\(i)\"}")).map { cache[$0].ref } == UInt64(i + 1)) }
    }
}
