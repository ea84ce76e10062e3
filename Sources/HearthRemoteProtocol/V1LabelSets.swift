import HearthEncoding
import HearthModel

/// A remote-write round's label sets, each encoded once as the `labels` fields of a protocol
/// 1.0 `TimeSeries` and kept back to back in one buffer: a request then copies a sample's set
/// instead of encoding strings, and no `Labels` needs to exist for it (see ``LabelSetSink``).
///
/// External labels are merged in as sets arrive: each goes in its place by name unless the
/// series has a label of that name (the series' own label wins, as Prometheus does it).
public struct V1LabelSets: LabelSetSink, Sendable {
    /// Every set's bytes, back to back.
    public private(set) var bytes: [UInt8] = []
    /// Set `i` is `bytes[starts[i] ..< starts[i + 1]]`.
    public private(set) var starts: [Int] = [0]
    /// The series ref of each set.
    public private(set) var refs: [UInt64] = []
    let external: Labels
    var nextExternal = 0

    public init(externalLabels: Labels = Labels()) {
        external = externalLabels
    }

    public var count: Int { refs.count }

    /// The encoded size of set `i`.
    @inline(__always) public func size(_ i: Int) -> Int { starts[i + 1] - starts[i] }

    public mutating func beginSet(ref: UInt64) {
        refs.append(ref)
        nextExternal = 0
    }

    public mutating func label(name: String, value: String) {
        while nextExternal < external.count {
            let e = external[nextExternal]
            if e.name.utf8Precedes(name) {
                append(e.name, e.value)
                nextExternal += 1
            } else {
                if e.name.utf8Equals(name) { nextExternal += 1 }  // The series' own label wins.
                break
            }
        }
        append(name, value)
    }

    public mutating func endSet() {
        while nextExternal < external.count {
            append(external[nextExternal].name, external[nextExternal].value)
            nextExternal += 1
        }
        starts.append(bytes.count)
    }

    /// One `Label` field: tag, length, then the name and value fields.
    private mutating func append(_ name: String, _ value: String) {
        let n = name.utf8.count, v = value.utf8.count
        bytes.append(1 << 3 | 2)
        appendVarint(V1Size.label(nameLength: n, valueLength: v))
        bytes.append(1 << 3 | 2)
        appendVarint(n)
        appendUTF8(name)
        bytes.append(2 << 3 | 2)
        appendVarint(v)
        appendUTF8(value)
    }

    @inline(__always) private mutating func appendVarint(_ value: Int) {
        VarInt.appendUnsigned(UInt64(value), to: &bytes)
    }

    @inline(__always) private mutating func appendUTF8(_ s: String) {
        let copied: Void? = s.utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if copied == nil { bytes.append(contentsOf: s.utf8) }
    }
}
