import HearthEncoding
import HearthModel

/// The agent's label sets, kept as symbol ids: each distinct name or value is stored once, each
/// distinct sequence of label names (a *shape*: most series of a target share one) once, and a
/// set is its shape's id followed by its values' ids, as varints, in pages of bytes. Six labels
/// cost about 10 bytes this way (ids under 16384 take one or two bytes); as a `Labels` (an array
/// of strings) they cost about 240, which was a third of the agent's memory at 200k series.
///
/// Pages have a fixed size and a set never spans two, so the store never holds an array's
/// doubling slack (up to half of it, with one growing array).
///
/// Sets are added and removed; removed sets leave dead bytes behind until ``compact(_:)``
/// rebuilds the store with only the live sets (and only the symbols and shapes they use).
struct LabelSetStore {
    /// Where a set is: page `start >> 16`, from byte `start & 0xFFFF`; `count` labels.
    struct Handle: Equatable {
        var start: UInt32
        var count: UInt32
    }

    static let pageSize = 1 << 16

    private(set) var symbols: [String] = []
    private var ids: [SymbolKey: UInt32] = [:]
    /// Every shape's name ids back to back; shape `k` is `shapeNames[shapeStarts[k] ..< shapeStarts[k] + count]`.
    private var shapeNames: [UInt32] = []
    private var shapeStarts: [UInt32] = []
    private var shapeIDs: [[UInt32]: UInt32] = [:]
    /// The sets' bytes. A page holds `pageSize` bytes; a set larger than that gets a page of
    /// its own.
    private var pages: [[UInt8]] = []
    /// Bytes of every set added since the last compaction, live or removed.
    private(set) var byteCount = 0
    /// Bytes of removed sets, still in the pages.
    private(set) var deadBytes = 0

    var shapeCount: Int { shapeStarts.count }

    mutating func add(_ labels: Labels) -> Handle {
        var encoded: [UInt32] = [shape(labels.map { id($0.name) })]
        encoded.reserveCapacity(labels.count + 1)
        for l in labels { encoded.append(id(l.value)) }
        return append(encoded)
    }

    /// Appends a set's shape id and value ids to the last page, or to a new one.
    private mutating func append(_ encoded: [UInt32]) -> Handle {
        let size = encoded.reduce(0) { $0 + VarInt.unsignedLength(UInt64($1)) }
        if pages.isEmpty || pages[pages.count - 1].count + size > Self.pageSize {
            precondition(pages.count < 1 << 16, "agent label store is full (4 GiB of label sets)")
            var page: [UInt8] = []
            page.reserveCapacity(max(size, Self.pageSize))
            pages.append(page)
        }
        let p = pages.count - 1
        let handle = Handle(start: UInt32(p) << 16 | UInt32(pages[p].count), count: UInt32(encoded.count - 1))
        for v in encoded { VarInt.appendUnsigned(UInt64(v), to: &pages[p]) }
        byteCount += size
        return handle
    }

    mutating func remove(_ handle: Handle) {
        var size = 0
        forEachID(handle) { id, _ in size += VarInt.unsignedLength(UInt64(id)) }
        deadBytes += size
    }

    /// Calls `body` with the set's shape id (`isShape`) and then each value id, in order.
    @inline(__always)
    private func forEachID(_ handle: Handle, _ body: (_ id: UInt32, _ isShape: Bool) -> Void) {
        pages[Int(handle.start >> 16)].withUnsafeBytes { page in
            var i = Int(handle.start & 0xFFFF)
            for k in 0...Int(handle.count) {
                // The store wrote these bytes: a varint that does not decode is a bug.
                body(UInt32(truncatingIfNeeded: VarInt.readUnsigned(page, at: &i)!), k == 0)
            }
        }
    }

    /// Calls `body` with the symbol ids of each name and value of the set, in order, until it
    /// returns false.
    @inline(__always)
    private func forEachPair(_ handle: Handle, _ body: (_ name: Int, _ value: Int) -> Bool) {
        var names = 0
        var k = 0
        var going = true
        forEachID(handle) { id, isShape in
            guard going else { return }
            if isShape {
                names = Int(shapeStarts[Int(id)])
                return
            }
            going = body(Int(shapeNames[names + k]), Int(id))
            k += 1
        }
    }

