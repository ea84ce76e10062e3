import HearthIndex
import HearthModel
import Testing

@Suite struct PostingsTests {
    func randomList(_ n: Int, max: UInt64, _ rng: inout some RandomNumberGenerator) -> PostingsList {
        Set((0..<n).map { _ in UInt64.random(in: 0...max, using: &rng) }).sorted()
    }

    @Test func setAlgebraMatchesASetModel() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let lists = (0..<Int.random(in: 1...5, using: &rng)).map { _ in
                randomList(Int.random(in: 0...300, using: &rng), max: 500, &rng)
            }
            let sets = lists.map(Set.init)
            #expect(Postings.intersect(lists) == sets.dropFirst().reduce(sets[0]) { $0.intersection($1) }.sorted())
            #expect(Postings.union(lists) == sets.reduce(Set()) { $0.union($1) }.sorted())
            #expect(Postings.subtract(lists[0], lists.last!) == sets[0].subtracting(sets.last!).sorted())
        }
    }

    @Test func edgeCases() {
        #expect(Postings.intersect([]) == [])
        #expect(Postings.union([]) == [])
        #expect(Postings.intersect([[1, 2, 3], []]) == [])
        #expect(Postings.subtract([1, 2, 3], []) == [1, 2, 3])
        #expect(Postings.union([[1, 5], [2, 5], [5, 9]]) == [1, 2, 5, 9])
    }

    @Test func memPostingsKeepsListsSortedWhenRefsArriveOutOfOrder() {
        let p = MemPostings()
        for ref in [5, 1, 9, 3, 7, 2] as [UInt64] {
            p.add(ref, labels: Labels(["__name__": "m", "parity": ref % 2 == 0 ? "even" : "odd"]))
        }
        #expect(p.allPostings() == [1, 2, 3, 5, 7, 9])
        #expect(p.postings(name: "parity", value: "odd") == [1, 3, 5, 7, 9])
        #expect(p.labelNames() == ["__name__", "parity"])
        #expect(p.labelValues(name: "parity") == ["even", "odd"])
        #expect(p.postings(name: "parity") { $0.hasPrefix("e") } == [2])
    }
}
