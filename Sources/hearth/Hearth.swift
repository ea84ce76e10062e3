import ArgumentParser

@main
struct Hearth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hearth",
        abstract: "A Prometheus-compatible metrics system.",
        discussion: """
            Hearth stores metrics in its own TSDB (Prometheus's chunk and block formats) and \
            speaks Prometheus's protocols. Run `hearth server` for the all-in-one server on a \
            local data directory.
            """,
        version: "0.1.0",
        subcommands: [ServerCommand.self, AgentCommand.self, QueryCommand.self, TSDBCommand.self, CheckCommand.self, SLOCommand.self]
    )
}
