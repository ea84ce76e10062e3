import HearthRegex
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Patterns that make backtracking engines take exponential time must take time proportional
/// to the input here: quadrupling the input may at most about quadruple the time.
@Suite struct LinearTimeTests {
    func seconds(_ body: () -> Void) -> Double {
        var a = timespec(), b = timespec()
        clock_gettime(CLOCK_MONOTONIC, &a)
        body()
        clock_gettime(CLOCK_MONOTONIC, &b)
        return Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) / 1e9
    }

    /// A million characters against the classic catastrophic pattern, whole match and search.
    @Test func aMillionCharacters() throws {
        let re = try RE2("(a*)*b")
        let input = String(repeating: "a", count: 1_000_000)
        let quarter = String(repeating: "a", count: 250_000)
        let tq = seconds { #expect(re.firstMatch(in: quarter) == nil) }
        let t = seconds {
            #expect(!re.wholeMatch(input))
            #expect(re.firstMatch(in: input) == nil)
        }
        #expect(t < 60, "\(t)s for 10^6 characters")
        #expect(t / tq < 10, "\(tq)s at 250k, \(t)s at 1M")
    }

    @Test(arguments: [("(a*)*b", "a"), ("(a|aa)*c", "a"), ("(x+x+)+y", "x"), ("(a|a)*b", "a"), ("(.*)*z", "q")])
    func timeGrowsLinearly(_ pattern: String, _ fill: String) throws {
        let re = try RE2(pattern)
        let small = String(repeating: fill, count: 25_000)
        let large = String(repeating: fill, count: 100_000)
        // Warm up (lazily built tables), then take the best of five runs of each size: with a
        // DFA a whole match of 25k characters takes microseconds, so one preemption on a
        // loaded machine would decide the ratio (CI saw 14x once with the best of two).
        _ = re.wholeMatch(String(repeating: fill, count: 100))
        #expect(!re.wholeMatch(small) && !re.wholeMatch(large))
        let t1 = (0..<5).map { _ in seconds { _ = re.wholeMatch(small) } }.min()!
        let t4 = (0..<5).map { _ in seconds { _ = re.wholeMatch(large) } }.min()!
        let s1 = seconds { #expect(re.firstMatch(in: small) == nil) }
        let s4 = seconds { #expect(re.firstMatch(in: large) == nil) }
        // Linear is 4x; quadratic would be 16x. Allow noise.
        #expect(t4 / t1 < 8, "whole match: \(t1)s at 25k, \(t4)s at 100k")
        #expect(s4 / s1 < 8, "search: \(s1)s at 25k, \(s4)s at 100k")
    }
}
