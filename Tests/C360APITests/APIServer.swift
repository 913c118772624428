import C360API
import C360Model
import C360Service
import C360Store
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// A real c360 server on 127.0.0.1 (a free port) over a store in a temporary directory, and a
/// grpc-swift-2 client connected to it.
func withAPIServer(
    limits: APILimits = .init(),
    configuration: StoreConfiguration = .init(),
    security: ServerSecurity = .init(),
    backupRoot: String? = nil,
    _ body: (C360_V1_ProfileService.Client<HTTP2ClientTransport.Posix>, Grpc_Health_V1_Health.Client<HTTP2ClientTransport.Posix>, EventStore) async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("c360-api-tests-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try EventStore(directory: directory, configuration: configuration)
    // Closed here, once the server has stopped, rather than by the last release: the server's
    // connections let go of the store on NIO's threads some milliseconds after it stops, and a
    // test process that exits with a RocksDB database still open can crash in RocksDB's static
    // destructors (the likely cause of the SIGSEGV that ended one CI run of AccessControlTests).
    defer { store.close() }
    let server = try C360Server(store: store, host: "127.0.0.1", port: 0, limits: limits, security: security, backupRoot: backupRoot)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        guard let port = await server.listeningPort else { throw RPCError(code: .unavailable, message: "the server did not start") }
        try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        ) { client in
            try await body(C360_V1_ProfileService.Client(wrapping: client), Grpc_Health_V1_Health.Client(wrapping: client), store)
        }
        group.cancelAll()
    }
}
