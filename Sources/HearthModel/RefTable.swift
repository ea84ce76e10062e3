/// Values by series ref, for refs handed out in increasing order from 1 (the head's and the
/// agent's): a lookup is two array indexes instead of hashing the ref, and a value costs its
/// own size, not a hash table's spare buckets.
///
/// Slots come in pages of 512 refs; a page is allocated when a ref in it gets a value and freed
/// when its last value goes, and the page list spans only the pages between the lowest and the
/// highest ref with a value, so refs that are gone for good (series churned out, refs growing
/// for months) cost nothing once their whole page is gone. Refs beyond ``denseLimit`` (never
/// handed out by Hearth, but a damaged log could name one) go to a dictionary instead.
///
/// Inlinable so that it is specialized for its value type where it is used: the generic code
/// looked up type metadata on every lookup (about 13% of the agent's CPU under the scale run).
public struct RefTable<Value> {
    @usableFromInline static var pageShift: UInt64 { 9 }
    @usableFromInline static var pageSize: Int { 1 << 9 }
    /// Refs below this live in pages (2^32 refs: a page list of 8M entries at most).
    @inlinable public static var denseLimit: UInt64 { 1 << 32 }

    /// `pages[i]` holds the refs of page number `firstPage + i`.
    @usableFromInline var pages: [[Value?]?] = []
    @usableFromInline var firstPage = 0
    @usableFromInline var pageCounts: [UInt16] = []
    @usableFromInline var overflow: [UInt64: Value] = [:]
    @usableFromInline var storedCount = 0
    /// Refs with a value.
    @inlinable public var count: Int { storedCount }

    @inlinable public init() {}

    @inlinable
    public subscript(ref: UInt64) -> Value? {
        get {
            guard ref < Self.denseLimit else { return overflow[ref] }
            guard let i = index(ref) else { return nil }
            // Through the optional in place: binding the page would retain it.
            return pages[i]?[Int(ref) & (Self.pageSize - 1)] ?? nil
        }
        set {
            guard ref < Self.denseLimit else {
                let had = overflow[ref] != nil
                overflow[ref] = newValue
                storedCount += (newValue != nil ? 1 : 0) - (had ? 1 : 0)
                return
            }
            let p = Int(ref &>> Self.pageShift), slot = Int(ref) & (Self.pageSize - 1)
            if pages.isEmpty {
                guard newValue != nil else { return }
                firstPage = p
            }
            var i = p - firstPage
            if i < 0 {
                guard newValue != nil else { return }
                pages.insert(contentsOf: repeatElement(nil, count: -i), at: 0)
                pageCounts.insert(contentsOf: repeatElement(0, count: -i), at: 0)
                firstPage = p
                i = 0
            } else if i >= pages.count {
                guard newValue != nil else { return }
                pages.append(contentsOf: repeatElement(nil, count: i + 1 - pages.count))
                pageCounts.append(contentsOf: repeatElement(0, count: i + 1 - pageCounts.count))
            }
            if pages[i] == nil {
                guard newValue != nil else { return }
                pages[i] = [Value?](repeating: nil, count: Self.pageSize)
            }
            let had = pages[i]![slot] != nil
            pages[i]![slot] = newValue
            let delta = (newValue != nil ? 1 : 0) - (had ? 1 : 0)
            storedCount += delta
            pageCounts[i] = UInt16(Int(pageCounts[i]) + delta)
            if pageCounts[i] == 0 { freePage(i) }
        }
    }

    /// The index in `pages` of `ref`'s page, if the list spans it.
    @inlinable
    func index(_ ref: UInt64) -> Int? {
        let i = Int(ref &>> Self.pageShift) &- firstPage
        return i >= 0 && i < pages.count ? i : nil
    }

    /// Frees an emptied page and trims empty pages off both ends of the list.
    @usableFromInline
    mutating func freePage(_ i: Int) {
        pages[i] = nil
        var lead = 0
        while lead < pages.count && pages[lead] == nil { lead += 1 }
        if lead > 0 {
            pages.removeFirst(lead)
            pageCounts.removeFirst(lead)
            firstPage += lead
        }
        while let last = pages.last, last == nil {
            pages.removeLast()
            pageCounts.removeLast()
        }
        if pages.isEmpty { firstPage = 0 }
    }

    /// Runs `body` on the value of `ref` in place; nil (and `body` not run) if there is none.
    @inlinable
    public mutating func update<R>(_ ref: UInt64, _ body: (inout Value) -> R) -> R? {
        guard ref < Self.denseLimit else {
            guard overflow[ref] != nil else { return nil }
            return body(&overflow[ref]!)
        }
        guard let i = index(ref) else { return nil }
        let slot = Int(ref) & (Self.pageSize - 1)
        guard pages[i] != nil, pages[i]![slot] != nil else { return nil }
        return body(&pages[i]![slot]!)
    }

    /// Removes and returns the value of `ref`.
    @inlinable @discardableResult
    public mutating func removeValue(forRef ref: UInt64) -> Value? {
        let v = self[ref]
        if v != nil { self[ref] = nil }
        return v
    }

    /// Every ref with a value, in increasing order (overflow refs last).
    @inlinable
    public func forEach(_ body: (UInt64, Value) throws -> Void) rethrows {
        for (p, page) in pages.enumerated() {
            guard let page else { continue }
            for (slot, v) in page.enumerated() {
                if let v { try body(UInt64(firstPage + p) << Self.pageShift | UInt64(slot), v) }
            }
        }
        for (ref, v) in overflow.sorted(by: { $0.key < $1.key }) { try body(ref, v) }
    }

    /// Runs `body` on every value in place.
    @inlinable
    public mutating func updateAll(_ body: (UInt64, inout Value) -> Void) {
        for p in pages.indices where pages[p] != nil {
            for slot in 0..<Self.pageSize where pages[p]![slot] != nil {
                body(UInt64(firstPage + p) << Self.pageShift | UInt64(slot), &pages[p]![slot]!)
            }
        }
        for ref in overflow.keys { body(ref, &overflow[ref]!) }
    }

    @inlinable
    public mutating func removeAll() {
        pages = []
        pageCounts = []
        firstPage = 0
        overflow = [:]
        storedCount = 0
    }
}

extension RefTable: Sendable where Value: Sendable {}
