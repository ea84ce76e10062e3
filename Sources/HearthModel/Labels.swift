import HearthEncoding

/// One label: a name and a value.
public struct Label: Hashable, Sendable, Comparable {
    public var name: String
    public var value: String

    @inlinable
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public static func < (a: Label, b: Label) -> Bool {
        !a.name.utf8Equals(b.name) ? a.name.utf8Precedes(b.name) : a.value.utf8Precedes(b.value)
    }
}

/// The label set that identifies a series, sorted by name (byte order), `__name__` included,
/// names unique. This is the boundary type between components; the head stores label sets
/// once, as interned symbol references.
public struct Labels: Hashable, Sendable, RandomAccessCollection, CustomStringConvertible {
    public static let metricName = "__name__"
    /// Byte that separates names and values in hashed label sets (Prometheus's `seps`).
    public static let separator: UInt8 = 0xFF
    /// The most labels a series may have in Hearth: the head counts a series' label ids (two
    /// per label) in 16 bits, and every reader of stored series (WAL, snapshot) accepts this
    /// many. Prometheus sets no bound; no real series comes near it.
    public static let maximumCount = Int(UInt16.max) / 2

    /// Byte-wise equality, as Prometheus compares labels (Swift's `String ==` would also
    /// equate canonically equivalent but differently encoded strings).
    public static func == (a: Labels, b: Labels) -> Bool {
        guard a.storage.count == b.storage.count else { return false }
        for i in a.storage.indices {
            let x = a.storage[i], y = b.storage[i]
            if !x.name.utf8Equals(y.name) || !x.value.utf8Equals(y.value) { return false }
        }
        return true
    }

    /// Hashes the bytes of every label into `bytes` (reused by the caller to avoid allocating)
    /// and returns the stable hash.
    public func stableHash(scratch bytes: inout [UInt8]) -> UInt64 {
        bytes.removeAll(keepingCapacity: true)
        for l in storage {
            bytes.append(contentsOf: l.name.utf8)
            bytes.append(Labels.separator)
            bytes.append(contentsOf: l.value.utf8)
            bytes.append(Labels.separator)
        }
        return XXHash64.hash(bytes)
    }

    @usableFromInline var storage: [Label]

    /// Builds a label set from labels in any order. Empty values are dropped, as Prometheus
    /// treats an empty value as an absent label.
    /// - Throws: ``LabelsError`` on a duplicate or empty name.
    public init(validating labels: [Label]) throws(LabelsError) {
        var sorted = Labels(sortedDroppingEmpty: labels).storage
        sorted.sort { $0.name.utf8Precedes($1.name) }
        for i in sorted.indices {
            if sorted[i].name.isEmpty { throw .emptyName }
            if i > 0 && sorted[i].name == sorted[i - 1].name { throw .duplicateName(sorted[i].name) }
        }
        storage = sorted
    }

    /// Builds a label set from labels the caller guarantees are sorted and unique.
    @inlinable
    public init(sorted labels: [Label]) {
        storage = labels
    }

    /// `labels` without those with empty values, in the order given (sorted and unique, as for
    /// ``init(sorted:)``), in an array of exactly that size. For label sets kept as long as their
    /// series lives (a scrape's series cache, the agent's table): `filter` appends one by one and
    /// can leave half its capacity unused.
    public init(sortedDroppingEmpty labels: [Label]) {
        var n = 0
        for l in labels where !l.value.isEmpty { n += 1 }
        var kept: [Label] = []
        kept.reserveCapacity(n)
        for l in labels where !l.value.isEmpty { kept.append(l) }
        storage = kept
    }

    /// Convenience for tests and literals: `Labels(["__name__": "up", "job": "x"])`.
    public init(_ dictionary: [String: String]) {
        storage = dictionary.filter { !$0.value.isEmpty }.map { Label($0.key, $0.value) }
            .sorted { $0.name.utf8Precedes($1.name) }
    }

    public init() { storage = [] }

    @inlinable public var startIndex: Int { storage.startIndex }
    @inlinable public var endIndex: Int { storage.endIndex }
    @inlinable public subscript(position: Int) -> Label { storage[position] }

    /// The value of label `name`, or nil.
    public subscript(name: String) -> String? {
        for l in storage where l.name == name { return l.value }
        return nil
    }

    /// The metric name, or nil.
    public var metricName: String? { self[Labels.metricName] }

    /// A stable 64-bit hash (xxhash64 of `name 0xFF value 0xFF ...`), equal across processes.
    public var stableHash: UInt64 {
        var scratch = [UInt8]()
        return stableHash(scratch: &scratch)
    }

    /// Prometheus's text form: `name{a="b", c="d"}`.
    public var description: String {
        var out = ""
        var rest: [Label] = []
        for l in storage {
            if l.name == Labels.metricName { out += l.value } else { rest.append(l) }
        }
        out += "{"
        out += rest.map { "\($0.name)=\"\(Labels.escapeValue($0.value))\"" }.joined(separator: ", ")
        out += "}"
        return out
    }

    /// A label value escaped for the text exposition format (backslash, quote, newline).
    public static func escapeValue(_ s: String) -> String {
        var r = ""
        for c in s {
            switch c {
            case "\\": r += "\\\\"
            case "\"": r += "\\\""
            case "\n": r += "\\n"
            default: r.append(c)
            }
        }
        return r
    }
}

public enum LabelsError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyName
    case duplicateName(String)

    public var description: String {
        switch self {
        case .emptyName: return "label name is empty"
        case .duplicateName(let n): return "duplicate label name \"\(n)\""
        }
    }
}

extension Labels: Comparable {
    /// Prometheus's `labels.Compare`: label by label, name then value, in byte order;
    /// a prefix sorts first.
    public static func < (a: Labels, b: Labels) -> Bool {
        let n = Swift.min(a.count, b.count)
        for i in 0..<n {
            let x = a[i], y = b[i]
            if !x.name.utf8Equals(y.name) { return x.name.utf8Precedes(y.name) }
            if !x.value.utf8Equals(y.value) { return x.value.utf8Precedes(y.value) }
        }
        return a.count < b.count
    }
}
