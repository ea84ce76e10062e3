/// Whole-string matchers chosen at compile time for the shapes that dominate label matchers,
/// so that `job=~"api|web"` or `path=~"/api/.*"` never runs an automaton.
enum FastPath: Sendable, Equatable {
    case literal([UInt8])
    /// Few alternatives: compared one by one, without hashing or allocating.
    case smallLiteralSet([[UInt8]])
    case literalSet(Set<[UInt8]>)
    case prefix([UInt8])
    case suffix([UInt8])
    case contains([UInt8])
    /// `.*` with dot matching newlines: everything matches.
    case any
    /// `.+` with dot matching newlines: anything non-empty.
    case nonEmpty
    /// An ASCII literal under `(?i)`, stored lowercased.
    case caseInsensitiveASCII([UInt8])
    /// A literal under `(?i)` whose letters fold outside ASCII too (`k` and KELVIN SIGN, `s` and
    /// LONG S, or non-ASCII letters): the scalars each position accepts.
    case caseInsensitive([[UInt32]])

    /// The fast path for a whole match of `node`, if its shape has one.
    static func analyze(_ node: Node) -> FastPath? {
        // Groups do not change what a whole match accepts.
        var node = node
        while case .capture(_, _, let sub) = node { node = sub }
        let parts = flatten(node)
        if parts.isEmpty { return .literal([]) }
        if case .alternate(let alts) = node {
            var set = Set<[UInt8]>()
            for a in alts {
                guard let lit = literalBytes(flatten(a)) else { return nil }
                set.insert(lit)
            }
            return set.count <= 16 ? .smallLiteralSet(set.sorted { $0.lexicographicallyPrecedes($1) }) : .literalSet(set)
        }
        if let lit = literalBytes(parts) { return .literal(lit) }
        if let folded = caseInsensitiveASCII(parts) { return .caseInsensitiveASCII(folded) }
        if let orbits = caseInsensitive(parts) { return .caseInsensitive(orbits) }
        let dotStar: (Node) -> Bool = { if case .repeat(.anyChar, 0, -1, _) = $0 { return true } else { return false } }
        let dotPlus: (Node) -> Bool = { if case .repeat(.anyChar, 1, -1, _) = $0 { return true } else { return false } }
        if parts.count == 1 && dotStar(parts[0]) { return .any }
        if parts.count == 1 && dotPlus(parts[0]) { return .nonEmpty }
        if parts.count >= 2 && dotStar(parts.last!), let lit = literalBytes(Array(parts.dropLast())) { return .prefix(lit) }
        if parts.count >= 2 && dotStar(parts.first!), let lit = literalBytes(Array(parts.dropFirst())) { return .suffix(lit) }
        if parts.count >= 3 && dotStar(parts.first!) && dotStar(parts.last!),
           let lit = literalBytes(Array(parts.dropFirst().dropLast())) {
            return .contains(lit)
        }
        return nil
    }

    /// A node as a flat sequence of parts: concatenations and non-capturing structure removed.
    static func flatten(_ n: Node) -> [Node] {
        switch n {
        case .empty: return []
        case .concat(let subs): return subs.flatMap(flatten)
        case .capture(_, _, let sub): return flatten(sub)
        default: return [n]
        }
    }

    /// The UTF-8 bytes of parts that are all plain literals.
    static func literalBytes(_ parts: [Node]) -> [UInt8]? {
        var out: [UInt8] = []
        for p in parts {
            switch p {
            case .literal(let cs):
                for c in cs {
                    guard let s = Unicode.Scalar(c) else { return nil }
                    out.append(contentsOf: String(Character(s)).utf8)
                }
            case .charClass(let cls) where cls.ranges.count == 1 && cls.ranges[0].count == 1:
                guard let s = Unicode.Scalar(cls.ranges[0].lowerBound) else { return nil }
                out.append(contentsOf: String(Character(s)).utf8)
            default:
                return nil
            }
        }
        return out
    }

    /// Lowercased bytes of an ASCII literal written under `(?i)`: each part is an ASCII
    /// non-letter literal or the class {lower, upper} of one letter. Letters whose fold orbit
    /// leaves ASCII (k, s) do not qualify.
    static func caseInsensitiveASCII(_ parts: [Node]) -> [UInt8]? {
        var out: [UInt8] = []
        var sawFold = false
        for p in parts {
            switch p {
            case .literal(let cs):
                for c in cs {
                    guard c < 0x80, !((c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)) else { return nil }
                    out.append(UInt8(c))
                }
            case .charClass(let cls):
                guard cls.ranges.count == 2, cls.ranges[0].count == 1, cls.ranges[1].count == 1 else { return nil }
                let upper = cls.ranges[0].lowerBound, lower = cls.ranges[1].lowerBound
                guard upper >= 0x41 && upper <= 0x5A && lower == upper + 32 else { return nil }
                out.append(UInt8(lower))
                sawFold = true
            default:
                return nil
            }
        }
        return sawFold ? out : nil
    }

    /// Each part a literal scalar or a small class that is exactly one case-fold orbit.
    static func caseInsensitive(_ parts: [Node]) -> [[UInt32]]? {
        var out: [[UInt32]] = []
        var sawFold = false
        for p in parts {
            switch p {
            case .literal(let cs):
                out.append(contentsOf: cs.map { [$0] })
            case .charClass(let cls):
                let members = cls.ranges.flatMap { Array($0) }
                guard members.count >= 2, members.count <= 4, CaseFolding.orbit(members[0]) == members else { return nil }
                out.append(members)
                sawFold = true
            default:
                return nil
            }
        }
        return sawFold ? out : nil
    }

    @inline(__always)
    func matches(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        switch self {
        case .literal(let lit):
            return b.elementsEqual(lit)
        case .smallLiteralSet(let options):
            for o in options where o.count == b.count && b.elementsEqual(o) { return true }
            return false
        case .literalSet(let set):
            return set.contains(Array(b))
        case .prefix(let p):
            return b.count >= p.count && b.prefix(p.count).elementsEqual(p)
        case .suffix(let s):
            return b.count >= s.count && b.suffix(s.count).elementsEqual(s)
        case .contains(let lit):
            return Self.find(lit, in: b)
        case .any:
            return true
        case .nonEmpty:
            return !b.isEmpty
        case .caseInsensitiveASCII(let lower):
            guard b.count == lower.count else { return false }
            for i in 0..<b.count {
                var c = b[i]
                if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                if c != lower[i] { return false }
            }
            return true
        case .caseInsensitive(let orbits):
            var i = 0
            for orbit in orbits {
                guard i < b.count else { return false }
                let (c, w) = PikeVM.decode(b, i)
                guard orbit.contains(UInt32(c)) else { return false }
                i += w
            }
            return i == b.count
        }
    }

    static func find(_ needle: [UInt8], in hay: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !needle.isEmpty else { return true }
        guard hay.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == first {
                var k = 1
                while k < needle.count && hay[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }

    /// The literal strings a whole match can equal, when the set is finite and small.
    var literalStrings: [String]? {
        switch self {
        case .literal(let l): return [String(decoding: l, as: UTF8.self)]
        case .smallLiteralSet(let s): return s.map { String(decoding: $0, as: UTF8.self) }.sorted()
        case .literalSet(let s): return s.map { String(decoding: $0, as: UTF8.self) }.sorted()
        default: return nil
        }
    }
}
