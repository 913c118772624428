import ArgumentParser
import C360API
import C360Model
import Foundation
import C360Store

struct TimelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Print a customer's events, newest first, one JSON object per line.",
        discussion: "Example: c360 timeline cust_42 --limit 20")

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Argument(help: "The customer id.") var id: String
    @Option(help: "Most events to print.") var limit = 50
    @Option(help: "Only events before this log position (to page back).") var before: UInt64?
    @Option(help: ArgumentHelp("Ask a running server instead of opening the data directory (with the access token in $C360_TOKEN, if the server asks for one).", valueName: "host:port")) var server: String?

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let events: [C360_V1_LoggedEvent]
        if let server {
            events = try await RemoteStore.withConnection(to: server, token: ProcessInfo.processInfo.environment[RemoteStore.tokenVariable]) { try await $0.timeline(customerID: id, limit: limit, beforeSeq: before) }
        } else {
            let store = try dataDirectory.openStore()
            defer { store.close() }
            events = try store.timeline(customerID: id, limit: limit, beforeSeq: before)
        }
        for event in events {
            print(try JSONOutput.line(event))
        }
    }
}
