/// Zero-width assertions.
enum Assertion: UInt8 {
    case beginLine, endLine, beginText, endText, wordBoundary, noWordBoundary
}

/// One instruction of the compiled program (a Thompson NFA in Pike VM form).
enum Instruction: Equatable {
    case scalar(UInt32)
    case charClass(Int)
    case anyChar
    case anyCharNotNewline
    /// Try the first target, then the second (the order is the priority).
    case split(Int, Int)
    case jump(Int)
    case save(Int)
    case assert(Assertion)
    case match
}

struct Program {
    var instructions: [Instruction] = []
    var classes: [CharClass] = []
    /// Two slots per group, group 0 being the whole match.
    var slotCount = 2
}

/// Compiles a ``Node`` tree into a ``Program``.
struct Compiler {
    var program = Program()

    static func compile(_ root: Node, captures: Int) -> Program {
        var c = Compiler()
        c.program.slotCount = 2 * (captures + 1)
        c.emit(.save(0))
        c.compile(root)
        c.emit(.save(1))
        c.emit(.match)
        return c.program
    }

    @discardableResult
    mutating func emit(_ i: Instruction) -> Int {
        program.instructions.append(i)
        return program.instructions.count - 1
    }

    var next: Int { program.instructions.count }

    mutating func compile(_ n: Node) {
        switch n {
        case .empty: break
        case .literal(let cs): for c in cs { emit(.scalar(c)) }
        case .charClass(let cls):
            if cls.ranges.count == 1 && cls.ranges[0].count == 1 {
                emit(.scalar(cls.ranges[0].lowerBound))
            } else {
                program.classes.append(cls)
                emit(.charClass(program.classes.count - 1))
            }
        case .anyChar: emit(.anyChar)
        case .anyCharNotNewline: emit(.anyCharNotNewline)
        case .beginLine: emit(.assert(.beginLine))
        case .endLine: emit(.assert(.endLine))
        case .beginText: emit(.assert(.beginText))
        case .endText: emit(.assert(.endText))
        case .wordBoundary: emit(.assert(.wordBoundary))
        case .noWordBoundary: emit(.assert(.noWordBoundary))
        case .capture(let k, _, let sub):
            emit(.save(2 * k))
            compile(sub)
            emit(.save(2 * k + 1))
        case .concat(let subs):
            for s in subs { compile(s) }
        case .alternate(let subs):
            var exits: [Int] = []
            for (k, sub) in subs.enumerated() {
                if k == subs.count - 1 {
                    compile(sub)
                } else {
                    let split = emit(.split(0, 0))
                    compile(sub)
                    exits.append(emit(.jump(0)))
                    program.instructions[split] = .split(split + 1, next)
                }
            }
            for e in exits { program.instructions[e] = .jump(next) }
        case .repeat(let sub, let mn, let mx, let greedy):
            if mx == -1 {
                if mn == 0 {
                    star(sub, greedy)
                } else {
                    for _ in 0..<(mn - 1) { compile(sub) }
                    plus(sub, greedy)
                }
            } else {
                for _ in 0..<mn { compile(sub) }
                // x{n,m}: m-n nested optional copies, (x(x(x)?)?)?.
                var splits: [Int] = []
                for _ in 0..<(mx - mn) {
                    splits.append(emit(.split(0, 0)))
                    compile(sub)
                }
                let end = next
                for s in splits { program.instructions[s] = greedy ? .split(s + 1, end) : .split(end, s + 1) }
            }
        }
    }

    /// `x*`. When `x` can match empty it is compiled as `(x+)?`, as Go does, so an empty
    /// iteration still sets the submatches it passes through.
    mutating func star(_ sub: Node, _ greedy: Bool) {
        if sub.canMatchEmpty {
            let split = emit(.split(0, 0))
            plus(sub, greedy)
            program.instructions[split] = greedy ? .split(split + 1, next) : .split(next, split + 1)
            return
        }
        let loop = emit(.split(0, 0))
        compile(sub)
        emit(.jump(loop))
        program.instructions[loop] = greedy ? .split(loop + 1, next) : .split(next, loop + 1)
    }

    /// `x+`.
    mutating func plus(_ sub: Node, _ greedy: Bool) {
        let start = next
        compile(sub)
        let split = emit(.split(0, 0))
        program.instructions[split] = greedy ? .split(start, split + 1) : .split(split + 1, start)
    }
}

extension Node {
    /// Whether the expression can match the empty string.
    var canMatchEmpty: Bool {
        switch self {
        case .empty, .beginLine, .endLine, .beginText, .endText, .wordBoundary, .noWordBoundary: return true
        case .literal(let cs): return cs.isEmpty
        case .charClass, .anyChar, .anyCharNotNewline: return false
        case .capture(_, _, let sub): return sub.canMatchEmpty
        case .concat(let subs): return subs.allSatisfy(\.canMatchEmpty)
        case .alternate(let subs): return subs.contains(where: \.canMatchEmpty)
        case .repeat(let sub, let mn, _, _): return mn == 0 || sub.canMatchEmpty
        }
    }
}
