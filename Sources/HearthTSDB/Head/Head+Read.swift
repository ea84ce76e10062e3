#if canImport(Glibc)
import Glibc
#endif
import HearthChunks
import HearthIndex
import HearthModel
import HearthStorage
import Synchronization

extension Head: Querier {
    /// Postings for a set of matchers, after Prometheus's `PostingsForMatchers`: matchers that
    /// cannot match the empty value intersect; those that can are applied by subtracting the
    /// series their inverse selects.
    func postings(for matchers: [Matcher]) -> PostingsList {
        var include: [PostingsList] = []
        var exclude: [PostingsList] = []
        for m in matchers {
            if m.matchesEmpty {
                let inverse = Self.inverse(m)
                exclude.append(postings(matching: inverse))
            } else {
                include.append(postings(matching: m))
            }
        }
        var result = include.isEmpty ? postings.allPostings() : Postings.intersect(include)
        for e in exclude where !e.isEmpty {
            result = Postings.subtract(result, e)
        }
        return result
    }

    static func inverse(_ m: Matcher) -> Matcher {
        switch m.kind {
        case .equal: return try! Matcher(.notEqual, m.name, m.value)
        case .notEqual: return try! Matcher(.equal, m.name, m.value)
        case .regexMatch: return InverseMatcher.make(m, kind: .regexNoMatch)
        case .regexNoMatch: return InverseMatcher.make(m, kind: .regexMatch)
        }
    }

    /// Series whose label `m.name` exists and satisfies `m`.
    func postings(matching m: Matcher) -> PostingsList {
        switch m.kind {
        case .equal:
            return postings.postings(name: m.name, value: m.value)
        case .regexMatch:
            if let set = m.regex?.literalSet {
                return Postings.union(set.map { postings.postings(name: m.name, value: $0) })
            }
            return postings.postings(name: m.name, where: m.matches)
        case .notEqual, .regexNoMatch:
            return postings.postings(name: m.name, where: m.matches)
        }
    }

    public func select(_ matchers: [Matcher], minTime: Timestamp, maxTime: Timestamp) -> [SeriesData] {
        var out: [SeriesData] = []
        for ref in postings(for: matchers) {
            guard let (s, ids) = snapshotSeriesAndLabels(ref) else { continue }
            var chunks: [ChunkData] = []
            for m in s.mapped where m.maxTime >= minTime && m.minTime <= maxTime {
                if let bytes = chunkFiles.chunk(m.ref) {
                    chunks.append(ChunkData(minTime: m.minTime, maxTime: m.maxTime, bytes: bytes))
                }
            }
            if let h = s.head, h.count > 0, h.lastTimestamp >= minTime && s.headMinTime <= maxTime {
                chunks.append(ChunkData(minTime: s.headMinTime, maxTime: h.lastTimestamp, bytes: h.bytes))
            }
            if chunks.isEmpty { continue }
            out.append(SeriesData(labels: symbols.labels(ids), chunks: chunks, minTime: minTime,
                                  maxTime: maxTime))
        }
        return Self.sortedByLabels(out)
    }

    /// Sorts by labels through one byte key per series (`name 0x00 value 0x00 ...`, which orders
    /// exactly as `Labels <` when no label holds a NUL byte): a `memcmp` per comparison instead
    /// of walking label structs.
    static func sortedByLabels(_ series: [SeriesData]) -> [SeriesData] {
        guard series.count > 1 else { return series }
        var keys: [[UInt8]] = []
        keys.reserveCapacity(series.count)
        for s in series {
            var key: [UInt8] = []
            for l in s.labels {
                if l.name.utf8.contains(0) || l.value.utf8.contains(0) { return series.sorted { $0.labels < $1.labels } }
                key.append(contentsOf: l.name.utf8)
                key.append(0)
                key.append(contentsOf: l.value.utf8)
                key.append(0)
            }
            keys.append(key)
        }
        let order = keys.indices.sorted { a, b in
            keys[a].withUnsafeBufferPointer { x in
                keys[b].withUnsafeBufferPointer { y in
                    let n = min(x.count, y.count)
                    if n > 0 {
                        let c = memcmp(x.baseAddress!, y.baseAddress!, n)
                        if c != 0 { return c < 0 }
                    }
                    return x.count < y.count
                }
            }
        }
        return order.map { series[$0] }
    }

    /// A copy of a series' state and label ids taken under one lock acquisition.
    func snapshotSeriesAndLabels(_ ref: UInt64) -> (MemSeries, [UInt32])? {
        let i = slot(ofRef: ref)
        return stripe(ofRef: ref).series.withLock { s in s.isLive(i) ? (s.series[i], Array(s.labelIDs(of: i))) : nil }
    }

    public func labelNames(_ matchers: [Matcher]) -> [String] {
        if matchers.isEmpty { return postings.labelNames() }
        var names = Set<String>()
        for ref in postings(for: matchers) {
            if let l = labelsOf(ref) { for x in l { names.insert(x.name) } }
        }
        return names.sorted { $0.utf8Precedes($1) }
    }

    public func labelValues(_ name: String, _ matchers: [Matcher]) -> [String] {
        if matchers.isEmpty { return postings.labelValues(name: name) }
        var values = Set<String>()
        for ref in postings(for: matchers) {
            if let v = labelsOf(ref)?[name] { values.insert(v) }
        }
        return values.sorted { $0.utf8Precedes($1) }
    }
}

/// Builds the inverse of a regex matcher without recompiling its pattern.
enum InverseMatcher {
    static func make(_ m: Matcher, kind: Matcher.Kind) -> Matcher {
        let regex = m.regex!
        return try! Matcher(kind, m.name, m.value, compiler: { _ in regex })
    }
}
