import HearthModel

/// The agent's label sets, kept as symbol ids: each distinct name or value is stored once, and
/// a set is a run of ids (name, value, name, value, ...) in one shared array. Six labels cost
/// 48 bytes this way; as a `Labels` (an array of strings) they cost about 240, which was a third
/// of the agent's memory at 200k series.
///
/// Sets are added and removed; removed sets leave dead ids behind until ``compact(_:)``
/// rebuilds the store with only the live sets (and only the symbols they use).
struct LabelSetStore {
    /// Where a set's ids are: `words[start ..< start + 2 * count]`.
    struct Handle: Equatable {
        var start: UInt32
        var count: UInt32
    }

    private(set) var symbols: [String] = []
    private var ids: [SymbolKey: UInt32] = [:]
    private(set) var words: [UInt32] = []
    /// Ids of removed sets, still in `words`.
    private(set) var deadWords = 0

    mutating func add(_ labels: Labels) -> Handle {
        let handle = Handle(start: UInt32(words.count), count: UInt32(labels.count))
        for l in labels {
            words.append(id(l.name))
            words.append(id(l.value))
        }
        return handle
    }

    mutating func remove(_ handle: Handle) {
        deadWords += 2 * Int(handle.count)
    }

    /// The set as `Labels` (a new array; the strings are shared with the store).
    func labels(_ handle: Handle) -> Labels {
        var list: [Label] = []
        list.reserveCapacity(Int(handle.count))
        var i = Int(handle.start)
        for _ in 0..<handle.count {
            list.append(Label(symbols[Int(words[i])], symbols[Int(words[i + 1])]))
            i += 2
        }
        return Labels(sorted: list)
    }

    /// Whether the set at `handle` is `labels`, byte for byte, without building it.
    func matches(_ handle: Handle, _ labels: Labels) -> Bool {
        guard Int(handle.count) == labels.count else { return false }
        var i = Int(handle.start)
        for l in labels {
            guard symbols[Int(words[i])].utf8Equals(l.name), symbols[Int(words[i + 1])].utf8Equals(l.value) else {
                return false
            }
            i += 2
        }
        return true
    }

    /// A hash of the set's bytes (names and values, each followed by a separator), equal to
    /// ``hash(_:)-swift.type.method`` of the same labels; for this process's index only.
    func hash(_ handle: Handle) -> Int {
        var hasher = Hasher()
        var i = Int(handle.start)
        for _ in 0..<(2 * Int(handle.count)) {
            Self.combine(symbols[Int(words[i])], into: &hasher)
            i += 1
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

    /// True when removed sets hold more than half of the ids.
    var wantsCompaction: Bool { deadWords >= 1024 && deadWords * 2 > words.count }

    /// Rebuilds the store from the live sets: `visitLive` must call its argument with every live
    /// handle, which it rewrites to the set's place in the new store.
    mutating func compact(_ visitLive: ((inout Handle) -> Void) -> Void) {
        var fresh = LabelSetStore()
        fresh.words.reserveCapacity(words.count - deadWords)
        var remap = [UInt32](repeating: .max, count: symbols.count)
        visitLive { handle in
            let start = UInt32(fresh.words.count)
            var i = Int(handle.start)
            for _ in 0..<(2 * Int(handle.count)) {
                let old = Int(words[i])
                if remap[old] == .max { remap[old] = fresh.id(symbols[old]) }
                fresh.words.append(remap[old])
                i += 1
            }
            handle.start = start
        }
        self = fresh
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
