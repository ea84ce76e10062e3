/// The flags a pattern can set with `(?imsU)`.
struct Flags: Equatable {
    var foldCase = false
    var multiLine = false
    var dotMatchesNewline = false
    var nonGreedy = false
}

/// Parses RE2/Go syntax into a ``Node`` tree. A stack machine like Go's, so that it accepts and
/// rejects exactly the patterns Go does (for example `a**` is an error, `a{,2}` is a literal
/// `{`, and a repetition right after `(` or `|` has no argument).
struct Parser {
    enum Item {
        case node(Node)
        case leftParen(capture: Int?, name: String?, saved: Flags)
        case bar
    }

    let s: [Unicode.Scalar]
    var i = 0
    var stack: [Item] = []
    var flags = Flags()
    var captureCount = 0
    var names: [String?] = [nil]
    static let maxRepeat = 1000
    /// Groups open at once, at most (RE2's and Go's nesting limit): the compiler and the
    /// simplifier walk the tree recursively, and so does freeing it.
    static let maxDepth = 1000
    var openGroups = 0

    /// Opens a group, refusing to nest deeper than ``maxDepth``.
    mutating func openGroup(capture: Int?, name: String?) throws(RegexError) {
        openGroups += 1
        guard openGroups <= Self.maxDepth else { throw RegexError(.nestingDepth, whole) }
        stack.append(.leftParen(capture: capture, name: name, saved: flags))
    }

    init(_ pattern: String) {
        s = Array(pattern.unicodeScalars)
    }

