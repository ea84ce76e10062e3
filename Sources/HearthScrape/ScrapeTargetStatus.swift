import HearthConfig
import HearthModel

/// What `/api/v1/targets` shows of a target.
public struct ScrapeTargetStatus: Sendable {
    public var scrapePool: String
    public var discoveredLabels: Labels
    /// Public labels; empty for a dropped target.
    public var labels: Labels
    public var scrapeURL: String
    /// "up", "down" or "unknown" (not scraped yet).
    public var health: String
    public var lastError: String
    /// Start of the last scrape, Unix milliseconds (0: never).
    public var lastScrape: Int64
    public var lastScrapeDuration: Double
    public var scrapeInterval: String
    public var scrapeTimeout: String
    public var dropped: Bool

    public init(scrapePool: String, discoveredLabels: Labels, labels: Labels, scrapeURL: String, health: String,
                lastError: String, lastScrape: Int64, lastScrapeDuration: Double, scrapeInterval: String,
                scrapeTimeout: String, dropped: Bool) {
        self.scrapePool = scrapePool
        self.discoveredLabels = discoveredLabels
        self.labels = labels
        self.scrapeURL = scrapeURL
        self.health = health
        self.lastError = lastError
        self.lastScrape = lastScrape
        self.lastScrapeDuration = lastScrapeDuration
        self.scrapeInterval = scrapeInterval
        self.scrapeTimeout = scrapeTimeout
        self.dropped = dropped
    }
}
