import ArgumentParser
import HearthConfig
import HearthFileIO
import HearthPromQL
import HearthRules

/// `hearth slo`: service-level objectives to Prometheus rules.
struct SLOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slo",
        abstract: "Turn service-level objectives into Prometheus rules.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write multi-window, multi-burn-rate recording and alerting rules for the SLOs in FILE.",
            discussion: """
                FILE lists SLOs (service, objective in percent, window, and the SLI as good/total, \
                errors/total or error_ratio PromQL with $window for the range); see docs/slo.md. \
                The rules go to standard output, or to --output.
                """
        )

        @Argument(help: "The SLO file.")
        var file: String

        @Option(name: [.short, .long], help: "Write the rule file here instead of standard output.")
        var output: String?

        func run() throws {
            guard let bytes = try FileSystem.readFile(file) else { throw ValidationError("open \(file): no such file or directory") }
            let slos: SLOFile
            do { slos = try SLOFile(yaml: String(decoding: bytes, as: UTF8.self)) } catch { throw ValidationError("\(file): \(error)") }
            let text: String
            do {
                text = try SLORules.generate(slos) { expr in
                    do throws(QueryError) { _ = try Engine().parse(expr); return nil } catch { return error.description }
                }
            } catch {
                throw ValidationError("\(file): \(error)")
            }
            if let output {
                try FileSystem.writeFileAtomically(output, Array(text.utf8))
            } else {
                print(text, terminator: "")
            }
        }
    }
}
