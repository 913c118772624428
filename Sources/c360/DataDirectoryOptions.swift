import ArgumentParser
import C360Store

/// The option every data command shares.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory.", valueName: "dir"))
    var data = "./c360-data"

    func openStore() throws -> EventStore {
        try EventStore(directory: data)
    }
}
