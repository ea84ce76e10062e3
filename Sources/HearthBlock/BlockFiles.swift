#if canImport(Glibc)
import Glibc
#endif
import HearthFileIO

/// File helpers of the block writers.
enum BlockFiles {
    /// Writes a whole file and syncs it (inside a block's temporary directory: the directory is
    /// renamed into place afterwards, so no per-file rename is needed).
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(BlockError) {
        do {
            let file = try File(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
            try file.write(bytes)
            try file.sync()
        } catch { throw BlockError(error) }
    }
}
