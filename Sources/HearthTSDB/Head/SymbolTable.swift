import HearthModel
import Synchronization

/// The head's interned strings: every distinct label name and value is stored once and series
/// refer to it by a 32-bit id, so a six-label series costs 48 bytes of ids instead of six pairs
/// of `String`s (32 bytes each).
///
/// Interning takes a lock; reading a string by id does not. Strings live in fixed pages that
/// never move, and an id only reaches a reader through data published under a lock after the
/// string was written, so the read is ordered after the write.
final class SymbolTable: @unchecked Sendable {
    static let pageBits = 12
    static let pageSize = 1 << pageBits
    static let maxPages = 1 << 16

    // Mutated only under `index`'s lock; read without it (see the type's comment).
    private let pages: UnsafeMutablePointer<UnsafeMutablePointer<String>?>
    private let index = Mutex<[String: UInt32]>([:])

    init() {
        pages = .allocate(capacity: Self.maxPages)
        pages.initialize(repeating: nil, count: Self.maxPages)
    }

    deinit {
        let count = index.withLock { $0.count }
        var i = 0
        while i < count {
            let page = pages[i >> Self.pageBits]!
            let n = min(Self.pageSize, count - i)
            page.deinitialize(count: n)
            page.deallocate()
            i += Self.pageSize
        }
        pages.deallocate()
    }

    /// Number of symbols.
    var count: Int { index.withLock { $0.count } }

    /// The id of `s`, adding it if new.
    func intern(_ s: String) -> UInt32 {
        index.withLock { idx in internLocked(s, &idx) }
    }

    /// Ids of a label set as `[name, value, name, value, ...]`, under one lock acquisition.
    func intern(_ labels: Labels) -> [UInt32] {
        index.withLock { idx in
            var out = [UInt32]()
            out.reserveCapacity(labels.count * 2)
            for l in labels {
                out.append(internLocked(l.name, &idx))
                out.append(internLocked(l.value, &idx))
            }
            return out
        }
    }

    private func internLocked(_ s: String, _ idx: inout [String: UInt32]) -> UInt32 {
        if let id = idx[s] { return id }
        let id = UInt32(idx.count)
        let page = Int(id) >> Self.pageBits
        precondition(page < Self.maxPages, "BUG: symbol table full")
        if pages[page] == nil { pages[page] = .allocate(capacity: Self.pageSize) }
        (pages[page]! + (Int(id) & (Self.pageSize - 1))).initialize(to: s)
        idx[s] = id
        return id
    }

    /// The string with id `id`, which must have come from this table.
    @inline(__always)
    func string(_ id: UInt32) -> String {
        pages[Int(id) >> Self.pageBits]![Int(id) & (Self.pageSize - 1)]
    }

    /// The label set with these ids.
    func labels(_ ids: some RandomAccessCollection<UInt32>) -> Labels {
        var out = [Label]()
        out.reserveCapacity(ids.count / 2)
        var it = ids.makeIterator()
        while let name = it.next(), let value = it.next() {
            out.append(Label(string(name), string(value)))
        }
        return Labels(sorted: out)
    }

    /// Whether the ids spell exactly `labels` (byte-wise, as Prometheus compares).
    func equals(_ ids: ArraySlice<UInt32>, _ labels: Labels) -> Bool {
        guard ids.count == labels.count * 2 else { return false }
        var i = ids.startIndex
        for l in labels {
            if !string(ids[i]).utf8Equals(l.name) { return false }
            if !string(ids[i + 1]).utf8Equals(l.value) { return false }
            i += 2
        }
        return true
    }
}
