import ArgumentParser
import C360API
import C360Service
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make access tokens for the gRPC API.",
        subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Make a new random access token and print it with its configuration entry.",
            discussion: """
                The token is printed once and stored nowhere: give it to the caller, who sends it as
                `authorization: Bearer <token>`. The configuration keeps only its SHA-256, under
                `access.tokens`. Scopes: read (lookups without personal fields), read:pii (with them),
                write (appends), erase (erasures).
                Example: c360 token create --name support-desk --scope read --scope read:pii
                """)

        @Option(help: "A name for the audit log, unique among the tokens.") var name: String
        @Option(help: ArgumentHelp("A scope the token grants (repeatable): read, read:pii, write, erase, backup.", valueName: "scope"))
        var scope: [String]

        func validate() throws {
            guard !name.isEmpty, !name.contains(where: { $0.isNewline || $0 == "\"" }) else {
                throw ValidationError("--name must be one line of text without quotes")
            }
            guard !scope.isEmpty else { throw ValidationError("give at least one --scope") }
            for scope in scope where AccessScope(rawValue: scope) == nil {
                throw ValidationError("\(scope) is not a scope: use read, read:pii, write or erase")
            }
        }

        func run() throws {
            let scopes = Set(scope.compactMap(AccessScope.init(rawValue:)))
            let (secret, token) = AccessToken.generate(name: name, scopes: scopes)
            let digest = token.sha256.map { String(format: "%02x", $0) }.joined()
            print("""
                token: \(secret)

                # under access.tokens in the configuration file:
                  - name: "\(name)"
                    sha256: \(digest)
                    scopes: [\(scopes.sorted().map(\.rawValue).joined(separator: ", "))]
                """)
        }
    }
}
