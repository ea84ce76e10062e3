import HearthExposition
import HearthModel

/// The `# TYPE`, `# HELP` and `# UNIT` lines of a target's last successful scrape, by metric
/// family, for `/api/v1/metadata`. A scrape only notes where those lines are and hashes their
/// bytes; the strings are built again only when the lines changed, which for a target that
/// exposes the same families every time is never after the first scrape.
struct ScrapeMetadata {
    private struct Line {
        var event: ExpositionEvent
        var name: Range<Int>
        var text: Range<Int>
        var type: MetricType
    }

    /// The families, as of the last scrape whose lines differed from the one before.
    private(set) var families: [String: MetricMetadata] = [:]
    private var lines: [Line] = []
    private var digest: Int?

    /// Clears the lines noted for a scrape about to start.
    mutating func begin() { lines.removeAll(keepingCapacity: true) }

    /// Notes the current metadata line of `scanner`.
    mutating func note(_ event: ExpositionEvent, _ scanner: ExpositionScanner) {
        lines.append(Line(event: event, name: scanner.nameRange, text: scanner.textRange, type: scanner.metricType))
    }

    /// After a successful scrape of `body`: rebuilds the families if its lines differ.
    mutating func finish(_ body: [UInt8], scanner: ExpositionScanner) {
        var hasher = Hasher()
        body.withUnsafeBytes { raw in
            for l in lines {
                hasher.combine(l.event)
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[l.name]))
                hasher.combine(l.name.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[l.text]))
                hasher.combine(l.type)
            }
        }
        let next = hasher.finalize()
        guard next != digest else { return }
        digest = next
        var rebuilt: [String: MetricMetadata] = [:]
        for l in lines {
            let name = String(decoding: body[l.name], as: UTF8.self)
            var entry = rebuilt[name] ?? MetricMetadata()
            switch l.event {
            case .type: entry.type = l.type.rawValue
            case .help: entry.help = ExpositionScanner.helpText(body[l.text], format: scanner.format)
            case .unit: entry.unit = String(decoding: body[l.text], as: UTF8.self)
            case .sample: continue
            }
            rebuilt[name] = entry
        }
        families = rebuilt
    }
}
