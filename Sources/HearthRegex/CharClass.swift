/// A set of Unicode scalar values as sorted, non-overlapping, non-adjacent closed ranges.
struct CharClass: Equatable, Sendable {
    private(set) var ranges: [ClosedRange<UInt32>] = []

    static let maxScalar: UInt32 = 0x10FFFF

    init() {}

    init(_ ranges: [ClosedRange<UInt32>]) {
        for r in ranges { add(r) }
    }

    /// Adds a range, keeping the invariant.
    /// - Complexity: O(1) when it lies at or after the last range (building in order), else O(n).
    mutating func add(_ r: ClosedRange<UInt32>) {
        if let last = ranges.last, r.lowerBound >= last.lowerBound {
            if r.lowerBound > last.upperBound &+ 1 {
                ranges.append(r)
            } else if r.upperBound > last.upperBound {
                ranges[ranges.count - 1] = last.lowerBound...r.upperBound
            }
            return
        }
        if ranges.isEmpty {
            ranges.append(r)
            return
        }
        var lo = r.lowerBound, hi = r.upperBound
        var out: [ClosedRange<UInt32>] = []
        out.reserveCapacity(ranges.count + 1)
        var placed = false
        for x in ranges {
            if x.upperBound &+ 1 < lo {
                out.append(x)
            } else if hi &+ 1 < x.lowerBound {
                if !placed {
                    out.append(lo...hi)
                    placed = true
                }
                out.append(x)
            } else {
                lo = min(lo, x.lowerBound)
                hi = max(hi, x.upperBound)
            }
        }
        if !placed { out.append(lo...hi) }
        ranges = out
    }

    /// Adds every range of `other`. - Complexity: O(n + m), a merge of the two sorted lists.
    mutating func add(_ other: CharClass) {
        guard !other.ranges.isEmpty else { return }
        guard !ranges.isEmpty else {
            ranges = other.ranges
            return
        }
        var merged = CharClass()
        var i = 0, j = 0
        while i < ranges.count || j < other.ranges.count {
            if j == other.ranges.count || (i < ranges.count && ranges[i].lowerBound <= other.ranges[j].lowerBound) {
                merged.add(ranges[i])
                i += 1
            } else {
                merged.add(other.ranges[j])
                j += 1
            }
        }
        self = merged
    }

    func negated() -> CharClass {
        var out = CharClass()
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { out.ranges.append(next...(r.lowerBound - 1)) }
            next = r.upperBound &+ 1
        }
        if next <= Self.maxScalar { out.ranges.append(next...Self.maxScalar) }
        return out
    }

    func contains(_ c: UInt32) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ranges[mid].upperBound < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].lowerBound <= c
    }

    var isEmpty: Bool { ranges.isEmpty }

    /// The class closed under simple case folding (what `(?i)` means for a class).
    /// Visits only the scalars that have case variants (a few thousand), not the class's ranges.
    func caseFolded() -> CharClass {
        var added: [UInt32] = []
        for (c, orbit) in CaseFolding.all where contains(c) {
            for f in orbit where f != c { added.append(f) }
        }
        guard !added.isEmpty else { return self }
        added.sort()
        var out = self
        var k = 0
        while k < added.count {
            var end = k
            while end + 1 < added.count && added[end + 1] <= added[end] &+ 1 { end += 1 }
            out.add(added[k]...added[end])
            k = end + 1
        }
        return out
    }
}
