import Synchronization

/// Damage found while reading a block: a series entry, postings list or chunk whose checksum
/// or length is wrong. Queries go on without the damaged part (a block's other series and
/// chunks are intact and still served); the damage is counted and the first reports kept, with
/// the file and offset, so that what could not be read is reported instead of silently missing.
public final class ReadDamage: Sendable {
    struct State {
        var count = 0
        var reports: [String] = []
        var taken = 0
        var seen = Set<String>()
    }

    private let state = Mutex(State())
    /// Distinct reports kept (the count goes on past it).
    static let keep = 100

    public init() {}

    /// Records damage once per distinct report.
    public func record(_ report: @autoclosure () -> String) {
        let text = report()
        state.withLock { s in
            guard !s.seen.contains(text) else { return }
            s.count += 1
            if s.reports.count < Self.keep {
                s.seen.insert(text)
                s.reports.append(text)
            }
        }
    }

    /// Distinct pieces of damage found so far.
    public var count: Int { state.withLock { $0.count } }

    /// The reports not handed out before (for logs).
    public func takeNew() -> [String] {
        state.withLock { s in
            defer { s.taken = s.reports.count }
            return Array(s.reports[s.taken...])
        }
    }
}
