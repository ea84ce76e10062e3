import HearthModel
import HearthStorage

/// Prometheus's handling of external labels where series leave the server (remote read,
/// federation): the stored series do not carry them, so matchers on them are answered against
/// the external values, and the labels are added to what is returned (a series' own label of
/// the same name wins).
enum ExternalLabels {
    /// The matchers to select with, or nil when a matcher on an external label refuses its
    /// value (nothing can match).
    static func storedMatchers(_ matchers: [Matcher], external: Labels) -> [Matcher]? {
        guard !external.isEmpty else { return matchers }
        var kept: [Matcher] = []
        for m in matchers {
            if let value = external[m.name] {
                guard m.matches(value) else { return nil }
            } else {
                kept.append(m)
            }
        }
        return kept
    }

    /// `labels` with the external labels it lacks.
    static func adding(_ external: Labels, to labels: Labels) -> Labels {
        guard !external.isEmpty else { return labels }
        var merged = Array(labels)
        var added = false
        for l in external where labels[l.name] == nil {
            merged.append(l)
            added = true
        }
        guard added else { return labels }
        merged.sort { $0.name.utf8Precedes($1.name) }
        return Labels(sorted: merged)
    }

    /// A selection's series with the external labels added, sorted again by labels.
    static func adding(_ external: Labels, to set: SeriesSet) -> SeriesSet {
        guard !external.isEmpty else { return set }
        var out = set
        out.series = set.series.map { s in
            var s = s
            s.labels = adding(external, to: s.labels)
            return s
        }.sorted { $0.labels < $1.labels }
        return out
    }
}
