/// A stand-in regex on Swift's `Regex`, anchored as Prometheus anchors matchers.
/// It is a backtracking engine without RE2's guarantees; the RE2 engine replaces it.
struct StandInRegex: LabelRegex, @unchecked Sendable {
    // `Regex<AnyRegexOutput>` is not `Sendable`; matching does not mutate it.
    private let regex: Regex<AnyRegexOutput>
    let literalSet: [String]?

    init(pattern: String) throws {
        regex = try Regex("^(?:" + pattern + ")$")
        literalSet = StandInRegex.literals(pattern)
    }

    func matches(_ value: String) -> Bool {
        (try? regex.wholeMatch(in: value)) != nil
    }

    /// `a|b|c` where every branch is a plain literal.
    static func literals(_ pattern: String) -> [String]? {
        let special = Set("\\.+*?()[]{}^$|")
        let parts = pattern.split(separator: "|", omittingEmptySubsequences: false)
        for p in parts where p.contains(where: { special.contains($0) }) { return nil }
        return parts.map(String.init)
    }
}
