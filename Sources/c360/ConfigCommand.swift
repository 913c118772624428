import ArgumentParser
import C360Config
import C360Core
import Foundation
import NIOCore
import C360Service
import C360Store

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with c360's configuration file.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a configuration file without starting anything.",
            discussion: """
                Reads FILE as `serve` and the data commands would, environment variables that override
                its keys included (C360_SERVER_LISTEN for server.listen), and prints what it sets, or
                the first mistake with the key (and variable) at fault; exits 0 for a valid file, 1 otherwise.
                Example: c360 config check ops/c360.example.yaml
                """)

        @Argument(help: "The configuration file (YAML).") var file: String

        func run() throws {
            let settings: ConfigurationFile
            do throws(C360Error) {
                settings = try ConfigurationFile(contentsOf: file, environment: ProcessInfo.processInfo.environment)
            } catch {
                StandardError.write("config check: \(error.message)")
                throw ExitCode(1)
            }
            let store = settings.store
            print("\(file): valid")
            for (key, variable) in settings.fromEnvironment.sorted(by: { $0.key < $1.key }) {
                print("  \(key): set by $\(variable)")
            }
            let server = settings.server
            print("  data directory: \(settings.dataDirectory ?? DataDirectoryOptions.defaultData)")
            print("  listen: \(server.listen); metrics: \(server.metricsListen); console: \(server.consoleListen); logs: \(server.logFormat) from \(server.logLevel); event loops: \(server.eventLoopCount(cores: System.coreCount))\(server.eventLoops == nil ? " (one fewer than the cores)" : "")")
            print("  rocksdb: block cache \(store.storage.blockCacheBytes >> 20) MiB, compression \(store.storage.compression.rawValue), WAL sync \(store.walSync.rawValue)")
            if store.storage.compression != .none {
                print("  warning: with compression an erasure's search of the files cannot see compressed bytes, so its receipt proves less (the data is still removed)")
            }
            print("  segments: \(store.segments.isEmpty ? "none" : store.segments.map(\.name).joined(separator: ", "))")
            print("  tls: \(settings.security.tls.map { $0.clientCertificateAuthorities == nil ? "on" : "on, mutual" } ?? "off")")
            print("  access tokens: \(settings.security.tokens.isEmpty ? "none (access control off)" : settings.security.tokens.map(\.name).sorted().joined(separator: ", "))")
            print("  audit log: \(store.auditLogPath ?? "audit.jsonl in the data directory")")
            print("  disk reserve: \(store.reservedDiskBytes >> 20) MiB")
        }
    }
}
