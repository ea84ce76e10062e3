import HearthFileIO

/// Thin test helpers over HearthFileIO.
enum FileSystemNames {
    static func list(_ path: String) throws -> [String] { try FileSystem.list(path) }
    static func read(_ path: String) throws -> [UInt8]? { try FileSystem.readFile(path) }
    static func write(_ path: String, _ bytes: [UInt8]) throws { try FileSystem.writeFileAtomically(path, bytes) }
}
