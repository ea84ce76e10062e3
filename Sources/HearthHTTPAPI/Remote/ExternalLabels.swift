import HearthModel
import HearthStorage

extension SeriesSet {
    /// The selection's series with the server's external labels added (Prometheus attaches
    /// them to what remote read returns), sorted again by labels.
    func adding(external: Labels) -> SeriesSet {
        guard !external.isEmpty else { return self }
        var out = self
        out.series = series.map { s in
            var s = s
            s.labels = s.labels.adding(external: external)
            return s
        }.sorted { $0.labels < $1.labels }
        return out
    }
}
