import ArgumentParser
import C360API
import C360Core
import Foundation
import C360Model
import C360Store

struct SegmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "List the members of a segment, one customer id per line.",
        discussion: """
            Segments are declared in the configuration file (--config; see ops/c360.example.yaml).
            Examples: c360 segment big_spender --config ops/c360.example.yaml
                      c360 segment vip_at_risk --server 127.0.0.1:50051
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Argument(help: "The segment's name.") var name: String
    @Option(help: "List at most this many members.") var limit: Int?
    @Option(help: ArgumentHelp("Ask a running server instead of opening the data directory (with the access token in $C360_TOKEN, if the server asks for one).", valueName: "host:port")) var server: String?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let wanted = limit ?? Int.max
        var printed = 0
        if let server {
            try await RemoteStore.withConnection(to: server, token: ProcessInfo.processInfo.environment[RemoteStore.tokenVariable]) { remote in
                var token = ""
                repeat {
                    let page = try await remote.segmentPage(name, pageSize: min(1_000, wanted - printed), pageToken: token)
                    for id in page.customerIds { print(id) }
                    printed += page.customerIds.count
                    token = page.nextPageToken
                } while !token.isEmpty && printed < wanted
            }
        } else {
            let store = try dataDirectory.openStore()
            defer { store.close() }
            var after: UInt64?
            repeat {
                let page = try store.segmentMembers(name, after: after, limit: min(1_000, wanted - printed))
                for id in page.customerIDs { print(id) }
                printed += page.customerIDs.count
                after = page.next
            } while after != nil && printed < wanted
        }
    }
}
