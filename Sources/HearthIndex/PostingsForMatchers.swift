import HearthModel

/// An inverted index that can answer label matchers: the head's ``MemPostings`` and a block's
/// index reader.
public protocol PostingsIndex {
    /// Every series, sorted.
    func allPostings() -> PostingsList
    /// Series carrying exactly `name="value"`.
    func postings(name: String, value: String) -> PostingsList
    /// Series whose label `name` exists with a value `predicate` accepts.
    func postings(name: String, where predicate: (String) -> Bool) -> PostingsList
}

extension MemPostings: PostingsIndex {}

extension PostingsIndex {
    /// Series matching every matcher, after Prometheus's `PostingsForMatchers`: matchers that
    /// cannot match the empty value intersect; those that can are applied by subtracting the
    /// series their inverse selects (a label that is absent matches the empty value).
    public func postings(for matchers: [Matcher]) -> PostingsList {
        var include: [PostingsList] = []
        var exclude: [PostingsList] = []
        for m in matchers {
            if m.matchesEmpty {
                exclude.append(postings(matching: Self.inverse(m)))
            } else {
                include.append(postings(matching: m))
            }
        }
        var result = include.isEmpty ? allPostings() : Postings.intersect(include)
        for e in exclude where !e.isEmpty {
            result = Postings.subtract(result, e)
        }
        return result
    }

    static func inverse(_ m: Matcher) -> Matcher {
        switch m.kind {
        case .equal: return try! Matcher(.notEqual, m.name, m.value)
        case .notEqual: return try! Matcher(.equal, m.name, m.value)
        case .regexMatch: return inverseRegex(m, kind: .regexNoMatch)
        case .regexNoMatch: return inverseRegex(m, kind: .regexMatch)
        }
    }

    /// The inverse of a regex matcher, reusing its compiled pattern.
    static func inverseRegex(_ m: Matcher, kind: Matcher.Kind) -> Matcher {
        let regex = m.regex!
        return try! Matcher(kind, m.name, m.value, compiler: { _ in regex })
    }

    /// Series whose label `m.name` exists and satisfies `m`.
    public func postings(matching m: Matcher) -> PostingsList {
        switch m.kind {
        case .equal:
            return postings(name: m.name, value: m.value)
        case .regexMatch:
            if let set = m.regex?.literalSet {
                return Postings.union(set.map { postings(name: m.name, value: $0) })
            }
            return postings(name: m.name, where: m.matches)
        case .notEqual, .regexNoMatch:
            return postings(name: m.name, where: m.matches)
        }
    }
}
