import ArgumentParser
import C360API
import C360Core
import C360Store
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the data directory into a backup set.",
        discussion: """
            DEST is a backup set: a directory holding backups (one subdirectory each) and the
            ledger of erasures, erasures.jsonl. Every erasure made after a backup is recorded in
            the ledger of each set the data directory was backed up into, and `c360 restore`
            applies them, so an erased customer never comes back from a backup.
            With --server, the running server writes the backup (DEST is then a path on the
            server, inside its --backup-root); otherwise the data directory must not be in use.
            Examples: c360 backup /backups/c360 --data /var/lib/c360
                      c360 backup /var/backups/c360 --server 127.0.0.1:50051
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Argument(help: "The backup set directory (created if missing).") var destination: String
    @Option(help: ArgumentHelp("Ask a running server to write the backup (with the access token in $C360_TOKEN, if the server asks for one).", valueName: "host:port")) var server: String?

    func run() async throws {
        if let server {
            let absolute = URL(fileURLWithPath: destination).standardizedFileURL.path
            let manifest = try await RemoteStore.withConnection(to: server, token: ProcessInfo.processInfo.environment[RemoteStore.tokenVariable]) {
                try await $0.backup(into: absolute)
            }
            print(try JSONOutput.pretty(manifest))
            return
        }
        let store = try dataDirectory.openStore()
        defer { store.close() }
        let manifest = try await store.backup(into: destination)
        print("backup \(destination)/\(manifest.name): seq \(manifest.seq), \(manifest.events) events")
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new data directory, applying every erasure recorded since.",
        discussion: """
            SRC is one backup inside a backup set (a directory `c360 backup` wrote). The data
            directory (--data) must not exist or be empty. Every erasure in the set's ledger is
            applied before the command returns, so no customer erased after the backup comes
            back; a set without its ledger is refused.
            Example: c360 restore /backups/c360/backup-20261123T101500Z-seq4211 --data /var/lib/c360
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Argument(help: "The backup to restore.") var source: String

    func run() async throws {
        let progress = ProgressReporter(label: "restore")
        let report = try await EventStore.restore(backup: source, into: dataDirectory.data, configuration: try dataDirectory.storeConfiguration()) {
            progress.update(fraction: $0, $1)
        }
        progress.finish()
        print("restored \(report.manifest.name) (seq \(report.manifest.seq), \(report.manifest.events) events) into \(dataDirectory.data); "
            + "erasures applied from the ledger: \(report.erasuresApplied), already in the backup: \(report.erasuresAlreadyInBackup)")
    }
}
