import ArgumentParser
import C360API
import C360Core
import C360Store
import Foundation
import C360Config

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
        // RocksDB's checkpoint reports no progress: the bytes appearing in the backup set's new
        // directory (hard links at once on the same filesystem, copies across) are measured instead.
        let progress = ProgressReporter(label: "backup")
        let (source, set, started) = (store.directory, destination, Date())
        let watcher = Task {
            let total = max(1, Self.bytes(under: source))
            while !Task.isCancelled {
                let written = Self.bytes(under: set, modifiedSince: started)
                progress.update(fraction: Double(written) / Double(total), "\(written >> 20) of about \(total >> 20) MiB written")
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let outcome: Result<BackupManifest, C360Error>
        do {
            outcome = .success(try await store.backup(into: destination))
        } catch {
            outcome = .failure(error)
        }
        watcher.cancel()
        await watcher.value
        progress.finish()
        let manifest = try outcome.get()
        print("backup \(destination)/\(manifest.name): seq \(manifest.seq), \(manifest.events) events")
    }
}

extension BackupCommand {
    /// Bytes of the regular files under `directory`, only those in subdirectories changed since
    /// `since` if given (the backup being written, not the set's earlier ones).
    static func bytes(under directory: String, modifiedSince since: Date? = nil) -> UInt64 {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return 0 }
        var total: UInt64 = 0
        for name in names {
            let path = directory + "/" + name
            guard let attributes = try? manager.attributesOfItem(atPath: path) else { continue }
            if attributes[.type] as? FileAttributeType == .typeDirectory {
                if let since, (attributes[.modificationDate] as? Date).map({ $0 < since }) ?? true { continue }
                total += bytes(under: path)
            } else if since == nil {
                total += attributes[.size] as? UInt64 ?? 0
            }
        }
        return total
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
        let settings = try dataDirectory.configurationFile()
        let data = dataDirectory.data(in: settings)
        let progress = ProgressReporter(label: "restore")
        let report = try await EventStore.restore(backup: source, into: data, configuration: settings.store) {
            progress.update(fraction: $0, $1)
        }
        progress.finish()
        print("restored \(report.manifest.name) (seq \(report.manifest.seq), \(report.manifest.events) events) into \(data); "
            + "erasures applied from the ledger: \(report.erasuresApplied), already in the backup: \(report.erasuresAlreadyInBackup)")
    }
}
