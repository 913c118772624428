import ArgumentParser
import C360Store
import Foundation

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print counts and the size on disk of a data directory.",
        discussion: "Example: c360 stats --data ./c360-data")

    @OptionGroup var dataDirectory: DataDirectoryOptions

    func run() throws {
        let store = try dataDirectory.openStore()
        defer { store.close() }
        let statistics = try store.statistics()
        print("events:             \(statistics.events)")
        print("customers:          \(statistics.customers)")
        print("anonymous visitors: \(statistics.anonymousVisitors)")
        print("erased customers:   \(statistics.erasedCustomers)")
        print("log position:       \(statistics.lastSeq)")
        print("snapshot at:        \(statistics.snapshotSeq.map(String.init) ?? "none")")
        print("size on disk:       \(statistics.bytesOnDisk) bytes (\(String(format: "%.1f", Double(statistics.bytesOnDisk) / 1_048_576)) MiB)")
    }
}
