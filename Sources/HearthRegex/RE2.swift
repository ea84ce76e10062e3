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

    public init(_ pattern: String) throws(RegexError) {
        self.pattern = pattern
        var parser = Parser(pattern)
        let (root, captures, names) = try parser.parse()
        captureCount = captures
        captureNames = names
        program = Compiler.compile(root, captures: captures)
        vm = PikeVM(program: program)
    }

    /// Whether all of `s` matches.
    public func wholeMatch(_ s: String) -> Bool {
        var s = s
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

