import HearthFileIO

/// Why a block could not be read or written.
public enum BlockError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalidMeta(String)
    case corrupt(file: String, reason: String)
    case io(String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidMeta(let s): return "invalid meta.json: \(s)"
        case .corrupt(let file, let reason): return "corrupt \(file): \(reason)"
        case .io(let s): return s
        case .invalidInput(let s): return s
        }
    }

    init(_ e: FileIOError) { self = .io(e.description) }
}
