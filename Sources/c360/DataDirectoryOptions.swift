import ArgumentParser
import C360Config
import C360Store
import Foundation

/// The options every data command shares. Each setting is taken from, in order of precedence:
/// the command line, the environment (`C360_DATA_DIRECTORY`, `C360_CONFIG` and the variables
/// `ConfigurationFile.environmentVariable(for:)` names), the configuration file, the default.
struct DataDirectoryOptions: ParsableArguments {
    static let defaultData = "./c360-data"

    @Option(name: .customLong("data"), help: ArgumentHelp(
        "The data directory (default: $C360_DATA_DIRECTORY, the configuration's data_directory, or \(defaultData)).", valueName: "dir"))
    var dataOption: String?

    @Option(name: .customLong("config"), help: ArgumentHelp(
        "A configuration file (YAML; see ops/c360.example.yaml); default $C360_CONFIG. Environment variables named after its keys override it (C360_SERVER_LISTEN for server.listen), and options override both.",
        valueName: "file"))
    var configOption: String?

    /// The configuration file named, if any.
    var config: String? {
        configOption ?? ProcessInfo.processInfo.environment["C360_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The settings: the configuration file's (or the defaults) with the environment's overrides.
    func configurationFile() throws -> ConfigurationFile {
        let environment = ProcessInfo.processInfo.environment
        guard let config else { return try ConfigurationFile(environment: environment) }
        return try ConfigurationFile(contentsOf: config, environment: environment)
    }

    /// The data directory: the option's, or the configuration's (environment included), or the default.
    func data(in settings: ConfigurationFile) -> String {
        dataOption ?? settings.dataDirectory ?? Self.defaultData
    }

    /// Opens the store of `data(in:)` with the settings' store configuration; `settings` default
    /// to `configurationFile()`. Only commands that load data create a missing directory; the others
    /// say it is missing rather than leave an empty one behind. Callers close it
    /// (`defer { store.close() }`) before the process exits: RocksDB must not be closed by a late
    /// release racing the exit. The store's `directory` is the data directory it opened.
    func openStore(creatingIfMissing: Bool = false, settings: ConfigurationFile? = nil) throws -> EventStore {
        let settings = try settings ?? configurationFile()
        let data = data(in: settings)
        if !creatingIfMissing, !FileManager.default.fileExists(atPath: data + "/CURRENT") {
            throw ValidationError("there is no c360 data directory at \(data); load events into it with `c360 ingest FILE --data \(data)`")
        }
        return try EventStore(directory: data, configuration: settings.store)
    }
}
