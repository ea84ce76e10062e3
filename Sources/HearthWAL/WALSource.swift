import HearthModel

/// A write-ahead log that someone is appending to, with the labels of the series refs its
/// sample records name: what a remote-write queue reads. The agent's storage and the server's
/// DB are both sources; the queue neither knows nor cares which.
public protocol WALSource: Sendable {
    /// The directory of the log's segment files.
    var walDirectory: String { get }
    /// The position after the last record whose write has finished: safe to read up to.
    func walWrittenPosition() -> WALPosition
    /// Adds the labels of each of `refs` that the source still knows to `labels`.
    func resolveLabels(_ refs: [UInt64], into labels: inout [UInt64: Labels])
    /// Hands the labels of each of `refs` that the source still knows to `sink`, in the order
    /// of `refs`.
    func writeLabels<Sink: LabelSetSink>(_ refs: [UInt64], to sink: inout Sink)
}

extension WALSource {
    /// Through ``resolveLabels(_:into:)``, for a source that keeps `Labels` anyway.
    public func writeLabels<Sink: LabelSetSink>(_ refs: [UInt64], to sink: inout Sink) {
        var resolved: [UInt64: Labels] = [:]
        resolveLabels(refs, into: &resolved)
        for ref in refs {
            if let labels = resolved[ref] { sink.add(ref: ref, labels) }
        }
    }
}
