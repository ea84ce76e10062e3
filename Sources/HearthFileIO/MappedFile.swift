#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a file. Pages are loaded on first touch and can be dropped by
/// the kernel at will, so mapped data does not count against the process's heap.
///
/// The mapping lives as long as this object: readers must hold a reference while they use
/// a pointer into it.
public final class MappedFile: @unchecked Sendable {
    // Immutable after init; the mapping is read-only, so concurrent reads are safe.
    public let path: String
    public let base: UnsafeRawPointer?
    /// Bytes reserved for the mapping; only the part of it backed by the file may be read.
    public let capacity: Int

    /// Maps `capacity` bytes of `path` (which may be larger than the file, so a file being
    /// appended to can be read as it grows without remapping).
    public init(path: String, capacity: Int) throws(FileIOError) {
        self.path = path
        self.capacity = capacity
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIOError("open", path: path, errno: errno) }
        defer { close(fd) }
        if capacity == 0 {
            base = nil
            return
        }
        let p = mmap(nil, capacity, PROT_READ, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw FileIOError("mmap", path: path, errno: errno) }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), capacity) }
    }

    /// The bytes `[offset, offset+count)`; the caller has checked they lie within the file.
    @inlinable
    public func bytes(at offset: Int, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base! + offset, count: count)
    }
}
