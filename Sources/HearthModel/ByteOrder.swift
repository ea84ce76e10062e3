#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-wise comparison of strings, as Prometheus compares label names and values (Go compares
/// strings byte by byte). Native Swift strings are contiguous UTF-8, so these are a `memcmp`;
/// the generic sequence algorithms they replace cost a metadata lookup per call across modules.
extension String {
    /// Whether `self` sorts before `other` by UTF-8 bytes.
    @inlinable
    public func utf8Precedes(_ other: String) -> Bool {
        var a = self, b = other
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = Swift.min(pa.count, pb.count)
                if n > 0, let x = pa.baseAddress, let y = pb.baseAddress {
                    let c = memcmp(x, y, n)
                    if c != 0 { return c < 0 }
                }
                return pa.count < pb.count
            }
        }
    }

    /// Whether `self` and `other` have the same UTF-8 bytes (`==` would also equate canonically
    /// equivalent strings).
    @inlinable
    public func utf8Equals(_ other: String) -> Bool {
        var a = self, b = other
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                guard pa.count == pb.count else { return false }
                guard pa.count > 0, let x = pa.baseAddress, let y = pb.baseAddress else { return true }
                return memcmp(x, y, pa.count) == 0
            }
        }
    }
}
