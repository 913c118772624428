import ArgumentParser
import C360API
import C360Core
import C360Model
import Foundation
import SwiftProtobuf
import C360Store

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print a customer's profile as JSON.",
        discussion: """
            Examples: c360 get cust_42
                      c360 get olivia.smith.42@example.com --identity email
                      c360 get cust_42 --as-of 2026-12-31T00:00:00Z
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Argument(help: "The customer id, or the identity's value with --identity.") var id: String
    @Option(help: "Look up by an identity instead: email, phone, cookie_id, device_id or loyalty_id.") var identity: String?
    @Option(help: "Evaluate the profile as of this time (RFC 3339); default now.") var asOf: String?
    @Option(help: ArgumentHelp("Ask a running server instead of opening the data directory (with the access token in $C360_TOKEN, if the server asks for one).", valueName: "host:port")) var server: String?

    func run() async throws {
        let time = try asOf.map(parseTime) ?? .now
        var key: C360_V1_Identity?
        if let identity {
            guard let type = IdentityKey.type(named: identity) else {
                throw ValidationError("--identity must be email, phone, cookie_id, device_id or loyalty_id")
            }
            key = .init(type: type, value: id)
        }
        let profile: C360_V1_Profile
        if let server {
            profile = try await RemoteStore.withConnection(to: server, token: ProcessInfo.processInfo.environment[RemoteStore.tokenVariable]) { remote in
                if let key { return try await remote.profile(identity: key, asOf: time) }
                return try await remote.profile(customerID: id, asOf: time)
            }
        } else {
            let store = try dataDirectory.openStore()
            defer { store.close() }
            profile = C360_V1_Profile(try key.map { try store.profile(identity: $0, asOf: time) } ?? store.profile(customerID: id, asOf: time))
        }
        print(try JSONOutput.pretty(profile))
    }
}

/// Parses an RFC 3339 time such as 2026-11-22T10:00:00Z.
func parseTime(_ text: String) throws -> Instant {
    do {
        return Instant(try Google_Protobuf_Timestamp(jsonString: "\"\(text)\""))
    } catch {
        throw ValidationError("\(text) is not an RFC 3339 time such as 2026-11-22T10:00:00Z")
    }
}
