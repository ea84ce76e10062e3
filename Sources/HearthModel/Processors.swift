#if canImport(Glibc)
import Glibc
#endif

/// The machine's processors, for the parts of Hearth that spread one job over several threads
/// (WAL replay, snapshot loading, large queries).
public enum Processors {
    /// Online CPUs, read once.
    public static let online: Int = {
        #if canImport(Glibc)
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        if n > 0 { return n }
        #endif
        return 1
    }()
}
