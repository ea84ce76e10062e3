/// The parsed form of a pattern. Character data is in Unicode scalar values.
indirect enum Node: Equatable {
    case empty
    /// A sequence of literal scalars (already case-expanded into classes when folding).
    case literal([UInt32])
    case charClass(CharClass)
    case anyChar
    case anyCharNotNewline
    case beginLine
    case endLine
    case beginText
    case endText
    case wordBoundary
    case noWordBoundary
    case capture(index: Int, name: String?, Node)
    case concat([Node])
    case alternate([Node])
    /// `max == -1` means unbounded.
    case `repeat`(Node, min: Int, max: Int, greedy: Bool)
}
