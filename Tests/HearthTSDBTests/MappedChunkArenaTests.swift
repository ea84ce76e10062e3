@testable import HearthTSDB
import Testing

@Suite struct MappedChunkArenaTests {
    static func meta(_ series: Int, _ k: Int) -> MappedChunkMeta {
        MappedChunkMeta(ref: UInt64(series) << 32 | UInt64(k), minTime: Int64(k) * 1_000, maxTime: Int64(k) * 1_000 + 999,
                        sampleCount: UInt16(k % 120 + 1))
    }

    /// Lists that grow in turn (each append moves a list that no longer ends the array), lose
    /// their oldest metas, vanish and are set whole keep exactly what an array per list would,
    /// through every compaction.
    @Test func listsMatchAnArrayPerSeriesThroughMovesDropsAndCompaction() {
        var arena = MappedChunkArena()
        let n = 50
        var starts = [UInt32](repeating: 0, count: n), counts = [UInt32](repeating: 0, count: n)
        var reference = [[MappedChunkMeta]](repeating: [], count: n)
        var alive = [Bool](repeating: true, count: n)
        var compactions = 0
        func check() {
            for s in 0..<n where alive[s] {
                #expect(Array(arena[starts[s], counts[s]]) == reference[s], "series \(s)")
            }
        }
        for round in 0..<200 {
            for s in 0..<n where alive[s] {
                let m = Self.meta(s, round)
                arena.append(m, start: &starts[s], count: &counts[s])
                reference[s].append(m)
            }
            if round % 7 == 6 {
                // Truncation: every list loses the metas older than a horizon.
                for s in 0..<n where alive[s] {
                    let k = reference[s].prefix { $0.maxTime < Int64(round - 3) * 1_000 }.count
                    arena.dropFirst(UInt32(k), start: &starts[s], count: &counts[s])
                    reference[s].removeFirst(k)
                }
            }
            if round == 50 {
                for s in stride(from: 0, to: n, by: 5) {
                    arena.release(count: &counts[s])
                    alive[s] = false
                }
            }
            if round == 80 {
                let list = (0..<3).map { Self.meta(1, 1_000 + $0) }
                arena.set(list, start: &starts[1], count: &counts[1])
                reference[1] = list
            }
            if arena.wantsCompaction {
                arena.compact { move in
                    for s in 0..<n where alive[s] { move(&starts[s], &counts[s]) }
                }
                compactions += 1
                #expect(arena.dead == 0)
            }
            check()
        }
        #expect(compactions > 0)
        // What is left is about the live lists, not the 200 rounds of history.
        let live = reference.enumerated().filter { alive[$0.offset] }.reduce(0) { $0 + $1.element.count }
        #expect(arena.metas.count - arena.dead == live)
        #expect(arena.metas.count <= 3 * live)
    }

    /// The list that ends the array grows in place: no dead metas.
    @Test func theLastListGrowsInPlace() {
        var arena = MappedChunkArena()
        var start: UInt32 = 0, count: UInt32 = 0
        for k in 0..<10 { arena.append(Self.meta(0, k), start: &start, count: &count) }
        #expect(start == 0 && count == 10 && arena.dead == 0 && arena.metas.count == 10)
    }
}
