import HearthModel

/// Where scraped samples go: the server's TSDB head or the agent's write-ahead log. A scrape
/// appends through one appender and commits once, so a scrape is stored whole or not at all.
public protocol ScrapeStorage: Sendable {
    associatedtype Appender: ScrapeAppender
    func scrapeAppender() -> Appender
}

public protocol ScrapeAppender {
    /// Appends a sample for series `ref` (0 or unknown: look it up by `labels`); returns the
    /// series' ref for the next scrape. Throws for a sample the storage refuses (out of order,
    /// duplicate): the scrape counts it and goes on. `labels` is empty when the caller has only
    /// the ref: then an unknown ref is an error (the caller derives the labels and tries again).
    func append(_ ref: UInt64, _ labels: Labels, _ t: Int64, _ v: Double) throws -> UInt64
    /// Makes the batch durable and visible.
    func commit() throws
    func rollback()
}
