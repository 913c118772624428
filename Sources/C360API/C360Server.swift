import C360Core
import C360Service
import C360Store
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import ServiceLifecycle

/// The c360 gRPC server: the profile and health services on HTTP/2 (plaintext or TLS), run as a
/// `Service` so that a `ServiceGroup` shuts it down gracefully on SIGTERM or SIGINT — calls in
/// flight finish, new ones are refused, and health turns to `NOT_SERVING` first.
///
/// ```swift
/// let server = C360Server(store: store, host: "127.0.0.1", port: 50051)
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public final class C360Server: Service, Sendable {
    public let host: String
    public let port: Int
    public let status = ServingStatus()
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let transport: HTTP2ServerTransport.Posix
    private let store: EventStore
    private let logger: Logger

    /// - Throws: `.invalidArgument` if two tokens share a name or a secret.
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
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: port),
            transportSecurity: Self.transportSecurity(security.tls),
            config: .defaults { config in
                // The transport resets a stream whose message exceeds its limit without a status,
                // so it is set well above the API's own limit, which answers RESOURCE_EXHAUSTED.
                config.rpc.maxRequestPayloadSize = max(limits.maxRequestBytes * 4, 16 << 20)
                config.http2.maxConcurrentStreams = limits.maxConcurrentStreams
                // Flush coalescing holds each response up to 100 µs for company; a lookup answered in
                // tens of microseconds waited longer for it than for its own work.
                config.connection.flushCoalescing = nil
                // Lookups are answered by c360's own handler, first in each stream's pipeline
                // (see UnaryFastPath); every other call goes on to grpc-swift's handlers.
                config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(UnaryFastPath(service: service), position: .first)
                    }
                }
            })
        self.transport = transport
        self.server = GRPCServer(
            transport: transport,
            services: [service, HealthRPCService(status: status), try ReflectionService()],
            interceptors: [AccessInterceptor(access: access)])
    }

    private static func transportSecurity(_ files: ServerSecurity.TLSFiles?) -> HTTP2ServerTransport.Posix.TransportSecurity {
        guard let files else { return .plaintext }
        let chain: [TLSConfig.CertificateSource] = [.file(path: files.certificateChain, format: .pem)]
        let key = TLSConfig.PrivateKeySource.file(path: files.privateKey, format: .pem)
        guard let authorities = files.clientCertificateAuthorities else {
            return .tls(certificateChain: chain, privateKey: key)
        }
        return .mTLS(certificateChain: chain, privateKey: key) { config in
            config.trustRoots = .certificates([.file(path: authorities, format: .pem)])
            config.clientCertificateVerification = .noHostnameVerification
        }
    }

    /// The port the server listens on, once it does (useful with port 0).
    public var listeningPort: Int? {
        get async {
            guard let address = try? await transport.listeningAddress else { return nil }
            return address.ipv4?.port ?? address.ipv6?.port
        }
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            self.logger.info("shutting down: finishing calls in flight")
            self.status.stopServing()
            // Change streams never end by themselves: end them so the calls can finish.
            self.store.changes.finishAll()
            self.server.beginGracefulShutdown()
        }
    }
}
