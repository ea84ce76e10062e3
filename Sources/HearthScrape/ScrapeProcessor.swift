import HearthConfig
import HearthEncoding
import HearthExposition
import HearthModel
import HearthStorage
import HearthRelabel

/// Turns scrape bodies into appends for one target: parses with `ExpositionScanner`, finds each
/// series in the `SeriesCache` (decoding labels, adding target labels and metric relabeling
/// only for series the cache has not seen), enforces the limits, and writes staleness markers
/// for series that disappeared. Owned by one scrape loop; not thread-safe. Public for the
/// benchmarks and for tools that replay bodies.
///
/// A cached series is appended by its storage ref alone (with empty labels): label sets are not
/// held here, only in the storage. If the storage no longer knows the ref, the labels are
/// derived from the line again and the sample is appended by them.
public struct ScrapeProcessor {
    let targetLabels: Labels
    let honorLabels: Bool
    let honorTimestamps: Bool
    let sampleLimit: Int
    let labelLimit: Int
    let labelNameLengthLimit: Int
    let labelValueLengthLimit: Int
    let metricRelabelConfigs: [RelabelConfig]

    var cache = SeriesCache()
    /// Successful scrapes so far; entries seen by the last one have `lastSeen == iteration`.
    var iteration: UInt32 = 1
    /// Refs of the report series (`up`, `scrape_duration_seconds`, ...).
    var reportRefs = [UInt64](repeating: 0, count: 5)
    /// The metadata lines of the last successful scrape.
    var metadata = ScrapeMetadata()

    /// `# TYPE`, `# HELP` and `# UNIT` of the last successful scrape, by metric family.
    public var metricMetadata: [String: MetricMetadata] { metadata.families }

    public init(target: ScrapeTarget, config: ScrapeConfig) {
        targetLabels = target.publicLabels
        honorLabels = config.honorLabels
        honorTimestamps = config.honorTimestamps
        sampleLimit = config.sampleLimit
        labelLimit = config.labelLimit
        labelNameLengthLimit = config.labelNameLengthLimit
        labelValueLengthLimit = config.labelValueLengthLimit
        metricRelabelConfigs = config.metricRelabelConfigs
    }

    public struct Result: Sendable, Equatable {
        public var scraped = 0
        public var postRelabeling = 0
        public var seriesAdded = 0
    }

    /// Appends one scrape's samples and stale markers, at `timestamp` unless the sample has its
    /// own and `honor_timestamps` is on. Throws (after nothing was committed) when the body is
    /// malformed or a limit is exceeded: the scrape fails as a whole.
    public mutating func process<A: Appender>(
        _ body: [UInt8], format: ExpositionFormat, timestamp: Int64, appender: A
    ) throws(ScrapeError) -> Result {
        var result = Result()
        var scanner = ExpositionScanner(body, format: format)
        // Entries are marked seen as the scrape finds them; a failed scrape takes the marks back.
        let next = iteration + 1
        let countBefore = cache.count
        metadata.begin()
        do {
            while let event = try scanner.next() {
                guard event == .sample else {
                    metadata.note(event, scanner)
                    continue
                }
                result.scraped += 1
                var t = timestamp
                if honorTimestamps, let ts = try scanner.timestampMilliseconds() { t = ts }
                let range = scanner.seriesRange
                let key = body.withUnsafeBytes { BytesDigest(UnsafeRawBufferPointer(rebasing: $0[range])) }
                var labels: Labels?
                let index: Int
                if let found = cache.find(key) {
                    index = found
                    cache[index].lastSeen = next
                } else {
                    labels = try finalLabels(try scanner.labels())
                    index = cache.insert(key, ref: 0, dropped: labels == nil, seen: next)
                    if labels != nil { result.seriesAdded += 1 }
                }
                guard !cache[index].dropped else { continue }
                result.postRelabeling += 1
                if sampleLimit > 0, result.postRelabeling > sampleLimit { throw ScrapeError.sampleLimit(sampleLimit) }
                let value = scanner.value
                let cached = cache[index].ref
                if cached != 0, labels == nil, let ref = try? appender.append(cached, Labels(), t, value) {
                    cache[index].ref = ref
                    continue
                }
                // A new series, one the storage no longer knows by its ref, or a refused sample:
                // by its labels. A sample the storage refuses (out of order, duplicate, too old)
                // is skipped, as in Prometheus; the rest of the scrape goes on.
                if labels == nil { labels = try finalLabels(try scanner.labels()) }
                guard let labels else { continue }
                if let ref = try? appender.append(0, labels, t, value) { cache[index].ref = ref }
            }
        } catch {
            unmarkSeen(next, countBefore: countBefore)
            switch error {
            case let e as ExpositionError: throw .parse(e)
            case let e as ScrapeError: throw e
            default: throw .storage("\(error)")
            }
        }
        metadata.finish(body, scanner: scanner)
        // Series of the previous scrape that this one lacks are stale.
        appendStaleMarkers(previous: iteration, at: timestamp, appender: appender)
        iteration = next
        if iteration % 16 == 0 { cache.evict(olderThan: iteration - 2) }
        if result.seriesAdded == 0 { cache.trimCapacity() }
        return result
    }

