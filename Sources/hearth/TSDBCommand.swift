import ArgumentParser
import HearthBlock
import HearthFileIO
import HearthModel
import HearthTSDB

/// `hearth tsdb ...`: offline tools over a data directory, as `promtool tsdb ...`.
struct TSDBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsdb",
        abstract: "Tools for the storage directory.",
        subcommands: [Import.self, List.self]
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create blocks from data in another format.",
            subcommands: [OpenMetrics.self]
        )
    }

    struct OpenMetrics: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "openmetrics",
            abstract: "Create blocks from an OpenMetrics text file (every sample with a timestamp), as promtool tsdb create-blocks-from openmetrics.",
            discussion: "Blocks written into the data directory of a running hearth server are picked up at its next compaction cycle (within a minute)."
        )

        @Argument(help: "OpenMetrics input file.")
        var file: String

        @Argument(help: "Output directory for the blocks.")
        var outputDirectory = "data/"

        @Option(name: .customLong("max-block-duration"), help: "Maximum duration of a created block.")
        var maxBlockDuration = "2h"

        func run() throws {
            guard let duration = PrometheusDuration.parseMilliseconds(maxBlockDuration), duration >= 60_000 else {
                throw ValidationError("invalid --max-block-duration \"\(maxBlockDuration)\"")
            }
            let report = try OpenMetricsImport.run(file: file, into: outputDirectory, blockDuration: duration)
            print("BLOCK ULID                  MIN TIME       MAX TIME       NUM SAMPLES  NUM SERIES")
            for b in report.blocks {
                print("\(b.ulid)  \(b.minTime)  \(b.maxTime)  \(b.stats.numSamples)  \(b.stats.numSeries)")
            }
            print("imported \(report.samples) samples of \(report.series) series into \(report.blocks.count) blocks in \(outputDirectory)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the blocks of a data directory.")

        @Argument(help: "Data directory.")
        var directory = "data/"

        func run() throws {
            print("BLOCK ULID                  MIN TIME       MAX TIME       NUM SAMPLES  NUM CHUNKS  NUM SERIES  LEVEL")
            for name in try FileSystem.list(directory) where ULID(name) != nil {
                let m = try BlockMeta.read(directory: directory + "/" + name)
                print("\(m.ulid)  \(m.minTime)  \(m.maxTime)  \(m.stats.numSamples)  \(m.stats.numChunks)  \(m.stats.numSeries)  \(m.level)")
            }
        }
    }
}
