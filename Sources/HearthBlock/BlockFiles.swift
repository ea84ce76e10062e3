#if canImport(Glibc)
import Glibc
#endif
import HearthFileIO

/// File helpers shared by the block writers: plain descriptors, every error carrying the path.
enum BlockFiles {
    static func create(_ path: String) throws(BlockError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("create \(path): errno \(errno)") }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(BlockError) {
        let failed: Int32? = bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return nil
        }
        if let failed { throw .io("write \(path): errno \(failed)") }
    }

    static func syncAndClose(_ fd: Int32, path: String) throws(BlockError) {
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io("fsync \(path): errno \(errno)") }
    }

    /// Writes a whole file and syncs it.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(BlockError) {
        let fd = try create(path)
        do { try writeAll(fd, bytes, path: path) } catch {
            close(fd)
            throw error
        }
        try syncAndClose(fd, path: path)
    }
}
