@testable import HearthAgent
import HearthModel
import Testing

/// The agent keeps its series' labels as symbol ids (``LabelSetStore``) and finds refs by a hash
/// of the labels (``AgentStorage/Table``); both must give back exactly what went in.
@Suite struct LabelSetStoreTests {
    static func sample(_ i: Int) -> Labels {
        Labels(["__name__": "app_requests_\(i % 7)_total", "instance": "10.0.\(i / 250).\(i % 250):9100",
                "job": "node", "path": "/api/v1/resource/\(i % 10)"])
    }

    @Test func setsComeBackAsTheyWentIn() {
        var store = LabelSetStore()
        let sets = (0..<500).map(Self.sample) + [Labels(), Labels(["__name__": "up"])]
        let handles = sets.map { store.add($0) }
        for (h, l) in zip(handles, sets) {
            #expect(store.labels(h) == l)
            #expect(store.matches(h, l))
        }
        #expect(!store.matches(handles[0], sets[1]))
        #expect(!store.matches(handles[0], Labels()))
        // Every name and value once: 7 metric names, 500 instances, 10 paths, "node", "up", 4 label names.
        #expect(store.symbols.count == 7 + 500 + 10 + 1 + 1 + 4)
        // Shapes: the four names, none, and `__name__` alone.
        #expect(store.shapeCount == 3)
    }

    /// Sets fill fixed-size pages and never span two; one larger than a page gets its own.
    /// Ids of every varint width come back intact.
    @Test func setsAcrossPagesAndOversizedSets() {
        var store = LabelSetStore()
        var sets = (0..<40_000).map { i in Labels(["__name__": "m\(i % 300)", "id": "\(i)", "z": "v\(i % 1_000)"]) }
        // 30,000 labels, about 3 bytes each: larger than a page.
        sets.insert(Labels(sorted: (0..<30_000).map { Label("l\($0)", "x\($0)") }.sorted { $0.name.utf8Precedes($1.name) }), at: 20_000)
        let handles = sets.map { store.add($0) }
        #expect(store.byteCount > 2 * LabelSetStore.pageSize)
        for (h, l) in zip(handles, sets) {
            #expect(store.labels(h) == l)
            #expect(store.hash(h) == LabelSetStore.hash(l))
        }
    }

    /// Names and values are compared by their bytes: "é" as one code point is not "e" + U+0301.
    @Test func canonicallyEquivalentValuesAreDifferentSets() {
        var store = LabelSetStore()
        let composed = Labels(["name": "caf\u{E9}"])
        let decomposed = Labels(["name": "cafe\u{301}"])
        let a = store.add(composed)
        let b = store.add(decomposed)
        #expect(store.matches(a, composed) && !store.matches(a, decomposed))
        #expect(store.matches(b, decomposed) && !store.matches(b, composed))
        #expect(Array(store.labels(b)[0].value.utf8) == Array("cafe\u{301}".utf8))
    }

