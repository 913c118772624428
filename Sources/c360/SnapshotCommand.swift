import ArgumentParser
import C360Model
import C360Store

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Write a snapshot of all projections at the current log position.",
        discussion: "A later `c360 replay --from-snapshot` starts from it. Example: c360 snapshot")

    @OptionGroup var dataDirectory: DataDirectoryOptions

    func run() async throws {
        let store = try dataDirectory.openStore()
        defer { store.closeLettingCompactionsFinish(after: "snapshot") }
        let info = try await store.takeSnapshot()
        print("snapshot at seq \(info.seq): \(info.projections) projections")
    }
}
