/// A regular expression with RE2/Go syntax and semantics, matched in time linear in the input.
///
/// - ``wholeMatch(_:)``: does the whole string match (what label matchers need);
/// - ``firstMatch(in:)``: leftmost-first match with submatch byte ranges (what relabeling's
///   `replace` needs), as Go's `FindStringSubmatchIndex`.
public struct RE2: Sendable {
    public let pattern: String
    /// Number of capturing groups.
    public let captureCount: Int
    /// Group names by index (index 0, the whole match, has none).
    public let captureNames: [String?]
    let program: Program
    let vm: PikeVM
    /// A whole-match shortcut chosen at compile time, if the pattern's shape has one.
    let fastPath: FastPath?
    /// A DFA for whole matches when the program allows one (no assertions, bounded size).
    let dfa: DFA?

    public init(_ pattern: String) throws(RegexError) {
        self.pattern = pattern
        var parser = Parser(pattern)
        let (root, captures, names) = try parser.parse()
        captureCount = captures
        captureNames = names
        program = Compiler.compile(root, captures: captures)
        vm = PikeVM(program: program)
        fastPath = FastPath.analyze(root)
        dfa = fastPath == nil ? DFA(program) : nil
    }

    /// When the whole-match set is a finite set of literals (`a|b|c`), those literals: the
    /// index answers such a matcher with a union of postings lists.
    public var literalSet: [String]? { fastPath?.literalStrings }

    /// Which whole-match strategy compilation chose, for tests and benchmarks.
    public var strategy: String {
        guard let fastPath else { return dfa != nil ? "DFA" : "Pike VM" }
        switch fastPath {
        case .literal: return "literal"
        case .literalSet, .smallLiteralSet: return "literal set"
        case .prefix: return "prefix"
        case .suffix: return "suffix"
        case .contains: return "contains"
        case .any: return "any"
        case .nonEmpty: return "non-empty"
        case .caseInsensitiveASCII, .caseInsensitive: return "case-insensitive literal"
        }
    }

    /// Whether all of `s` matches.
    public func wholeMatch(_ s: String) -> Bool {
        var s = s
        if let fastPath { return s.withUTF8 { fastPath.matches($0) } }
        if let dfa { return s.withUTF8 { dfa.matches($0) } }
        return s.withUTF8 { vm.run($0, anchored: true, whole: true) != nil }
    }

    /// The leftmost-first match in `s` and its groups, as byte ranges (nil for a group that did
    /// not participate); nil if there is no match.
    public func firstMatch(in s: String) -> [Range<Int>?]? {
        var s = s
        guard let slots = s.withUTF8({ vm.run($0, anchored: false, whole: false) }) else { return nil }
        return stride(from: 0, to: slots.count, by: 2).map { k in
            slots[k] >= 0 && slots[k + 1] >= 0 ? slots[k]..<slots[k + 1] : nil
        }
    }
}

