import Foundation
import HearthPromQLParser
import HearthTestSupport
import Testing

/// Random number literals, read by Hearth's parser and by Go's strconv as Prometheus reads them
/// (`ParseInt(s, 0, 64)`, then `ParseFloat`; a small program in `goref/`, built with the `go`
/// found on PATH): where Hearth's lexer takes the text as one number, the value, or the kind of
/// error, must agree. Skipped where `go` is absent (`.ci/run` installs Debian's golang-go).
@Suite struct GoNumberDifferentialTests {
    static let go = GoToolchain.path

    static func literals() -> [String] {
        var state: UInt64 = 20_261_207
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let pieces = ["0", "1", "7", "8", "9", "00", "0x", "0X", "_", ".", "e", "E", "e+", "e-", "a", "f", "F", "9999999999",
                      "18446744073709551616", "9223372036854775807", "9223372036854775808", "400", "324", "1_0"]
        var out: [String] = []
        for _ in 0..<20_000 {
            var s = ["1", "0", "0x", "."][Int(next() % 4)]
            for _ in 0..<Int(next() % 6) { s += pieces[Int(next() % UInt64(pieces.count))] }
            out.append(s)
        }
        return out + ["0755", "010", "09", "1_000", "0x_1F", "1e400", "1e-400", "5.", ".5", "0x", "0_10", "08_9", "1__0", "0099.5"]
    }

    @Test(.enabled(if: go != nil, "go is not installed (apt-get install golang-go); skipping the differential test"))
    func literalsAgreeWithGoStrconv() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-goref-numbers-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("goref/main.go")
        let binary = work.appendingPathComponent("goref")
        let build = try await GoToolchain.run(["build", "-o", binary.path, source.path], work: work)
        try #require(build.status == 0, "building the Go reference program failed")

        // Only what the lexer takes as one number token is a literal to compare.
        let literals = Self.literals().filter { text in
            guard let tokens = try? Lexer.tokens(text) else { return false }
            return tokens.count == 2 && tokens[0].kind == .number && tokens[0].text == text
        }
        let run = try await runProgramOnOwnThread(binary.path, [], input: Data(literals.joined(separator: "\n").utf8 + [0x0A]))
        let answers = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n")
        try #require(answers.count == literals.count)

        var mismatches: [String] = []
        for (text, answer) in zip(literals, answers) {
            let hearth: String
            do throws(PromQLParseError) {
                guard case .number(let v) = try Parser.parse(text) else { throw PromQLParseError(start: 0, end: 0, message: "not a number") }
                hearth = "ok " + String(v.bitPattern, radix: 16)
            } catch {
                hearth = error.message.hasSuffix("value out of range") ? "err value out of range"
                    : error.message.hasSuffix("invalid syntax") ? "err invalid syntax" : "other \(error.message)"
            }
            if hearth != answer { mismatches.append("\(text): Hearth \(hearth), Go \(answer)") }
        }
        print("number literals checked against Go's strconv: \(literals.count), \(mismatches.count) differ")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20).joined(separator: "\n"))")
    }
}
