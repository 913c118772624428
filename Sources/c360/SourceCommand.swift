import ArgumentParser
import C360Config
import C360Core
import C360PostgresSource
import C360Store
import Foundation

struct SourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "The databases `c360 serve` follows (the configuration's sources).",
        subcommands: [Status.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report each configured source: its slot and publication in the database, how far behind it is, and the position c360 stored.",
            discussion: """
                Asks each source's database over an ordinary connection (its slot's confirmed position, the
                WAL it holds back, the tables its publication carries), and reads the position stored in the
                data directory when no server holds it (a running server shows its own figures as the
                c360_source_* metrics). Exits 1 when a source's database cannot be reached or its slot is
                missing after a start. Example: c360 source status --config c360.yaml
                """)

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "`text` or `json`.") var format: OutputFormat = .text

        enum OutputFormat: String, ExpressibleByArgument { case text, json }

        func run() throws {
            let settings = try dataDirectory.configurationFile()
            guard !settings.sources.isEmpty else {
                throw ValidationError("the configuration has no sources (a `sources:` list; see ops/c360.example.yaml)")
            }
            let stored = storedPositions(settings)
            var failed = false
            var reports: [[String: Any]] = []
            for source in settings.sources {
                var report: [String: Any] = [
                    "name": source.name, "tables": source.tables, "slot": source.slot, "publication": source.publication,
                ]
                switch stored {
                case .success(let positions): report["stored_lsn"] = positions[source.name].map { $0.description } ?? NSNull()
                case .failure(let unavailable): report["stored_lsn_unavailable"] = unavailable.reason
                }
                do throws(C360Error) {
                    let slot = try SlotStatus.read(source)
                    report["slot_exists"] = slot.slotExists
                    report["streaming"] = slot.active
                    report["confirmed_lsn"] = slot.confirmedLSN?.description ?? NSNull()
                    report["server_lsn"] = slot.serverLSN?.description ?? NSNull()
                    report["lag_bytes"] = slot.lagBytes.map { NSNumber(value: $0) } ?? NSNull()
                    report["retained_wal_bytes"] = slot.retainedBytes.map { NSNumber(value: $0) } ?? NSNull()
                    report["publication_exists"] = slot.publicationExists
                    report["published_tables"] = slot.publishedTables
                    if !slot.slotExists, case .success(let positions) = stored, positions[source.name] != nil { failed = true }
                } catch {
                    report["error"] = error.message
                    failed = true
                }
                reports.append(report)
            }
            switch format {
            case .json:
                let data = try JSONSerialization.data(withJSONObject: ["sources": reports], options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            case .text:
                for report in reports { print(Self.text(report)) }
            }
            if failed { throw ExitCode(1) }
        }

        /// The stored position of each source, when the data directory can be opened (a running
        /// server holds it, and reports its own).
        private func storedPositions(_ settings: ConfigurationFile) -> Result<[String: LSN], Unavailable> {
            let data = dataDirectory.data(in: settings)
            guard FileManager.default.fileExists(atPath: data + "/CURRENT") else { return .failure(Unavailable(reason: "no data directory at \(data)")) }
            do {
                let store = try EventStore(directory: data, configuration: settings.store)
                defer { store.close() }
                var positions: [String: LSN] = [:]
                for source in settings.sources {
                    if let bytes = try store.sourcePosition(source.name), bytes.count == 8 {
                        positions[source.name] = LSN(bytes.reduce(0) { $0 << 8 | UInt64($1) })
                    }
                }
                return .success(positions)
            } catch {
                // Everything above throws C360Error only.
                if error.code == .dataDirectoryLocked {
                    return .failure(Unavailable(reason: "the data directory is in use by a running c360 serve: see its c360_source_* metrics"))
                }
                return .failure(Unavailable(reason: "\(error)"))
            }
        }

        struct Unavailable: Error {
            var reason: String
        }

        static func text(_ report: [String: Any]) -> String {
            func value(_ key: String) -> String {
                guard let value = report[key], !(value is NSNull) else { return "—" }
                if let list = value as? [String] { return list.isEmpty ? "none" : list.joined(separator: ", ") }
                return "\(value)"
            }
            var lines = ["source \(value("name")): tables \(value("tables"))"]
            if let error = report["error"] as? String {
                lines.append("  database:        unreachable: \(error)")
            } else {
                lines.append("  slot:            \(value("slot")) (\(report["slot_exists"] as? Bool == true ? (report["streaming"] as? Bool == true ? "streaming" : "not streaming now") : "missing: created when c360 serve first starts the source"))")
                lines.append("  confirmed:       \(value("confirmed_lsn")) of \(value("server_lsn")) (\(value("lag_bytes")) bytes behind, \(value("retained_wal_bytes")) bytes of WAL held)")
                lines.append("  publication:     \(value("publication")) (\(report["publication_exists"] as? Bool == true ? "tables: \(value("published_tables"))" : "missing"))")
            }
            lines.append("  stored in c360:  \(report["stored_lsn_unavailable"] as? String ?? value("stored_lsn"))")
            return lines.joined(separator: "\n")
        }
    }
}
