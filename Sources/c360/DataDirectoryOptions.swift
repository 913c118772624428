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

    /// The store's settings: the configuration file's, or the defaults.
    func storeConfiguration() throws -> StoreConfiguration {
        guard let config else { return StoreConfiguration() }
        return try ConfigurationFile(contentsOf: config).store
    }

    /// Opens the store. Only commands that load data create a missing directory; the others say
    /// it is missing rather than leave an empty one behind. Callers close it (`defer { store.close() }`)
    /// before the process exits: RocksDB must not be closed by a late release racing the exit.
    func openStore(creatingIfMissing: Bool = false) throws -> EventStore {
        if !creatingIfMissing, !FileManager.default.fileExists(atPath: data + "/CURRENT") {
            throw ValidationError("there is no c360 data directory at \(data); load events into it with `c360 ingest FILE --data \(data)`")
        }
        return try EventStore(directory: data, configuration: try storeConfiguration())
    }
}
