import ArgumentParser
import C360Config
import C360Store
import Foundation

/// The option every data command shares.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory.", valueName: "dir"))
    var data = "./c360-data"

    @Option(name: .long, help: ArgumentHelp("A configuration file (YAML; see ops/c360.example.yaml): thresholds, identity caps, segments.", valueName: "file"))
    var config: String?

    /// The configuration file's settings, or the defaults.
    func configurationFile() throws -> ConfigurationFile {
        guard let config else { return ConfigurationFile() }
        return try ConfigurationFile(contentsOf: config)
    }

    /// The store's settings: the configuration file's, or the defaults.
    func storeConfiguration() throws -> StoreConfiguration {
        try configurationFile().store
    }

    /// Opens the store. Only commands that load data create a missing directory; the others say
    /// it is missing rather than leave an empty one behind. Callers close it (`defer { store.close() }`)
    /// before the process exits: RocksDB must not be closed by a late release racing the exit.
    func openStore(creatingIfMissing: Bool = false, configuration: StoreConfiguration? = nil) throws -> EventStore {
        if !creatingIfMissing, !FileManager.default.fileExists(atPath: data + "/CURRENT") {
            throw ValidationError("there is no c360 data directory at \(data); load events into it with `c360 ingest FILE --data \(data)`")
        }
        return try EventStore(directory: data, configuration: try configuration ?? storeConfiguration())
    }
}
