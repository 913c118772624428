public import C360Core
public import C360Service
public import C360Store
import C360Transport
public import Logging
public import NIOCore
import NIOPosix
import NIOSSL
public import ServiceLifecycle
import C360HTTP2

/// The c360 gRPC server: the profile, health and reflection services on c360's transport
/// (SwiftNIO sockets, libnghttp2, one dispatch table), plaintext or TLS, run as a `Service` so
/// that a `ServiceGroup` shuts it down gracefully on SIGTERM or SIGINT — health turns to
/// `NOT_SERVING`, new calls are refused, calls in flight finish (change streams are ended), then
/// each connection gets its GOAWAY.
///
/// ```swift
/// let server = try C360Server(store: store, host: "127.0.0.1", port: 50051)
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public final class C360Server: Service, Sendable {
    public let host: String
    public let port: Int
    public let status = ServingStatus()
    /// How long calls in flight may take to finish once shutdown begins.
    public static let shutdownGrace = TimeAmount.seconds(10)

    /// The one implementation of every RPC, with this server's access control: the console
    /// serves its pages through it too.
    public let service: ProfileRPCService
    private let routes: @Sendable () -> GRPCRoutes
    private let tls: NIOSSLContext?
    private let configuration: GRPCConnectionHandler.Configuration
    private let bound: EventLoopPromise<Int>
    private let store: EventStore
    private let logger: Logger

    /// - Throws: `.invalidArgument` if two tokens share a name or a secret, or the TLS files cannot be read.
    public init(
        store: EventStore, host: String, port: Int, limits: APILimits = .init(), security: ServerSecurity = .init(),
        backupRoot: String? = nil, logger: Logger = Logger(label: "c360.server")
    ) throws(C360Error) {
        self.host = host
        self.port = port
        self.store = store
        self.logger = logger
        let access = try AccessControl(tokens: security.tokens, audit: store.audit)
        let service = ProfileRPCService(store: store, limits: limits, access: access, backupRoot: backupRoot, logger: logger)
        self.service = service
        let health = HealthRPCService(status: status)
        let reflection = try ReflectionService()
        self.routes = { C360Routes.make(service: service, health: health, reflection: reflection) }
        var configuration = GRPCConnectionHandler.Configuration()
        configuration.maximumRequestMessageBytes = limits.maxRequestBytes
        configuration.session.maxConcurrentStreams = UInt32(clamping: limits.maxConcurrentStreams)
        self.configuration = configuration
        if let files = security.tls {
            do {
                tls = try GRPCServer.tlsContext(
                    certificateChain: files.certificateChain, privateKey: files.privateKey,
                    clientCertificateAuthorities: files.clientCertificateAuthorities)
            } catch {
                throw C360Error(.invalidArgument, "the TLS certificate, key or certificate authorities cannot be used: \(error)")
            }
        } else {
            tls = nil
        }
        self.bound = MultiThreadedEventLoopGroup.singleton.any().makePromise()
    }

    /// The port the server listens on, once it does (useful with port 0); nil if it could not listen.
    public var listeningPort: Int? {
        get async { try? await bound.futureResult.get() }
    }

    public func run() async throws {
        let server: GRPCServer
        do {
            server = try await GRPCServer.bind(host: host, port: port, tls: tls, routes: routes, configuration: configuration)
        } catch {
            bound.fail(error)
            throw C360Error(.unavailable, "cannot listen on \(host):\(port): \(error)")
        }
        bound.succeed(server.port ?? port)
        try await withGracefulShutdownHandler {
            // Cancelled (outside a service group, or the group gave up): stop at once.
            try await withTaskCancellationHandler {
                try await server.serve()
            } onCancel: {
                server.close()
            }
        } onGracefulShutdown: {
            self.logger.info("shutting down: finishing calls in flight")
            self.status.stopServing()
            // Change streams never end by themselves: end them so the calls can finish.
            self.store.changes.finishAll()
            server.beginGracefulShutdown(within: Self.shutdownGrace)
        }
    }
}
