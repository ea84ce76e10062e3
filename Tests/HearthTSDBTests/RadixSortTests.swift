@testable import HearthTSDB
import HearthWAL
import Testing

@Suite struct RadixSortTests {
    @Test func sortsByBlockAndKeepsEachSeriesInOrder() {
        var rng = SystemRandomNumberGenerator()
        var samples: [WALSample] = []
        for t in 0..<50 {
            for _ in 0..<200 {
                let ref = UInt64.random(in: 1...(1 << 22), using: &rng)
                samples.append(WALSample(ref: ref, timestamp: Int64(t), value: Double(t)))
            }
        }
        var sorted = samples
        RadixSort.sortByBlock(&sorted)
        #expect(sorted.count == samples.count)
        let blocks = sorted.map { $0.ref >> Head.blockBits }
        #expect(blocks == blocks.sorted())
        // Stable: per series, timestamps stay in their original order.
        var last: [UInt64: Int64] = [:]
        for s in sorted {
            #expect(s.timestamp >= last[s.ref, default: .min])
            last[s.ref] = s.timestamp
        }
        #expect(Set(sorted.map { "\($0.ref)/\($0.timestamp)" }) == Set(samples.map { "\($0.ref)/\($0.timestamp)" }))
    }
}
