@testable import HearthModel
import Testing

@Suite struct RefTableTests {
    /// Sets, overwrites, in-place updates and removals, dense refs and an overflow ref, agree
    /// with a dictionary at every step; pages emptied by removal are freed (`count` follows).
    @Test func agreesWithADictionary() {
        var table = RefTable<Int>()
        var reference: [UInt64: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        let refs: [UInt64] = Array(1...3_000) + [RefTable<Int>.denseLimit + 5, 1 << 40]
        for step in 0..<20_000 {
            let ref = refs.randomElement(using: &rng)!
            switch step % 5 {
            case 0, 1:
                table[ref] = step
                reference[ref] = step
            case 2:
                let a = table.update(ref) { v -> Int in v += 1; return v }
                let b: Int? = reference[ref].map { $0 + 1 }
                if let b { reference[ref] = b }
                #expect(a == b)
            case 3:
                #expect(table.removeValue(forRef: ref) == reference.removeValue(forKey: ref))
            default:
                #expect(table[ref] == reference[ref])
            }
            #expect(table.count == reference.count)
        }
        var seen: [UInt64] = []
        table.forEach { ref, v in
            seen.append(ref)
            #expect(reference[ref] == v)
        }
        #expect(seen == reference.keys.sorted())
        table.updateAll { _, v in v = -v }
        for (ref, v) in reference { #expect(table[ref] == -v) }
        table.removeAll()
        #expect(table.count == 0 && table[1] == nil)
    }

    /// Optional values: "no entry" and "an entry holding nil" stay apart (the remote-write
    /// queue caches series whose labels were dropped as nil).
    @Test func anEntryHoldingNilIsAnEntry() {
        var table = RefTable<String?>()
        table[7] = .some(nil)
        #expect(table.count == 1)
        #expect(table[7] != nil)
        #expect(table[8] == nil)
        table[7] = nil
        #expect(table.count == 0)
    }

    /// Refs that keep growing while the old ones go (series churn over months): the page list
    /// spans only the live refs, wherever they are.
    @Test func churnKeepsThePageListToTheLiveRange() {
        var table = RefTable<Int>()
        let window: UInt64 = 2_000
        for ref in UInt64(1)...200_000 {
            table[ref] = Int(ref)
            if ref > window { table[ref - window] = nil }
        }
        #expect(table.count == Int(window))
        #expect(table.pages.count <= Int(window) / 512 + 2)
        #expect(table[200_000] == 200_000 && table[200_000 - window] == nil && table[200_000 - window + 1] != nil)
        // A ref below the list's first page is placed in front of it.
        table[3] = 3
        #expect(table[3] == 3 && table[199_999] == 199_999)
        table[3] = nil
        #expect(table.pages.count <= Int(window) / 512 + 2)
        for ref in (200_000 - window + 1)...200_000 { table[ref] = nil }
        #expect(table.count == 0 && table.pages.isEmpty)
    }
}
