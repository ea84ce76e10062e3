/// Takes label sets one label at a time, so a holder that keeps labels in its own form (the
/// agent's symbol ids) can hand them to an encoder without building a `Labels` for each.
public protocol LabelSetSink {
    /// A set for series `ref` starts.
    mutating func beginSet(ref: UInt64)
    /// The set's next label; names come in `Labels` order (by their bytes).
    mutating func label(name: String, value: String)
    /// The set is complete.
    mutating func endSet()
}

extension LabelSetSink {
    /// Hands over a whole `Labels`.
    public mutating func add(ref: UInt64, _ labels: Labels) {
        beginSet(ref: ref)
        for l in labels { label(name: l.name, value: l.value) }
        endSet()
    }
}