    @Test func compactionKeepsOnlyLiveSetsAndTheirSymbols() {
        var store = LabelSetStore()
        let sets = (0..<2_000).map(Self.sample)
        var handles = sets.map { store.add($0) }
        for i in handles.indices where i % 4 != 0 { store.remove(handles[i]) }
        #expect(store.wantsCompaction)
        store.compact { rewrite in
            for i in handles.indices where i % 4 == 0 { rewrite(&handles[i]) }
        }
        #expect(store.deadBytes == 0)
        // The same bytes as a store that only ever had the live sets.
        var fresh = LabelSetStore()
        for i in handles.indices where i % 4 == 0 { _ = fresh.add(sets[i]) }
        #expect(store.byteCount == fresh.byteCount)
        #expect(store.shapeCount == 1)
        for i in handles.indices where i % 4 == 0 { #expect(store.labels(handles[i]) == sets[i]) }
        // Symbols only removed sets used are gone: the live sets (every fourth) have 500
        // instances, 7 metric names and 5 of the 10 paths.
        #expect(store.symbols.count == 7 + 500 + 5 + 1 + 4)
        #expect(!store.wantsCompaction)
    }

    /// Sets of several shapes, some removed: compaction keeps the shapes still used and each
    /// set's names with its values.
    @Test func compactionAcrossShapes() {
        var store = LabelSetStore()
        let sets: [Labels] = (0..<3_000).map { i in
            switch i % 3 {
            case 0: Self.sample(i)
            case 1: Labels(["__name__": "up", "instance": "h\(i)"])
            default: Labels(["__name__": "up", "instance": "h\(i)", "zone": "z\(i % 5)"])
            }
        }
        var handles = sets.map { store.add($0) }
        #expect(store.shapeCount == 3)
        // Keep only the first shape and every tenth of the third.
        let live = sets.indices.filter { $0 % 3 == 0 || ($0 % 3 == 2 && $0 % 10 == 0) }
        for i in sets.indices where !live.contains(i) { store.remove(handles[i]) }
        store.compact { rewrite in for i in live { rewrite(&handles[i]) } }
        #expect(store.shapeCount == 2)
        for i in live {
            #expect(store.labels(handles[i]) == sets[i])
            #expect(store.hash(handles[i]) == LabelSetStore.hash(sets[i]))
        }
    }

    @Test func theTableFindsRefsByLabels() {
        var table = AgentStorage.Table()
        let sets = (0..<1_000).map(Self.sample)
        for (i, l) in sets.enumerated() {
            let h = table.store.add(l)
            table.insert(UInt64(i + 1), .init(labels: h, lastTimestamp: 0, lastSegment: 0), labels: l)
        }
        for (i, l) in sets.enumerated() { #expect(table.ref(of: l) == UInt64(i + 1)) }
        #expect(table.ref(of: Labels(["__name__": "absent"])) == nil)
        // Taken out, forgotten, released, compacted: the others are still found.
        var gone: [AgentStorage.Series] = []
        for i in sets.indices where i % 4 != 0 { gone.append(table.remove(UInt64(i + 1))!) }
        for s in gone { table.release(s) }
        table.compactStoreIfWorthIt()
        #expect(table.store.deadBytes == 0)
        for (i, l) in sets.enumerated() {
            #expect(table.ref(of: l) == (i % 4 == 0 ? UInt64(i + 1) : nil))
            if i % 4 == 0 { #expect(table.store.labels(table.series[UInt64(i + 1)]!.labels) == l) }
        }
    }

    /// The store hashes a set as the index hashes the labels it was made from.
    @Test func storeAndLabelsHashAlike() {
        var store = LabelSetStore()
        for i in 0..<100 {
            let l = Self.sample(i)
            let handle = store.add(l)
            #expect(store.hash(handle) == LabelSetStore.hash(l))
        }
        #expect(LabelSetStore.hash(Labels(["a": "bc"])) != LabelSetStore.hash(Labels(["ab": "c"])))
    }

    /// Refs past what the index holds are still found by their labels.
    @Test func largeRefsAreFoundToo() {
        var table = AgentStorage.Table()
        let a = Self.sample(1)
        let big = RefIndex.maxRef + 5
        table.insert(big, .init(labels: table.store.add(a), lastTimestamp: 0, lastSegment: 0), labels: a)
        #expect(table.ref(of: a) == big)
        _ = table.remove(big)
        #expect(table.ref(of: a) == nil && table.largeRefs.isEmpty)
    }

    /// The same labels under a newer ref (a log that has the series twice): the newer ref wins.
    @Test func aNewerRefOfTheSameLabelsReplacesTheOlder() {
        var table = AgentStorage.Table()
        let a = Self.sample(4)
        table.insert(3, .init(labels: table.store.add(a), lastTimestamp: 0, lastSegment: 0), labels: a)
        table.insert(9, .init(labels: table.store.add(a), lastTimestamp: 0, lastSegment: 0), labels: a)
        #expect(table.ref(of: a) == 9)
        #expect(table.refs.count == 1)
    }

    /// The series table's slot (an optional series) stays 24 bytes: at 200k series every 8 bytes
    /// is 1.6 MB.
    @Test func seriesSlotStaysSmall() {
        #expect(MemoryLayout<AgentStorage.Series?>.stride == 24)
    }

    /// The same ref replayed twice (a series logged again after it was brought back) is one series.
    @Test func aReplayedRefIsKeptOnce() {
        var table = AgentStorage.Table()
        let a = Self.sample(3)
        table.insert(7, .init(labels: table.store.add(a), lastTimestamp: 0, lastSegment: 1), labels: a)
        table.insert(7, .init(labels: table.store.add(a), lastTimestamp: 0, lastSegment: 4), labels: a)
        #expect(table.series.count == 1)
        #expect(table.series[7]?.lastSegment == 4)
        #expect(table.store.deadBytes == 5)  // a shape and four values, ids under 128: a byte each
        #expect(table.ref(of: a) == 7)
    }
}
