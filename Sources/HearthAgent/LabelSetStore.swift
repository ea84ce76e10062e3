import HearthModel

/// The agent's label sets, kept as symbol ids: each distinct name or value is stored once, each
/// distinct sequence of label names (a *shape*: most series of a target share one) once, and a
/// set is its shape's id followed by its values' ids in one shared array. Six labels cost 28
/// bytes this way; as a `Labels` (an array of strings) they cost about 240, which was a third of
/// the agent's memory at 200k series.
///
/// Sets are added and removed; removed sets leave dead ids behind until ``compact(_:)``
/// rebuilds the store with only the live sets (and only the symbols and shapes they use).
struct LabelSetStore {
    /// Where a set is: `words[start]` is its shape, `words[start + 1 ... start + count]` its values.
    struct Handle: Equatable {
        var start: UInt32
        var count: UInt32
    }

    private(set) var symbols: [String] = []
    private var ids: [SymbolKey: UInt32] = [:]
    /// Every shape's name ids back to back; shape `k` is `shapeNames[shapeStarts[k] ..< shapeStarts[k] + count]`.
    private var shapeNames: [UInt32] = []
    private var shapeStarts: [UInt32] = []
    private var shapeIDs: [[UInt32]: UInt32] = [:]
    private(set) var words: [UInt32] = []
    /// Words of removed sets, still in `words`.
    private(set) var deadWords = 0

    var shapeCount: Int { shapeStarts.count }

    mutating func add(_ labels: Labels) -> Handle {
        let handle = Handle(start: UInt32(words.count), count: UInt32(labels.count))
        words.append(shape(labels.map { id($0.name) }))
        for l in labels { words.append(id(l.value)) }
        return handle
    }

    mutating func remove(_ handle: Handle) {
        deadWords += 1 + Int(handle.count)
    }

    /// Calls `body` with the symbol ids of each name and value of the set, in order.
    @inline(__always)
    private func forEachPair(_ handle: Handle, _ body: (_ name: Int, _ value: Int) -> Bool) {
        let start = Int(handle.start)
        let names = Int(shapeStarts[Int(words[start])])
        for k in 0..<Int(handle.count) {
            guard body(Int(shapeNames[names + k]), Int(words[start + 1 + k])) else { return }
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

    /// True when removed sets hold more than half of the words.
    var wantsCompaction: Bool { deadWords >= 1024 && deadWords * 2 > words.count }

    /// Rebuilds the store from the live sets: `visitLive` must call its argument with every live
    /// handle, which it rewrites to the set's place in the new store.
    mutating func compact(_ visitLive: ((inout Handle) -> Void) -> Void) {
        var fresh = LabelSetStore()
        fresh.words.reserveCapacity(words.count - deadWords)
        var symbolMap = [UInt32](repeating: .max, count: symbols.count)
        var shapeMap = [UInt32](repeating: .max, count: shapeStarts.count)
        func map(_ old: Int) -> UInt32 {
            if symbolMap[old] == .max { symbolMap[old] = fresh.id(symbols[old]) }
            return symbolMap[old]
        }
        visitLive { handle in
            let start = Int(handle.start), count = Int(handle.count)
            let oldShape = Int(words[start])
            if shapeMap[oldShape] == .max {
                let names = Int(shapeStarts[oldShape])
                shapeMap[oldShape] = fresh.shape((0..<count).map { map(Int(shapeNames[names + $0])) })
            }
            handle.start = UInt32(fresh.words.count)
            fresh.words.append(shapeMap[oldShape])
            for k in 0..<count { fresh.words.append(map(Int(words[start + 1 + k]))) }
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
