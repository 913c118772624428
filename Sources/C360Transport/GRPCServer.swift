import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
public import NIOSSL

/// A listening gRPC server on SwiftNIO sockets and libnghttp2: one `GRPCConnectionHandler` per
/// connection, serving `routes`, over plaintext HTTP/2 or TLS (ALPN `h2`).
///
/// ```swift
/// let server = try await GRPCServer.bind(host: "127.0.0.1", port: 0, routes: { routes })
/// server.beginGracefulShutdown(within: .seconds(10))
/// try await server.serve()   // returns once every connection has closed
/// ```
public final class GRPCServer: Sendable {
    private let channel: any Channel
    private let connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>
    private let allClosed: EventLoopPromise<Void>
    private let shutdownStarted = NIOLockedValueBox(false)

    /// The port the server listens on (useful after binding port 0).
    public var port: Int? { channel.localAddress?.port }

    private init(channel: any Channel, connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>) {
        self.channel = channel
        self.connections = connections
        self.allClosed = channel.eventLoop.makePromise()
    }

    /// TLS for a server: its certificate chain and key (PEM files) and, for mutual TLS, the
    /// certificate authorities a client's certificate must be signed by.
    public static func tlsContext(certificateChain: String, privateKey: String, clientCertificateAuthorities: String?) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateChain).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKey, format: .pem)))
        configuration.applicationProtocols = ["h2"]
        if let clientCertificateAuthorities {
            configuration.trustRoots = .file(clientCertificateAuthorities)
            configuration.certificateVerification = .noHostnameVerification
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Listens on `host:port` (0 picks a free port).
    public static func bind(
        host: String, port: Int, tls: NIOSSLContext? = nil, routes: @escaping @Sendable () -> GRPCRoutes,
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
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandler(GRPCConnectionHandler(routes: routes(), configuration: configuration))
                }
            }
            .bind(host: host, port: port)
            .get()
        return GRPCServer(channel: channel, connections: connections)
    }

    /// Serves until the server is shut down and its last connection has closed.
    public func serve() async throws {
        try? await channel.closeFuture.get()
        // The listener may also have closed by itself (an error): the connections end as in a
        // shutdown then, not left open with nobody waiting for them.
        beginGracefulShutdown(within: .seconds(10))
        try await allClosed.futureResult.get()
    }

    /// Stops accepting and closes every connection now, calls in flight included.
    public func close() {
        beginGracefulShutdown(within: .zero)
        for connection in connections.withLockedValue({ Array($0.values) }) { connection.close(promise: nil) }
    }

    /// Stops accepting, lets each connection's calls in flight finish (then GOAWAY), and closes
    /// what is still open after `limit`.
    public func beginGracefulShutdown(within limit: TimeAmount) {
        let first = shutdownStarted.withLockedValue { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        let allClosed = self.allClosed
        let connections = self.connections
        channel.close().whenComplete { _ in
            let open = connections.withLockedValue { Array($0.values) }
            for connection in open {
                connection.pipeline.fireUserInboundEventTriggered(GRPCConnectionHandler.GracefulShutdown())
                let forced = connection.eventLoop.scheduleTask(in: limit) { connection.close(promise: nil) }
                connection.closeFuture.whenComplete { _ in forced.cancel() }
            }
            let eventLoop = allClosed.futureResult.eventLoop
            EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: eventLoop).cascade(to: allClosed)
        }
    }
}
