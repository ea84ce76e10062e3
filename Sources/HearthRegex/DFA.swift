/// A deterministic automaton for whole-string matching, built from the program at compile time
/// (subset construction over an alphabet compressed to equivalence classes). Matching is one
/// table lookup per input scalar.
///
/// Built only for programs without assertions (label matchers are anchored by construction) and
/// abandoned past a size limit or a work limit (a pattern with many states and a large alphabet,
/// such as a long one with `\pL`, would otherwise take seconds to compile); the Pike VM covers
/// everything else. Built eagerly, not lazily,
/// so that a compiled regex is immutable and can be shared by concurrent queries without locks.
struct DFA: Sendable {
    /// Sorted scalar boundaries: class `k` covers `[boundaries[k-1], boundaries[k])`.
    let boundaries: [UInt32]
    /// Class of each ASCII byte.
    let asciiClass: [UInt16]
    let classCount: Int
    /// `transitions[state * classCount + class]`, -1 for the dead state.
    let transitions: [Int32]
    let accepting: [Bool]

    static let maxStates = 2048
    static let maxTableSize = 1 << 20
    /// Instructions visited while building (closures and moves), about two million: enough for
    /// the label matchers people write, and a bound on what any pattern costs to compile.
    static let maxWork = 1 << 21

    init?(_ program: Program) {
        let insts = program.instructions
        for i in insts { if case .assert = i { return nil } }

        // Alphabet: every range boundary of every consuming instruction.
        var points: Set<UInt32> = [0, 0x0A, 0x0B, 0x80]
        for i in insts {
            switch i {
            case .scalar(let c):
                points.insert(c)
                points.insert(c &+ 1)
            case .charClass(let k):
                for r in program.classes[k].ranges {
                    points.insert(r.lowerBound)
                    points.insert(r.upperBound &+ 1)
                }
            default: break
            }
        }
        let bounds = points.filter { $0 <= CharClass.maxScalar + 1 }.sorted()
        // Class k = [bounds[k], bounds[k+1]); the last runs to maxScalar.
        let classes = bounds.count
        var ascii = [UInt16](repeating: 0, count: 128)
        for c in 0..<128 { ascii[c] = UInt16(Self.classIndex(UInt32(c), bounds)) }

        func consumes(_ pc: Int, _ c: UInt32) -> Bool {
            switch insts[pc] {
            case .scalar(let x): return x == c
            case .charClass(let k): return program.classes[k].contains(c)
            case .anyChar: return true
            case .anyCharNotNewline: return c != 0x0A
            default: return false
            }
        }
        var work = 0
        func closure(_ seeds: [Int]) -> [Int] {
            var seen = Set<Int>()
            var stack = seeds.reversed() as [Int]
            var out: [Int] = []
            while let pc = stack.popLast() {
                work &+= 1
                if !seen.insert(pc).inserted { continue }
                switch insts[pc] {
                case .jump(let t): stack.append(t)
                case .split(let a, let b):
                    stack.append(b)
                    stack.append(a)
                case .save: stack.append(pc + 1)
                default: out.append(pc)
                }
            }
            return out.sorted()
        }

        var ids: [[Int]: Int32] = [:]
        var sets: [[Int]] = []
        var table: [Int32] = []
        var accept: [Bool] = []
        func state(_ set: [Int]) -> Int32? {
            if set.isEmpty { return -1 }
            if let id = ids[set] { return id }
            guard sets.count < Self.maxStates, (sets.count + 1) * classes <= Self.maxTableSize else { return nil }
            let id = Int32(sets.count)
            ids[set] = id
            sets.append(set)
            table.append(contentsOf: repeatElement(-2, count: classes))
            accept.append(set.contains { if case .match = insts[$0] { return true } else { return false } })
            return id
        }
        guard state(closure([0])) != nil else { return nil }
        var next = 0
        while next < sets.count {
            let set = sets[next]
            for k in 0..<classes {
                let representative = bounds[k]
                if representative > CharClass.maxScalar { table[next * classes + k] = -1; continue }
                work &+= set.count
                let moved = closure(set.compactMap { consumes($0, representative) ? $0 + 1 : nil })
                guard work <= Self.maxWork else { return nil }
                guard let target = state(moved) else { return nil }
                table[next * classes + k] = target
            }
            next += 1
        }
        boundaries = bounds
        asciiClass = ascii
        classCount = classes
        transitions = table
        accepting = accept
    }

    static func classIndex(_ c: UInt32, _ bounds: [UInt32]) -> Int {
        // The last boundary <= c.
        var lo = 0, hi = bounds.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if bounds[mid] <= c { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }

    /// Whether the whole input is accepted.
    func matches(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var state = 0
        var i = 0
        let n = b.count
        return transitions.withUnsafeBufferPointer { t in
            asciiClass.withUnsafeBufferPointer { ascii in
                while i < n {
                    let byte = b[i]
                    let cls: Int
                    if byte < 0x80 {
                        cls = Int(ascii[Int(byte)])
                        i &+= 1
                    } else {
                        let (c, w) = PikeVM.decode(b, i)
                        cls = Self.classIndex(UInt32(c), boundaries)
                        i &+= w
                    }
                    let s = t[state &* classCount &+ cls]
                    if s < 0 { return false }
                    state = Int(s)
                }
                return accepting[state]
            }
        }
    }
}
