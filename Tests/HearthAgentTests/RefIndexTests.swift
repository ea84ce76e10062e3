@testable import HearthAgent
import Testing

/// The index keeps refs only; keys live with the caller. Here a key is a number and its hash
/// is made to collide a lot, so removal's back-shifting is exercised across wrapped runs.
@Suite struct RefIndexTests {
    @Test func findsWhatIsThereThroughGrowthAndRemoval() {
        var index = RefIndex()
        var keyOf: [UInt64: Int] = [:]
        func hash(_ key: Int) -> Int { key % 97 &* 1_000_003 }  // many keys per hash, runs that wrap
        let hashOf: (UInt64) -> Int = { hash(keyOf[$0]!) }
        for ref in UInt64(1)...5_000 {
            let key = Int(ref) * 7
            keyOf[ref] = key
            index.insert(ref, hash: hash(key), hashOf: hashOf)
        }
        #expect(index.count == 5_000)
        // Remove every third ref; the rest are still found, the removed are not.
        for ref in stride(from: UInt64(3), through: 5_000, by: 3) {
            let removed = index.remove(ref, hash: hash(keyOf[ref]!), hashOf: hashOf)
            #expect(removed)
        }
        let again = index.remove(3, hash: hash(keyOf[3]!), hashOf: hashOf)
        #expect(!again)
        for ref in UInt64(1)...5_000 {
            let key = keyOf[ref]!
            let found = index.find(hash: hash(key)) { keyOf[$0] == key }
            #expect(found == (ref % 3 == 0 ? nil : ref), "ref \(ref)")
        }
        #expect(index.count == 5_000 - 1_666)
        // Replacing keeps the slot.
        let replaced = index.replace(1, by: 6_001, hash: hash(keyOf[1]!))
        #expect(replaced)
        keyOf[6_001] = keyOf[1]
        #expect(index.find(hash: hash(keyOf[1]!)) { $0 == 6_001 } == 6_001)
        #expect(index.find(hash: hash(keyOf[1]!)) { $0 == 1 } == nil)
    }
}
