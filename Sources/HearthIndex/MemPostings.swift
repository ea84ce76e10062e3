import HearthModel
import Synchronization

/// The in-memory inverted index of the head: for every label name and value, the sorted list
/// of series carrying it, plus the list of all series.
///
/// One lock guards it, as in Prometheus's `MemPostings`: new series are rare next to samples,
/// and readers copy out the lists they need (a copy of an array is a reference count, not a copy
/// of the elements).
public final class MemPostings: Sendable {
    struct State {
        var byName: [String: [String: PostingsList]] = [:]
        var all: PostingsList = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds series `ref` under each of its labels. Refs normally arrive in increasing order;
    /// a ref that arrives late (concurrent creation) is inserted in place.
    public func add(_ ref: UInt64, labels: Labels) {
        state.withLock { s in
            Self.insert(ref, into: &s.all)
            for l in labels {
                Self.insert(ref, into: &s.byName[l.name, default: [:]][l.value, default: []])
            }
        }
    }

    /// Removes series (head garbage collection).
    public func remove(_ refs: Set<UInt64>, labelsOf: (UInt64) -> Labels?) {
        guard !refs.isEmpty else { return }
        state.withLock { s in
            s.all.removeAll { refs.contains($0) }
            for ref in refs {
                guard let labels = labelsOf(ref) else { continue }
                for l in labels {
                    s.byName[l.name]?[l.value]?.removeAll { $0 == ref }
                    if s.byName[l.name]?[l.value]?.isEmpty == true { s.byName[l.name]![l.value] = nil }
                    if s.byName[l.name]?.isEmpty == true { s.byName[l.name] = nil }
                }
            }
        }
    }

    /// Adds whole postings lists at once (loading a snapshot): `all` and each list sorted.
    /// Lists for pairs already present are merged.
    /// - Complexity: O(n) over all entries.
    public func addSorted(all: PostingsList, lists: [(name: String, value: String, refs: PostingsList)]) {
        state.withLock { s in
            s.all = s.all.isEmpty ? all : Postings.union(s.all, all)
            for (name, value, refs) in lists {
                s.byName[name, default: [:]][value] = s.byName[name]?[value].map { Postings.union($0, refs) } ?? refs
            }
        }
    }

    /// Inserts keeping the list sorted. Refs almost always arrive in increasing order (append);
    /// a late one from a concurrent creator is placed by binary search.
    @inline(__always)
    static func insert(_ ref: UInt64, into list: inout PostingsList) {
        // Grow by an eighth, not by doubling: the index holds a list entry per label per series.
        if list.count == list.capacity { list.reserveCapacity(list.count + Swift.max(4, list.count >> 3)) }
        guard let last = list.last, last >= ref else {
            list.append(ref)
            return
        }
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if list[mid] < ref { lo = mid + 1 } else { hi = mid }
        }
        if lo < list.count && list[lo] == ref { return }
        list.insert(ref, at: lo)
    }

    /// Postings for one label pair.
    public func postings(name: String, value: String) -> PostingsList {
        state.withLock { $0.byName[name]?[value] ?? [] }
    }

    /// Every series.
    public func allPostings() -> PostingsList {
        state.withLock { $0.all }
    }

    /// Union of the postings of every value of `name` that satisfies `predicate`.
    public func postings(name: String, where predicate: (String) -> Bool) -> PostingsList {
        let lists: [PostingsList] = state.withLock { s in
            guard let values = s.byName[name] else { return [] }
            return values.compactMap { predicate($0.key) ? $0.value : nil }
        }
        return Postings.union(lists)
    }

    /// Sorted label names.
    public func labelNames() -> [String] {
        state.withLock { Array($0.byName.keys) }.sorted { $0.utf8Precedes($1) }
    }

    /// Sorted values of label `name`.
    public func labelValues(name: String) -> [String] {
        state.withLock { $0.byName[name].map { Array($0.keys) } ?? [] }
            .sorted { $0.utf8Precedes($1) }
    }

    /// Number of series with each label pair: cardinality statistics.
    public func pairCounts() -> [(name: String, value: String, count: Int)] {
        state.withLock { s in
            s.byName.flatMap { name, values in values.map { (name, $0.key, $0.value.count) } }
        }
    }
}
