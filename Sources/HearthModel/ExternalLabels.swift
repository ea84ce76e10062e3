/// A server's `external_labels`, as Prometheus applies them where series leave it (remote read,
/// federation) and as `hearth query` reasons about an endpoint: the stored series do not carry
/// them, so matchers on them are answered against the external values, and the labels are
/// added to what is returned (a series' own label of the same name wins).
extension Labels {
    /// The matchers to select stored series with, given these external labels: matchers on an
    /// external label are answered here and dropped; nil when one refuses its value (nothing
    /// can match).
    public func storedMatchers(_ matchers: [Matcher]) -> [Matcher]? {
        guard !isEmpty else { return matchers }
        var kept: [Matcher] = []
        for m in matchers {
            if let value = self[m.name] {
                guard m.matches(value) else { return nil }
            } else {
                kept.append(m)
            }
        }
        return kept
    }

    /// These labels plus those of `external` they lack.
    public func adding(external: Labels) -> Labels {
        guard !external.isEmpty else { return self }
        var merged = Array(self)
        for l in external where self[l.name] == nil { merged.append(l) }
        guard merged.count > count else { return self }
        merged.sort { $0.name.utf8Precedes($1.name) }
        return Labels(sorted: merged)
    }
}
