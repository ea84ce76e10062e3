import ArgumentParser
import Glibc
import HearthConfig
import HearthExposition
import HearthFileIO
import HearthPromQL
import HearthRules

/// `hearth check`: validate files the way `promtool check` does.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the validity of configuration files and metrics.",
        subcommands: [Config.self, Rules.self, Metrics.self]
    )

    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check if the config files are valid or not.")

        @Argument(help: "The config files to check.")
        var files: [String]

        func run() throws {
            var failed = false
            for file in files {
                print("Checking \(file)")
                do {
                    let (config, _) = try HearthConfig.Config.load(file: file)
                    print("  SUCCESS: \(file) is valid prometheus config file syntax")
                    var ruleFiles: [String] = []
                    for pattern in config.ruleFiles { ruleFiles += FileSystem.glob(pattern) }
                    if !config.ruleFiles.isEmpty {
                        print("  SUCCESS: \(ruleFiles.count) rule files found")
                    }
                    for f in ruleFiles where !FileSystem.exists(f) {
                        throw ValidationError("rule file \(f) does not exist")
                    }
                    print("")
                    if !Rules.check(ruleFiles) { failed = true }
                    continue
                } catch {
                    print("  FAILED: parsing YAML file \(file): \(error)")
                    failed = true
                }
                print("")
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check if the rule files are valid or not (as promtool check rules: errors with line and column).")

        @Argument(help: "The rule files to check.")
        var files: [String]

        func run() throws {
            if !Self.check(files) { throw ExitCode(1) }
        }

        /// Prints promtool's report for each file; false if any failed.
        static func check(_ files: [String]) -> Bool {
            var ok = true
            for file in files {
                print("Checking \(file)")
                let text: String
                do {
                    guard let bytes = try FileSystem.readFile(file) else { throw ValidationError("open \(file): no such file or directory") }
                    text = String(decoding: bytes, as: UTF8.self)
                } catch {
                    printError("  FAILED:\n\(file): \(error)")
                    ok = false
                    continue
                }
                let (problems, count, _) = RuleLoader.check(text) { expr in
                    do throws(QueryError) { _ = try Engine().parse(expr); return nil } catch { return error.description }
                }
                if problems.isEmpty {
                    print("  SUCCESS: \(count) rules found")
                } else {
                    printError("  FAILED:")
                    for p in problems { printError("\(file): \(p)") }
                    ok = false
                }
                print("")
            }
            return ok
        }
    }

    struct Metrics: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check exposition text read from standard input (OpenMetrics with --openmetrics, checked strictly).")

        @Flag(name: .customLong("openmetrics"), help: "Read OpenMetrics 1.0 text and apply all of its rules.")
        var openMetrics = false

        func run() throws {
            var input: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(0, &buffer, buffer.count)
                if n <= 0 { break }
                input += buffer[0..<n]
            }
            do {
                if openMetrics {
                    try OpenMetricsValidator.validate(input)
                } else {
                    var scanner = ExpositionScanner(input, format: .prometheusText)
                    while let event = try scanner.next() { if event == .sample { _ = try scanner.labels() } }
                }
            } catch {
                print("error while linting: \(error)")
                throw ExitCode(1)
            }
        }
    }
}

/// Writes a line to standard error (promtool reports failures there).
func printError(_ line: String) {
    fflush(nil)  // keep the order of the two streams when both go to one place
    let text = Array((line + "\n").utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
