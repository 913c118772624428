import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A listening gRPC server on SwiftNIO sockets and libnghttp2: one `GRPCConnectionHandler` per
/// connection, serving `routes`.
///
/// ```swift
/// let server = try await GRPCServer.bind(host: "127.0.0.1", port: 0, routes: routes)
/// try await server.shutDownGracefully(within: .seconds(10))
/// ```
public final class GRPCServer: Sendable {
    private let channel: any Channel
    private let connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>

    /// The port the server listens on (useful after binding port 0).
    public var port: Int? { channel.localAddress?.port }

    private init(channel: any Channel, connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>) {
        self.channel = channel
        self.connections = connections
    }

    /// Listens on `host:port` (0 picks a free port).
    public static func bind(
        host: String, port: Int, routes: @escaping @Sendable () -> GRPCRoutes,
        configuration: GRPCConnectionHandler.Configuration = .init(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> GRPCServer {
        let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in
                    _ = connections.withLockedValue { $0.removeValue(forKey: id) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(GRPCConnectionHandler(routes: routes(), configuration: configuration))
                }
            }
            .bind(host: host, port: port)
            .get()
        return GRPCServer(channel: channel, connections: connections)
    }

    /// Stops accepting, lets each connection's calls in flight finish (GOAWAY), and closes what is
    /// still open after `limit`.
    public func shutDownGracefully(within limit: TimeAmount) async {
        try? await channel.close()
        let open = connections.withLockedValue { Array($0.values) }
        for connection in open {
            connection.pipeline.fireUserInboundEventTriggered(GRPCConnectionHandler.GracefulShutdown())
        }
        let deadline = NIODeadline.now() + limit
        for connection in open {
            let remaining = deadline - .now()
            if remaining > .zero {
                let closed = connection.eventLoop.scheduleTask(in: remaining) { connection.close(promise: nil) }
                try? await connection.closeFuture.get()
                closed.cancel()
            } else {
                try? await connection.close()
            }
        }
    }

    /// Waits until the listening socket is closed.
    public func waitUntilClosed() async throws {
        try await channel.closeFuture.get()
    }
}
