/// Runs a ``Program`` over UTF-8 input in one pass, keeping at most one thread per instruction
/// per position: time O(input × program), whatever the pattern. Threads are kept in priority
/// order, which gives Go's leftmost-first submatches.
struct PikeVM {
    let program: Program

    /// The threads at one position: a sparse set of program counters in priority order, each
    /// with its capture slots in a flat matrix.
    struct ThreadList {
        var dense: [Int]
        var sparse: [Int]
        var count = 0
        var caps: [Int]
        let slots: Int

        init(size: Int, slots: Int) {
            dense = [Int](repeating: 0, count: size)
            sparse = [Int](repeating: 0, count: size)
            caps = [Int](repeating: -1, count: size * slots)
            self.slots = slots
        }

        @inline(__always)
        func contains(_ pc: Int) -> Bool {
            let i = sparse[pc]
            return i < count && dense[i] == pc
        }

        @inline(__always)
        mutating func insert(_ pc: Int) {
            sparse[pc] = count
            dense[count] = pc
            count += 1
        }
    }

    /// Context of a position, for assertions.
    struct Position {
        var offset: Int
        var previous: Int32  // scalar before, or -1 at the start
        var next: Int32      // scalar after, or -1 at the end
    }

    static func isWordChar(_ c: Int32) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }

    static func holds(_ a: Assertion, _ p: Position) -> Bool {
        switch a {
        case .beginText: return p.previous == -1
        case .endText: return p.next == -1
        case .beginLine: return p.previous == -1 || p.previous == 0x0A
        case .endLine: return p.next == -1 || p.next == 0x0A
        case .wordBoundary: return isWordChar(p.previous) != isWordChar(p.next)
        case .noWordBoundary: return isWordChar(p.previous) == isWordChar(p.next)
        }
    }

    /// Decodes the scalar at `i` (invalid bytes decode as U+FFFD of width 1, as in Go).
    @inline(__always)
    static func decode(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int32, Int) {
        let c0 = b[i]
        if c0 < 0x80 { return (Int32(c0), 1) }
        let n = b.count
        if c0 & 0xE0 == 0xC0, i + 1 < n, b[i + 1] & 0xC0 == 0x80 {
            let v = Int32(c0 & 0x1F) << 6 | Int32(b[i + 1] & 0x3F)
            if v >= 0x80 { return (v, 2) }
        } else if c0 & 0xF0 == 0xE0, i + 2 < n, b[i + 1] & 0xC0 == 0x80, b[i + 2] & 0xC0 == 0x80 {
            let v = Int32(c0 & 0x0F) << 12 | Int32(b[i + 1] & 0x3F) << 6 | Int32(b[i + 2] & 0x3F)
            if v >= 0x800 && (v < 0xD800 || v > 0xDFFF) { return (v, 3) }
        } else if c0 & 0xF8 == 0xF0, i + 3 < n, b[i + 1] & 0xC0 == 0x80, b[i + 2] & 0xC0 == 0x80,
                  b[i + 3] & 0xC0 == 0x80 {
            let v = Int32(c0 & 0x07) << 18 | Int32(b[i + 1] & 0x3F) << 12 | Int32(b[i + 2] & 0x3F) << 6
                | Int32(b[i + 3] & 0x3F)
            if v >= 0x10000 && v <= 0x10FFFF { return (v, 4) }
        }
        return (0xFFFD, 1)
    }

    /// The scalar ending just before `i`.
    static func decodeBefore(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int32 {
        guard i > 0 else { return -1 }
        var start = i - 1
        var k = 0
        while start > 0 && k < 3 && b[start] & 0xC0 == 0x80 {
            start -= 1
            k += 1
        }
        let (c, w) = decode(b, start)
        return start + w == i ? c : 0xFFFD
    }

    /// Runs the program. `anchored`: only start at offset 0. `whole`: accept only a match that
    /// ends at the end of the input. Returns the capture slots of the match, or nil.
    /// Runs from byte `start` (a character boundary); `^` and `\b` still see the text before it.
    func run(_ b: UnsafeBufferPointer<UInt8>, anchored: Bool, whole: Bool, from start: Int = 0) -> [Int]? {
        let insts = program.instructions
        let slots = program.slotCount
        var clist = ThreadList(size: insts.count, slots: slots)
        var nlist = ThreadList(size: insts.count, slots: slots)
        var scratch = [Int](repeating: -1, count: slots)
        var matched: [Int]? = nil
        var pos = start
        let n = b.count
        var previous: Int32 = -1
        if start > 0 {
            var p = start - 1
            while p > 0, b[p] & 0xC0 == 0x80 { p -= 1 }
            previous = Self.decode(b, p).0
        }
        var here = Position(offset: start, previous: previous, next: start < n ? Self.decode(b, start).0 : -1)

        func add(_ list: inout ThreadList, _ pc: Int, _ p: Position, _ caps: inout [Int]) {
            if list.contains(pc) { return }
            list.insert(pc)
            switch insts[pc] {
            case .jump(let t):
                add(&list, t, p, &caps)
            case .split(let a, let b):
                add(&list, a, p, &caps)
                add(&list, b, p, &caps)
            case .save(let k):
                let old = caps[k]
                caps[k] = p.offset
                add(&list, pc + 1, p, &caps)
                caps[k] = old
            case .assert(let a):
                if Self.holds(a, p) { add(&list, pc + 1, p, &caps) }
            default:
                let base = pc * slots
                for k in 0..<slots { list.caps[base + k] = caps[k] }
            }
        }

        while true {
            if matched == nil && (!anchored || pos == start) {
                for k in 0..<slots { scratch[k] = -1 }
                add(&clist, 0, here, &scratch)
            }
            if clist.count == 0 { break }
            let (c, width) = pos < n ? Self.decode(b, pos) : (-1, 0)
            let after = Position(offset: pos + width, previous: c,
                                 next: pos + width < n ? Self.decode(b, pos + width).0 : -1)
            nlist.count = 0
            var t = 0
            threads: while t < clist.count {
                let pc = clist.dense[t]
                t += 1
                let ok: Bool
                switch insts[pc] {
                case .match:
                    if whole && pos != n { continue }
                    let base = pc * slots
                    matched = Array(clist.caps[base..<(base + slots)])
                    // Lower-priority threads can no longer win.
                    break threads
                case .scalar(let x): ok = c >= 0 && UInt32(c) == x
                case .charClass(let k): ok = c >= 0 && program.classes[k].contains(UInt32(c))
                case .anyChar: ok = c >= 0
                case .anyCharNotNewline: ok = c >= 0 && c != 0x0A
                default: ok = false
                }
                if ok {
                    let base = pc * slots
                    for k in 0..<slots { scratch[k] = clist.caps[base + k] }
                    add(&nlist, pc + 1, after, &scratch)
                }
            }
            if pos >= n { break }
            pos += width
            here = after
            swap(&clist, &nlist)
        }
        return matched
    }
}
