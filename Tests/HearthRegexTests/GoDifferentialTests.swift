import Foundation
import HearthRegex
import HearthTestSupport
import Testing

/// Random patterns and subjects, answered by Hearth's engine and by Go's regexp (a small
/// program in `goref/`, built with the `go` found on PATH): validity, whole-string match and
/// leftmost-first submatch positions must agree. Skipped where `go` is absent (`.ci/run`
/// installs Debian's golang-go).
@Suite struct GoDifferentialTests {
    static let go = GoToolchain.path

    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }

        static let atoms = ["a", "b", "c", "A", ".", "[ab]", "[^a]", "[a-c]", "\\d", "\\w", "\\s", "\\W", "é", "k",
                            "[[:alpha:]]", "[[:^digit:]]", "\\pL", "\\PL", "\\p{Lu}", "\\.", "\\x41", "x", "",
                            "^", "$", "\\b", "\\B", "\\A", "\\z", "(?i)", "(?s)", "(?m)", "(?U)", "\\Qa.\\E",
                            "(?P<n>a)", "(?s:.*)", "(?s:.+)", "(?s).*", "(?i)ab", "(?i)get|post",
                            "\\p{Greek}", "\\P{Latin}", "[\\p{Cyrillic}a]", "\\p{Han}"]
        static let repeats = ["*", "+", "?", "*?", "+?", "??", "{2}", "{1,2}", "{0,}", "{2,}?", "{0}", "**", "{,2}"]

        mutating func pattern(depth: Int = 0) -> String {
            var out = ""
            for _ in 0..<(1 + int(4)) {
                var piece: String
                switch int(depth > 2 ? 6 : 10) {
                case 0..<5: piece = pick(Self.atoms)
                case 5: piece = pick(["a", "b"]) + pick(["a", "b", "c"])
                case 6: piece = "(" + pattern(depth: depth + 1) + ")"
                case 7: piece = "(?:" + pattern(depth: depth + 1) + ")"
                case 8: piece = "(" + pattern(depth: depth + 1) + "|" + pattern(depth: depth + 1) + ")"
                default: piece = "(?i:" + pattern(depth: depth + 1) + ")"
                }
                if int(3) == 0 { piece += pick(Self.repeats) }
                out += piece
            }
            if int(8) == 0 { out += "|" + pattern(depth: depth + 1) }
            if int(40) == 0 { out += pick(["(", ")", "[", "\\", "*", "(?=a)"]) }
            return out
        }

        mutating func subject() -> String {
            let alphabet = ["a", "b", "c", "A", "B", "1", " ", "\n", "é", "É", "K", "\u{212A}", "k", ".", "x", "_", "ſ", "S",
                            "α", "Σ", "я", "日"]
            return (0..<int(10)).map { _ in pick(alphabet) }.joined()
        }
    }

    @Test(.enabled(if: go != nil, "go is not installed (apt-get install golang-go); skipping the differential test"))
    func agreesWithGoRegexp() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-goref-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("goref/main.go")
        let binary = work.appendingPathComponent("goref")
        let build = try await GoToolchain.run(["build", "-o", binary.path, source.path], work: work)
        try #require(build.status == 0, "building the Go reference program failed")

        var gen = Generator(state: 20_261_121)
        let templates = ["$1", "${1}x", "$1x", "$$", "${n}-$n", "$0", "${2}${1}", "a$", "${", "$-", "$10", "$01", "x"]
        var queries: [(String, String, String)] = []
        for _ in 0..<3000 {
            let p = gen.pattern()
            for _ in 0..<3 { queries.append((p, gen.subject(), gen.pick(templates))) }
        }
        var input = Data()
        for (p, s, t) in queries {
            input.append(try JSONSerialization.data(withJSONObject: ["p": p, "s": s, "t": t]))
            input.append(0x0A)
        }
        let output = try await runProgramOnOwnThread(binary.path, [], input: input).stdout
        let lines = output.split(separator: 0x0A)
        try #require(lines.count == queries.count)

        var mismatches: [String] = []
        var compiled: [String: Result<RE2, RegexError>] = [:]
        var validCount = 0
        for (k, line) in lines.enumerated() {
            let answer = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
            let (p, s, template) = queries[k]
            if compiled[p] == nil {
                do throws(RegexError) { compiled[p] = .success(try RE2(p)) } catch { compiled[p] = .failure(error) }
            }
            let goValid = answer["valid"] as! Bool
            switch compiled[p]! {
            case .failure(let e):
                if goValid { mismatches.append("/\(p)/: Hearth rejects (\(e)), Go accepts") }
            case .success(let re):
                guard goValid else {
                    mismatches.append("/\(p)/: Hearth accepts, Go rejects (\(answer["err"] as! String))")
                    continue
                }
                validCount += 1
                let full = re.wholeMatch(s)
                if full != (answer["full"] as! Bool) {
                    mismatches.append("/\(p)/ on \(s.debugDescription): whole match Hearth \(full), Go \(!full)")
                }
                let goSub = (answer["sub"] as? [Int]) ?? []
                let ours: [Int] = re.firstMatch(in: s).map { groups in
                    groups.flatMap { $0.map { [$0.lowerBound, $0.upperBound] } ?? [-1, -1] }
                } ?? []
                if ours != goSub {
                    mismatches.append("/\(p)/ on \(s.debugDescription): submatches Hearth \(ours), Go \(goSub)")
                } else if let match = re.firstMatch(in: s) {
                    let expanded = re.expand(template, subject: s, match: match)
                    if expanded != (answer["exp"] as! String) {
                        mismatches.append("/\(p)/ on \(s.debugDescription): expand \(template) Hearth \(expanded.debugDescription), Go \((answer["exp"] as! String).debugDescription)")
                    }
                }
            }
            if mismatches.count > 20 { break }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) disagreements, first: \(mismatches.prefix(20).joined(separator: "\n"))")
        #expect(validCount > 4000, "too few valid patterns were generated: \(validCount)")
    }
}
