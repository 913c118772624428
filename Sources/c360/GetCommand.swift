import ArgumentParser
import C360Core
import C360Model
import SwiftProtobuf

struct GetCommand: ParsableCommand {
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

    func run() throws {
        let time = try asOf.map(parseTime) ?? .now
        let store = try dataDirectory.openStore()
        let profile: C360_V1_Profile
        if let identity {
            guard let type = IdentityKey.type(named: identity) else {
                throw ValidationError("--identity must be email, phone, cookie_id, device_id or loyalty_id")
            }
            profile = try store.profile(identity: .init(type: type, value: id), asOf: time)
        } else {
            profile = try store.profile(customerID: id, asOf: time)
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
