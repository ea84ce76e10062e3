import ArgumentParser
import Glibc
import HearthConfig
import HearthExposition
import HearthFileIO

/// `hearth check`: validate files the way `promtool check` does.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the validity of configuration files and metrics.",
        subcommands: [Config.self, Metrics.self]
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
                } catch {
                    print("  FAILED: parsing YAML file \(file): \(error)")
                    failed = true
                }
                print("")
            }
            if failed { throw ExitCode(1) }
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
