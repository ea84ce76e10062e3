/// A postings list: the sorted, duplicate-free series references that carry one label pair.
/// Set algebra over them answers label matchers.
public typealias PostingsList = [UInt64]

/// Set algebra over sorted postings lists. Each operation is linear in its inputs and allocates
/// only its result.
public enum Postings {
    /// Series in every list. Intersects smallest-first, galloping through the larger lists,
    /// so a rare label pair makes the whole intersection cheap.
    /// - Complexity: O(k · m log(n/m)) for k lists, smallest m, largest n.
    public static func intersect(_ lists: [PostingsList]) -> PostingsList {
        guard !lists.isEmpty else { return [] }
        let ordered = lists.sorted { $0.count < $1.count }
        var result = ordered[0]
        for other in ordered.dropFirst() {
            if result.isEmpty { break }
            result = intersect(result, other)
        }
        return result
    }

    /// Intersection of two sorted lists.
    public static func intersect(_ a: PostingsList, _ b: PostingsList) -> PostingsList {
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        var out = PostingsList()
        out.reserveCapacity(small.count)
        var j = 0
        for x in small {
            j = gallop(large, from: j, to: x)
            if j == large.count { break }
            if large[j] == x { out.append(x); j += 1 }
        }
        return out
    }

    /// First index at or after `from` whose element is ≥ `target` (exponential then binary search).
    @inlinable
    static func gallop(_ list: PostingsList, from: Int, to target: UInt64) -> Int {
        var lo = from
        var step = 1
        var hi = from
        while hi < list.count && list[hi] < target {
            lo = hi + 1
            hi += step
            step <<= 1
        }
        if hi > list.count { hi = list.count }
        while lo < hi {
            let mid = (lo + hi) >> 1
            if list[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Series in any list: a k-way merge without duplicates.
    public static func union(_ lists: [PostingsList]) -> PostingsList {
        let nonEmpty = lists.filter { !$0.isEmpty }
        switch nonEmpty.count {
        case 0: return []
        case 1: return nonEmpty[0]
        case 2: return union(nonEmpty[0], nonEmpty[1])
        default:
            // Pairwise merging keeps the code simple and is O(n log k) over all inputs.
            var level = nonEmpty
            while level.count > 1 {
                var next: [PostingsList] = []
                next.reserveCapacity((level.count + 1) / 2)
                var i = 0
                while i + 1 < level.count {
                    next.append(union(level[i], level[i + 1]))
                    i += 2
                }
                if i < level.count { next.append(level[i]) }
                level = next
            }
            return level[0]
        }
    }

    /// Union of two sorted lists.
    public static func union(_ a: PostingsList, _ b: PostingsList) -> PostingsList {
        var out = PostingsList()
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let x = a[i], y = b[j]
            if x < y { out.append(x); i += 1 } else if y < x { out.append(y); j += 1 } else {
                out.append(x); i += 1; j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    /// Series in `a` but not in `b`.
    public static func subtract(_ a: PostingsList, _ b: PostingsList) -> PostingsList {
        guard !b.isEmpty else { return a }
        var out = PostingsList()
        out.reserveCapacity(a.count)
        var j = 0
        for x in a {
            j = gallop(b, from: j, to: x)
            if j < b.count && b[j] == x { continue }
            out.append(x)
        }
        return out
    }
}