    /// The set as `Labels` (a new array; the strings are shared with the store).
    func labels(_ handle: Handle) -> Labels {
        var list: [Label] = []
        list.reserveCapacity(Int(handle.count))
        forEachPair(handle) { name, value in
            list.append(Label(symbols[name], symbols[value]))
            return true
        }
        return Labels(sorted: list)
    }

    /// Calls `body` with each name and value of the set, in order.
    @inline(__always)
    func forEachLabel(_ handle: Handle, _ body: (_ name: String, _ value: String) -> Void) {
        forEachPair(handle) { name, value in
            body(symbols[name], symbols[value])
            return true
        }
    }

    /// Whether the set at `handle` is `labels`, byte for byte, without building it.
    func matches(_ handle: Handle, _ labels: Labels) -> Bool {
        guard Int(handle.count) == labels.count else { return false }
        var i = 0
        var same = true
        forEachPair(handle) { name, value in
            let l = labels[i]
            i += 1
            same = symbols[name].utf8Equals(l.name) && symbols[value].utf8Equals(l.value)
            return same
        }
        return same
    }

    /// A hash of the set's bytes (names and values, each followed by a separator), equal to
    /// ``hash(_:)-swift.type.method`` of the same labels; for this process's index only.
    func hash(_ handle: Handle) -> Int {
        var hasher = Hasher()
        forEachPair(handle) { name, value in
            Self.combine(symbols[name], into: &hasher)
            Self.combine(symbols[value], into: &hasher)
            return true
        }
        return hasher.finalize()
    }

    static func hash(_ labels: Labels) -> Int {
        var hasher = Hasher()
        for l in labels {
            combine(l.name, into: &hasher)
            combine(l.value, into: &hasher)
        }
        return hasher.finalize()
    }

    private static func combine(_ s: String, into hasher: inout Hasher) {
        var s = s
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(UInt8(0xFF))
    }

    /// True when removed sets hold more than half of the bytes.
    var wantsCompaction: Bool { deadBytes >= 4096 && deadBytes * 2 > byteCount }

    /// Rebuilds the store from the live sets: `visitLive` must call its argument with every live
    /// handle, which it rewrites to the set's place in the new store.
    mutating func compact(_ visitLive: ((inout Handle) -> Void) -> Void) {
        var fresh = LabelSetStore()
        var symbolMap = [UInt32](repeating: .max, count: symbols.count)
        var shapeMap = [UInt32](repeating: .max, count: shapeStarts.count)
        func map(_ old: Int) -> UInt32 {
            if symbolMap[old] == .max { symbolMap[old] = fresh.id(symbols[old]) }
            return symbolMap[old]
        }
        var encoded: [UInt32] = []
        visitLive { handle in
            encoded.removeAll(keepingCapacity: true)
            let count = Int(handle.count)
            forEachID(handle) { id, isShape in
                guard isShape else {
                    encoded.append(map(Int(id)))
                    return
                }
                let oldShape = Int(id)
                if shapeMap[oldShape] == .max {
                    let names = Int(shapeStarts[oldShape])
                    shapeMap[oldShape] = fresh.shape((0..<count).map { map(Int(shapeNames[names + $0])) })
                }
                encoded.append(shapeMap[oldShape])
            }
            handle = fresh.append(encoded)
        }
        self = fresh
    }

    private mutating func shape(_ names: [UInt32]) -> UInt32 {
        if let id = shapeIDs[names] { return id }
        let id = UInt32(shapeStarts.count)
        shapeStarts.append(UInt32(shapeNames.count))
        shapeNames.append(contentsOf: names)
        shapeIDs[names] = id
        return id
    }

    private mutating func id(_ s: String) -> UInt32 {
        let key = SymbolKey(s)
        if let id = ids[key] { return id }
        let id = UInt32(symbols.count)
        symbols.append(s)
        ids[key] = id
        return id
    }
}

/// A string compared and hashed by its bytes, as label names and values are (Swift's `String`
/// equates canonically equivalent strings with different bytes).
private struct SymbolKey: Hashable {
    let string: String

    init(_ string: String) { self.string = string }

    static func == (a: SymbolKey, b: SymbolKey) -> Bool { a.string.utf8Equals(b.string) }

    func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
