import HearthFileIO

/// A WAL failure, with where it happened so that repair can act on it.
public struct WALError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case io
        case recordTooLarge
        case closed
        case corruption
    }

    public var code: Code
    public var segment: Int
    public var offset: Int
    public var message: String

    public init(_ code: Code, segment: Int = -1, offset: Int = -1, _ message: String) {
        self.code = code
        self.segment = segment
        self.offset = offset
        self.message = message
    }

    static func io(_ e: FileIOError) -> WALError { WALError(.io, e.description) }

    public var description: String {
        segment >= 0 ? "wal segment \(Segment.name(segment)) offset \(offset): \(message)" : "wal: \(message)"
    }
}
