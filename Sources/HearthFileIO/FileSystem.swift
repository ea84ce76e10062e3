#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory and whole-file helpers over POSIX calls (Foundation stays out of the storage path).
public enum FileSystem {
    /// Reads a whole file; nil if it does not exist.
    public static func readFile(_ path: String) throws(FileIOError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileIOError("open", path: path, errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileIOError("fstat", path: path, errno: errno) }
        let size = Int(st.st_size)
        var out = [UInt8](repeating: 0, count: size)
        var done = 0
        var failure: Int32 = 0
        out.withUnsafeMutableBytes { buf in
            while done < size {
                let n = read(fd, buf.baseAddress! + done, size - done)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                if n == 0 { break }
                done += n
            }
        }
        if failure != 0 { throw FileIOError("read", path: path, errno: failure) }
        if done < size { out.removeLast(size - done) }
        return out
    }

    /// Writes a file atomically: to `path.tmp`, fsync, rename, fsync of the directory.
    public static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(FileIOError) {
        _ = try writeFileAtomically(path, streaming: { (f: borrowing File) throws(FileIOError) -> Bool in
            try f.write(bytes)
            return true
        })
    }

    /// Like ``writeFileAtomically(_:_:)`` for content written a piece at a time: `body` writes
    /// to the temporary file and returns whether to keep it. Nothing replaces `path` if `body`
    /// returns false or throws; the temporary file is removed then.
    public static func writeFileAtomically(
        _ path: String, streaming body: (borrowing File) throws(FileIOError) -> Bool
    ) throws(FileIOError) -> Bool {
        let tmp = path + ".tmp"
        do {
            let f = try File(path: tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
            guard try body(f) else {
                try? remove(tmp)
                return false
            }
            try f.sync()
        } catch {
            try? remove(tmp)
            throw error
        }
        try rename(tmp, to: path)
        try syncDirectory(parent(of: path))
        return true
    }

    public static func rename(_ from: String, to: String) throws(FileIOError) {
        guard Glibc.rename(from, to) == 0 else { throw FileIOError("rename", path: from, errno: errno) }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates `path` and its parents.
    public static func createDirectory(_ path: String) throws(FileIOError) {
        if isDirectory(path) { return }
        let p = parent(of: path)
        if p != path && !p.isEmpty && !isDirectory(p) { try createDirectory(p) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw FileIOError("mkdir", path: path, errno: errno) }
    }

    /// Names in a directory, without `.` and `..`, sorted.
    public static func list(_ path: String) throws(FileIOError) -> [String] {
        guard let dir = opendir(path) else { throw FileIOError("opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The files a pattern names, sorted: a glob (`*`, `?`, `[...]`) in the last path element
    /// only, as Prometheus's `rule_files` and `file_sd_configs` allow. A pattern without glob
    /// characters is returned as it is, whether or not the file exists.
    public static func glob(_ pattern: String) -> [String] {
        guard pattern.contains("*") || pattern.contains("?") || pattern.contains("[") else { return [pattern] }
        let slash = pattern.lastIndex(of: "/")
        let dir = slash.map { String(pattern[..<$0]) } ?? "."
        let name = slash.map { String(pattern[pattern.index(after: $0)...]) } ?? pattern
        let matches = ((try? list(dir)) ?? []).filter { !$0.hasPrefix(".") && fnmatch(name, $0, 0) == 0 }
        return matches.map { slash == nil ? $0 : dir + "/" + $0 }
    }

    /// The directory part of a path (`.` when it has none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Removes a file or a whole directory tree; no error if it is already gone.
    public static func remove(_ path: String) throws(FileIOError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try remove(path + "/" + name) }
            guard rmdir(path) == 0 else { throw FileIOError("rmdir", path: path, errno: errno) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw FileIOError("unlink", path: path, errno: errno) }
        }
    }

    /// A small file's text, nil if it cannot be read (credentials files are read at each use,
    /// as Prometheus reads them, so a rotated secret is picked up).
    public static func readText(_ path: String) -> String? {
        guard let bytes = (try? readFile(path)) ?? nil else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func fileSize(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    /// Last modification time in Unix milliseconds, nil if `path` does not exist.
    public static func modificationTime(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
    }

    /// Total size of the regular files under `path`.
    public static func directorySize(_ path: String) -> Int {
        guard let names = try? list(path) else { return fileSize(path) ?? 0 }
        return names.reduce(0) { total, n in
            let p = path + "/" + n
            return total + (isDirectory(p) ? directorySize(p) : (fileSize(p) ?? 0))
        }
    }

    public static func syncDirectory(_ path: String) throws(FileIOError) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIOError("open", path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileIOError("fsync", path: path, errno: errno) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