    func text(_ from: Int, _ to: Int) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s[from..<min(to, s.count)])
        return String(out)
    }

    var whole: String { text(0, s.count) }

    mutating func push(_ n: Node) { stack.append(.node(n)) }

    mutating func pushLiteral(_ c: UInt32) {
        if flags.foldCase {
            let orbit = CaseFolding.orbit(c)
            if orbit.count > 1 {
                push(.charClass(CharClass(orbit.map { $0...$0 })))
                return
            }
        }
        push(.literal([c]))
    }

    mutating func parse() throws(RegexError) -> (Node, captures: Int, names: [String?]) {
        var lastRepeat: Int? = nil
        while i < s.count {
            var thisRepeat: Int? = nil
            let c = s[i].value
            switch c {
            case 0x28:  // (
                if i + 1 < s.count && s[i + 1] == "?" {
                    try parsePerlFlags()
                } else {
                    captureCount += 1
                    names.append(nil)
                    try openGroup(capture: captureCount, name: nil)
                    i += 1
                }
            case 0x7C:  // |
                collapseConcat()
                stack.append(.bar)
                i += 1
            case 0x29:  // )
                try closeParen()
                i += 1
            case 0x5E:  // ^
                push(flags.multiLine ? .beginLine : .beginText)
                i += 1
            case 0x24:  // $
                push(flags.multiLine ? .endLine : .endText)
                i += 1
            case 0x2E:  // .
                push(flags.dotMatchesNewline ? .anyChar : .anyCharNotNewline)
                i += 1
            case 0x5B:  // [
                try parseClass()
            case 0x2A, 0x2B, 0x3F:  // * + ?
                let start = i
                i += 1
                let (mn, mx) = c == 0x2A ? (0, -1) : (c == 0x2B ? (1, -1) : (0, 1))
                try applyRepeat(min: mn, max: mx, start: start, lastRepeat: lastRepeat, brace: false)
                thisRepeat = start
            case 0x7B:  // {
                let start = i
                if let (mn, mx, end) = parseBraces(at: i) {
                    i = end
                    if mn < 0 || mn > Self.maxRepeat || mx > Self.maxRepeat || (mx >= 0 && mn > mx) {
                        throw RegexError(.invalidRepeatSize, text(start, i))
                    }
                    try applyRepeat(min: mn, max: mx, start: start, lastRepeat: lastRepeat, brace: true)
                    thisRepeat = start
                } else {
                    pushLiteral(c)
                    i += 1
                }
            case 0x5C:  // backslash
                try parseBackslash()
            default:
                pushLiteral(c)
                i += 1
            }
            lastRepeat = thisRepeat
        }
        collapseConcat()
        var alternatives: [Node] = []
        while let top = stack.popLast() {
            switch top {
            case .node(let n): alternatives.append(n)
            case .bar: continue
            case .leftParen: throw RegexError(.missingParen, whole)
            }
        }
        alternatives.reverse()
        let root: Node = alternatives.isEmpty ? .empty : (alternatives.count == 1 ? alternatives[0] : .alternate(alternatives))
        return (root, captureCount, names)
    }

    /// Replaces the items above the nearest `(` or `|` by their concatenation.
    mutating func collapseConcat() {
        var parts: [Node] = []
        while case .node(let n)? = stack.last {
            parts.append(n)
            stack.removeLast()
        }
        parts.reverse()
        push(parts.isEmpty ? .empty : (parts.count == 1 ? parts[0] : .concat(parts)))
    }

    mutating func closeParen() throws(RegexError) {
        collapseConcat()
        var alternatives: [Node] = []
        while let top = stack.popLast() {
            switch top {
            case .node(let n):
                alternatives.append(n)
            case .bar:
                continue
            case .leftParen(let capture, let name, let saved):
                openGroups -= 1
                alternatives.reverse()
                var n: Node = alternatives.count == 1 ? alternatives[0] : .alternate(alternatives)
                if let capture { n = .capture(index: capture, name: name, n) }
                flags = saved
                push(n)
                return
            }
        }
        throw RegexError(.unexpectedParen, whole)
    }

    mutating func applyRepeat(min: Int, max: Int, start: Int, lastRepeat: Int?, brace: Bool) throws(RegexError) {
        var greedy = !flags.nonGreedy
        if i < s.count && s[i] == "?" {
            i += 1
            greedy.toggle()
        }
        if let lastRepeat { throw RegexError(.invalidRepeatOp, text(lastRepeat, i)) }
        guard case .node(let sub)? = stack.last else {
            throw RegexError(.missingRepeatArgument, text(start, i))
        }
        let n: Node = .repeat(sub, min: min, max: max, greedy: greedy)
        stack[stack.count - 1] = .node(n)
        if brace && (min >= 2 || max >= 2) && !Self.repeatIsValid(n, Self.maxRepeat) {
            throw RegexError(.invalidRepeatSize, text(start, i))
        }
    }

    /// Whether nested repetitions stay within `limit` copies of the innermost expression.
    static func repeatIsValid(_ n: Node, _ limit: Int) -> Bool {
        var limit = limit
        switch n {
        case .repeat(let sub, let mn, let mx, _):
            var m = mx
            if m == 0 { return true }
            if m < 0 { m = mn }
            if m > limit { return false }
            if m > 0 { limit /= m }
            return repeatIsValid(sub, limit)
        case .capture(_, _, let sub):
            return repeatIsValid(sub, limit)
        case .concat(let subs), .alternate(let subs):
            return subs.allSatisfy { repeatIsValid($0, limit) }
        default:
            return true
        }
    }

    /// `{n}`, `{n,}`, `{n,m}` at `at`; nil if not of that form (then `{` is a literal).
    /// A number too large for the check returns `-1` as min.
    func parseBraces(at at: Int) -> (Int, Int, Int)? {
        var j = at + 1
        func int() -> Int? {
            guard j < s.count, s[j].properties.numericType == .decimal, s[j].isASCII else { return nil }
            if s[j] == "0" && j + 1 < s.count && s[j + 1].isASCII && s[j + 1].properties.numericType == .decimal {
                return nil
            }
            var n = 0
            while j < s.count, s[j].isASCII, let d = Int(String(s[j])), s[j].properties.numericType == .decimal {
                if n >= 100_000_000 { n = -1 } else if n >= 0 { n = n * 10 + d }
                j += 1
            }
            return n
        }
        guard let mn = int() else { return nil }
        guard j < s.count else { return nil }
        var mx = mn
        var min = mn
        if s[j] == "," {
            j += 1
            guard j < s.count else { return nil }
            if s[j] == "}" {
                mx = -1
            } else {
                guard let m = int() else { return nil }
                mx = m
                if m < 0 { min = -1 }
            }
        }
        guard j < s.count, s[j] == "}" else { return nil }
        return (min, mx, j + 1)
    }

    mutating func parsePerlFlags() throws(RegexError) {
        let start = i
        // Named captures: (?P<name>...) and (?<name>...), but not the lookbehinds (?<= (?<!.
        var nameStart: Int? = nil
        if i + 3 < s.count && s[i + 2] == "P" && s[i + 3] == "<" {
            nameStart = i + 4
        } else if i + 2 < s.count && s[i + 2] == "<" && i + 3 < s.count && s[i + 3] != "=" && s[i + 3] != "!" {
            nameStart = i + 3
        }
        if let nameStart {
            guard let end = s[nameStart...].firstIndex(of: ">") else {
                throw RegexError(.invalidNamedCapture, text(start, s.count))
            }
            let name = text(nameStart, end)
            let valid = !name.isEmpty && name.unicodeScalars.allSatisfy {
                $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType == .decimal))
            }
            guard valid else { throw RegexError(.invalidNamedCapture, text(start, end + 1)) }
            captureCount += 1
            names.append(name)
            try openGroup(capture: captureCount, name: name)
            i = end + 1
            return
        }
        var j = i + 2
        var new = flags
        var negate = false
        var sawFlag = false
        while j < s.count {
            let c = s[j]
            j += 1
            switch c {
            case "i": new.foldCase = !negate; sawFlag = true
            case "m": new.multiLine = !negate; sawFlag = true
            case "s": new.dotMatchesNewline = !negate; sawFlag = true
            case "U": new.nonGreedy = !negate; sawFlag = true
            case "-":
                if negate { throw RegexError(.invalidPerlOp, text(start, j)) }
                negate = true
                sawFlag = false
            case ":", ")":
                if negate && !sawFlag { throw RegexError(.invalidPerlOp, text(start, j)) }
                if c == ":" { try openGroup(capture: nil, name: nil) }
                flags = new
                i = j
                return
            default:
                throw RegexError(.invalidPerlOp, text(start, j))
            }
        }
        throw RegexError(.invalidPerlOp, text(start, j))
    }

    mutating func parseBackslash() throws(RegexError) {
        let start = i
        guard i + 1 < s.count else { throw RegexError(.trailingBackslash, "") }
        switch s[i + 1] {
        case "A": push(.beginText); i += 2; return
        case "z": push(.endText); i += 2; return
        case "b": push(.wordBoundary); i += 2; return
        case "B": push(.noWordBoundary); i += 2; return
        case "C": throw RegexError(.invalidEscape, text(start, start + 2))
        case "Q":
            var j = i + 2
            while j < s.count {
                if s[j] == "\\" && j + 1 < s.count && s[j + 1] == "E" { break }
                pushLiteral(s[j].value)
                j += 1
            }
            i = min(j + 2, s.count)
            return
        default: break
        }
        if let cls = try parseUnicodeClass() {
            push(.charClass(cls))
            return
        }
        if let cls = parsePerlClass() {
            push(.charClass(cls))
            return
        }
        pushLiteral(try parseEscape())
    }

    /// `\d \D \s \S \w \W` at `i` (ASCII classes, as in Go).
    mutating func parsePerlClass() -> CharClass? {
        guard i + 1 < s.count, s[i] == "\\" else { return nil }
        let cls: CharClass
        switch s[i + 1] {
        case "d", "D": cls = CharClass([0x30...0x39])
        case "s", "S": cls = CharClass([0x09...0x0A, 0x0C...0x0D, 0x20...0x20])
        case "w", "W": cls = CharClass([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
        default: return nil
        }
        let negated = s[i + 1].properties.isUppercase
        i += 2
        // As in Go, (?i) folds the class before negating it: (?i)\W excludes ſ and K (KELVIN SIGN).
        let folded = flags.foldCase ? cls.caseFolded() : cls
        return negated ? folded.negated() : folded
    }

    /// `\pN`, `\p{Name}`, `\PN`, `\p{^Name}` at `i`.
    mutating func parseUnicodeClass() throws(RegexError) -> CharClass? {
        guard i + 1 < s.count, s[i] == "\\", s[i + 1] == "p" || s[i + 1] == "P" else { return nil }
        let start = i
        var negate = s[i + 1] == "P"
        guard i + 2 < s.count else { throw RegexError(.invalidCharRange, text(start, s.count)) }
        var name: String
        var end: Int
        if s[i + 2] == "{" {
            guard let close = s[(i + 3)...].firstIndex(of: "}") else {
                throw RegexError(.invalidCharRange, text(start, s.count))
            }
            name = text(i + 3, close)
            end = close + 1
        } else {
            name = String(s[i + 2])
            end = i + 3
        }
        if name.hasPrefix("^") {
            negate.toggle()
            name.removeFirst()
        }
        guard let cls = UnicodeClasses.named(name) else { throw RegexError(.invalidCharRange, text(start, end)) }
        i = end
        let folded = flags.foldCase ? cls.caseFolded() : cls
        return negate ? folded.negated() : folded
    }

    /// A single-character escape at `i`: octal, hex, control characters or punctuation.
    mutating func parseEscape() throws(RegexError) -> UInt32 {
        let start = i
        guard i + 1 < s.count else { throw RegexError(.trailingBackslash, "") }
        let c = s[i + 1]
        i += 2
        func isOctal(_ x: Unicode.Scalar) -> Bool { x.value >= 0x30 && x.value <= 0x37 }
        func hexValue(_ x: Unicode.Scalar) -> UInt32? {
            switch x.value {
            case 0x30...0x39: return x.value - 0x30
            case 0x41...0x46: return x.value - 0x41 + 10
            case 0x61...0x66: return x.value - 0x61 + 10
            default: return nil
            }
        }
        switch c {
        case "1", "2", "3", "4", "5", "6", "7", "0":
            // A lone \1-\7 is a backreference, which RE2 does not support.
            if c != "0" && !(i < s.count && isOctal(s[i])) { throw RegexError(.invalidEscape, text(start, i)) }
            var v = c.value - 0x30
            var k = 0
            while k < 2 && i < s.count && isOctal(s[i]) {
                v = v * 8 + s[i].value - 0x30
                i += 1
                k += 1
            }
            return v
        case "x":
            guard i < s.count else { throw RegexError(.invalidEscape, text(start, i)) }
            if s[i] == "{" {
                i += 1
                var v: UInt32 = 0
                var digits = 0
                while i < s.count, let h = hexValue(s[i]) {
                    v = v * 16 + h
                    digits += 1
                    i += 1
                    if v > CharClass.maxScalar { break }
                }
                guard digits > 0, i < s.count, s[i] == "}", v <= CharClass.maxScalar else {
                    throw RegexError(.invalidEscape, text(start, min(i + 1, s.count)))
                }
                i += 1
                return v
            }
            guard i + 1 < s.count, let h1 = hexValue(s[i]), let h2 = hexValue(s[i + 1]) else {
                throw RegexError(.invalidEscape, text(start, min(i + 2, s.count)))
            }
            i += 2
            return h1 * 16 + h2
        case "a": return 7
        case "f": return 12
        case "n": return 10
        case "r": return 13
        case "t": return 9
        case "v": return 11
        default:
            if c.isASCII && !(c.properties.isAlphabetic || c.properties.numericType == .decimal) { return c.value }
            throw RegexError(.invalidEscape, text(start, i))
        }
    }

    mutating func parseClass() throws(RegexError) {
        let start = i
        i += 1
        var negate = false
        if i < s.count && s[i] == "^" {
            negate = true
            i += 1
        }
        var cls = CharClass()
        var first = true
        while i >= s.count || s[i] != "]" || first {
            guard i < s.count else { throw RegexError(.missingBracket, text(start, s.count)) }
            first = false
            // POSIX classes like [:alpha:].
            if i + 2 < s.count && s[i] == "[" && s[i + 1] == ":" {
                if let close = findColonBracket(from: i + 2) {
                    let nameText = text(i + 2, close)
                    let negated = nameText.hasPrefix("^")
                    guard let posix = UnicodeClasses.posix(negated ? String(nameText.dropFirst()) : nameText) else {
                        throw RegexError(.invalidCharRange, text(i, close + 2))
                    }
                    let folded = flags.foldCase ? posix.caseFolded() : posix
                    cls.add(negated ? folded.negated() : folded)
                    i = close + 2
                    continue
                }
            }
            if let u = try parseUnicodeClass() {
                cls.add(u)
                continue
            }
            if let p = parsePerlClass() {
                cls.add(p)
                continue
            }
            let rangeStart = i
            let lo = try parseClassChar(classStart: start)
            var hi = lo
            if i + 1 < s.count && s[i] == "-" && s[i + 1] != "]" {
                i += 1
                hi = try parseClassChar(classStart: start)
                if hi < lo { throw RegexError(.invalidCharRange, text(rangeStart, i)) }
            }
            cls.add(lo...hi)
        }
        i += 1
        if flags.foldCase { cls = cls.caseFolded() }
        push(.charClass(negate ? cls.negated() : cls))
    }

    func findColonBracket(from j: Int) -> Int? {
        var k = j
        while k + 1 < s.count {
            if s[k] == ":" && s[k + 1] == "]" { return k }
            k += 1
        }
        return nil
    }

    mutating func parseClassChar(classStart: Int) throws(RegexError) -> UInt32 {
        guard i < s.count else { throw RegexError(.missingBracket, text(classStart, s.count)) }
        if s[i] == "\\" { return try parseEscape() }
        i += 1
        return s[i - 1].value
    }
}
