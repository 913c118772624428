import ArgumentParser

/// `c360`: the customer-360 profile service and its operator commands.
@main
struct C360Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "c360",
        abstract: "An event-sourced customer-360 profile service.",
        discussion: """
            Events are appended once to a log in RocksDB and folded into one profile per customer.
            Commands work directly on the data directory (--data, default ./c360-data), or with
            --server HOST:PORT (get, timeline, ingest, erase) on a running `c360 serve`.
            """,
        subcommands: [
            GenerateCommand.self, IngestCommand.self, GetCommand.self, TimelineCommand.self,
            ReplayCommand.self, SnapshotCommand.self, EraseCommand.self, StatsCommand.self, ServeCommand.self,
            ValidateCommand.self, SegmentCommand.self, TokenCommand.self, ConfigCommand.self, BenchCommand.self,
            BackupCommand.self, RestoreCommand.self, MappingCommand.self, SourceCommand.self,
        ]
    )
}