    /// Takes back a failed scrape's seen marks: entries it found are again of the last good
    /// scrape, entries it added of none.
    private mutating func unmarkSeen(_ next: UInt32, countBefore: Int) {
        for i in 0..<countBefore where cache[i].lastSeen == next { cache[i].lastSeen = iteration }
        for i in countBefore..<cache.count { cache[i].lastSeen = 0 }
    }

    /// After a failed scrape: every series of the last successful scrape goes stale, once.
    mutating func markFailedScrape<A: Appender>(at timestamp: Int64, appender: A) {
        appendStaleMarkers(previous: iteration, at: timestamp, appender: appender)
        iteration += 1
    }

    /// When the target goes away: stale markers for what its last scrape returned.
    mutating func markTargetGone<A: Appender>(at timestamp: Int64, appender: A) {
        appendStaleMarkers(previous: iteration, at: timestamp, appender: appender)
        cache.removeAll()
    }

    private mutating func appendStaleMarkers<A: Appender>(previous: UInt32, at t: Int64, appender: A) {
        // A series never stored (ref 0) needs no marker; one whose ref the storage forgot (it
        // had no sample for a whole WAL segment) gets none either.
        for i in 0..<cache.count where cache[i].lastSeen == previous && !cache[i].dropped && cache[i].ref != 0 {
            _ = try? appender.append(cache[i].ref, Labels(), t, StaleMarker.value)
        }
    }

    /// Scraped labels with the target's labels added (Prometheus's `mutateSampleLabels`), then
    /// metric relabeling and the label limits. Nil when relabeling dropped the series.
    mutating func finalLabels(_ scraped: Labels) throws(ScrapeError) -> Labels? {
        var list = Array(scraped)
        if honorLabels {
            for l in targetLabels where !list.contains(where: { $0.name == l.name }) { list.append(l) }
        } else {
            for l in targetLabels {
                if let i = list.firstIndex(where: { $0.name == l.name }) {
                    // The scraped value moves to exported_<name> (prefixed again while taken).
                    var name = "exported_" + l.name
                    while list.contains(where: { $0.name == name }) || targetLabels.contains(where: { $0.name == name }) { name = "exported_" + name }
                    list.append(Label(name, list[i].value))
                    list[i].value = l.value
                } else {
                    list.append(l)
                }
            }
        }
        list.sort { $0.name.utf8Precedes($1.name) }
        guard let labels = Relabel.process(Labels(sortedDroppingEmpty: list), metricRelabelConfigs) else { return nil }
        guard labels.metricName != nil else { return nil }
        if labelLimit > 0, labels.count > labelLimit {
            throw .labelLimit("label_limit exceeded (metric: \(labels.metricName ?? ""), number of labels: \(labels.count), limit: \(labelLimit))")
        }
        for l in labels {
            if labelNameLengthLimit > 0, l.name.utf8.count > labelNameLengthLimit {
                throw .labelLimit("label_name_length_limit exceeded (metric: \(labels.metricName ?? ""), label name: \(l.name), length: \(l.name.utf8.count), limit: \(labelNameLengthLimit))")
            }
            if labelValueLengthLimit > 0, l.value.utf8.count > labelValueLengthLimit {
                throw .labelLimit("label_value_length_limit exceeded (metric: \(labels.metricName ?? ""), label name: \(l.name), value: \(l.value.debugDescription), length: \(l.value.utf8.count), limit: \(labelValueLengthLimit))")
            }
        }
        return labels
    }

    /// `up`, `scrape_duration_seconds`, `scrape_samples_scraped`,
    /// `scrape_samples_post_metric_relabeling`, `scrape_series_added`.
    mutating func appendReport<A: Appender>(
        up: Bool, duration: Double, result: Result, at t: Int64, appender: A
    ) {
        // In the order of `reportNames`.
        let values: [Double] = [
            up ? 1 : 0, duration, Double(result.scraped), Double(result.postRelabeling), Double(result.seriesAdded),
        ]
        for (i, value) in values.enumerated() {
            if let ref = try? appender.append(reportRefs[i], reportLabels[i], t, value) { reportRefs[i] = ref }
        }
    }

    static let reportNames = ["up", "scrape_duration_seconds", "scrape_samples_scraped",
                              "scrape_samples_post_metric_relabeling", "scrape_series_added"]

    lazy var reportLabels: [Labels] = Self.reportNames.map { name in
        var list = Array(targetLabels)
        list.removeAll { $0.name == Labels.metricName }
        list.append(Label(Labels.metricName, name))
        list.sort { $0.name.utf8Precedes($1.name) }
        return Labels(sorted: list)
    }

    /// Marks the report series stale (the target is gone).
    mutating func appendStaleReport<A: Appender>(at t: Int64, appender: A) {
        for i in 0..<5 { _ = try? appender.append(reportRefs[i], reportLabels[i], t, StaleMarker.value) }
    }
}

/// Why a scrape failed, as `/api/v1/targets` shows it.
public enum ScrapeError: Error, Sendable, Equatable, CustomStringConvertible {
    case http(String)
    case parse(ExpositionError)
    case sampleLimit(Int)
    case labelLimit(String)
    case storage(String)

    public var description: String {
        switch self {
        case .http(let m): m
        case .parse(let e): "\(e)"
        case .sampleLimit(let n): "sample limit exceeded (limit \(n))"
        case .labelLimit(let m): m
        case .storage(let m): "storage: \(m)"
        }
    }
}
