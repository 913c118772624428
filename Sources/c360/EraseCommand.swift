import ArgumentParser
import C360API
import C360Model
import Foundation
import C360Store

struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a customer (GDPR right to erasure) and print the receipt.",
        discussion: """
            Deletes the customer's events, identities and profile from every file under the data
            directory, leaves a tombstone holding only a keyed hash of the customer id, refuses new
            events for the id, and searches every file to prove the customer's data is gone.
            Exits with status 1 if that search still finds it.
            Example: c360 erase cust_42 --request-id DSR-2026-0117
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Argument(help: "The customer id.") var id: String
    @Option(help: "The erasure request's reference, kept in the tombstone.") var requestID: String
    @Option(help: ArgumentHelp("Ask a running server instead of opening the data directory (with the access token in $C360_TOKEN, if the server asks for one).", valueName: "host:port")) var server: String?

    func run() async throws {
        let receipt: C360_V1_EraseReceipt
        let place: String
        if let server {
            place = "the data directory of \(server)"
            receipt = try await RemoteStore.withConnection(to: server, token: ProcessInfo.processInfo.environment[RemoteStore.tokenVariable]) { try await $0.erase(customerID: id, requestID: requestID) }
        } else {
            let store = try dataDirectory.openStore()
            defer { store.close() }
            place = store.directory
            receipt = try await store.erase(customerID: id, requestID: requestID)
        }
        print(try JSONOutput.pretty(receipt))
        if receipt.filesWithPersonalData > 0 {
            StandardError.write("erase: \(receipt.filesWithPersonalData) files under \(place) still hold the customer's data")
            throw ExitCode(1)
        }
    }
}
