#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor with the few operations storage needs. Blocking calls: run them
/// on a thread that may block, never on the cooperative pool in a loop.
public struct File: ~Copyable, Sendable {
    public let fd: Int32
    public let path: String

    /// Opens `path` with POSIX `flags` (for example `O_RDWR | O_CREAT`).
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(FileIOError) {
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileIOError("open", path: path, errno: errno) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Writes every byte, retrying short writes and EINTR.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileIOError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError("write", path: path, errno: errno)
            }
            done += n
        }
    }

    public func write(_ bytes: [UInt8]) throws(FileIOError) {
        var failure: FileIOError?
        bytes.withUnsafeBytes { raw in
            do throws(FileIOError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes every byte at `offset` without moving the file position.
    public func pwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(FileIOError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError("pwrite", path: path, errno: errno)
            }
            done += n
        }
    }

    public func sync() throws(FileIOError) {
        #if canImport(Glibc)
        guard fdatasync(fd) == 0 else { throw FileIOError("fdatasync", path: path, errno: errno) }
        #else
        guard fsync(fd) == 0 else { throw FileIOError("fsync", path: path, errno: errno) }
        #endif
    }

    public func truncate(to size: Int) throws(FileIOError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw FileIOError("ftruncate", path: path, errno: errno) }
    }

    public func size() throws(FileIOError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileIOError("fstat", path: path, errno: errno) }
        return Int(st.st_size)
    }

    public func seekToEnd() throws(FileIOError) -> Int {
        let off = lseek(fd, 0, SEEK_END)
        guard off >= 0 else { throw FileIOError("lseek", path: path, errno: errno) }
        return Int(off)
    }
}
