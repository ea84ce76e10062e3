#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed when the value is dropped.
public final class TemporaryDirectory {
    public let path: String

    public init(_ prefix: String = "hearth-test") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        path = String(cString: p!)
    }

    deinit {
        _ = system("rm -rf '\(path)'")
    }
}

/// Paths of the package's built products, found next to the running test binary.
public enum BuiltProducts {
    /// The build directory holding the test binary and the package's executables.
    public static var directory: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return ".build/debug" }
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var dir = String(exe[..<exe.lastIndex(of: "/")!])
        // swift-testing may run from inside the .xctest bundle directory.
        if dir.hasSuffix(".xctest") { dir = String(dir[..<dir.lastIndex(of: "/")!]) }
        return dir
    }

    public static func executable(_ name: String) -> String? {
        let p = directory + "/" + name
        return access(p, X_OK) == 0 ? p : nil
    }
}
