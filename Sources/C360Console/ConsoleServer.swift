public import C360Service
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
public import ServiceLifecycle

/// The customer console on an HTTP port of its own: the pages support agents use and the JSON
/// read API under `/api/v1/`, over the same `ProfileRPCService` (and so the same access control,
/// redaction, metrics and audit log) as the gRPC API.
public struct ConsoleServer: Service {
    public let host: String
    public let port: Int
    private let service: ProfileRPCService
    private let tls: ServerSecurity.TLSFiles?
    private let logger: Logger
    private let bound = NIOLockedValueBox<Int?>(nil)
    public let sessions: ConsoleSessions

    public init(service: ProfileRPCService, host: String, port: Int, tls: ServerSecurity.TLSFiles?, logger: Logger) {
        self.service = service
        self.host = host
        self.port = port
        self.tls = tls
        self.logger = logger
        self.sessions = ConsoleSessions()
    }

    /// The port it listens on once running (useful with port 0); `nil` if it did not start.
    public var listeningPort: Int? {
        get async {
            for _ in 0..<500 {
                if let port = bound.withLockedValue({ $0 }) { return port }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return nil
        }
    }

    public var scheme: String { tls == nil ? "http" : "https" }

    public func run() async throws {
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: SessionMiddleware(sessions: sessions, access: service.access, secureCookies: tls != nil))
        ConsoleRoutes(service: service, sessions: sessions, secureCookies: tls != nil, logger: logger).register(on: router)
        let server: HTTPServerBuilder
        if let tls {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateChain).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)))
            if let authorities = tls.clientCertificateAuthorities {
                configuration.trustRoots = .file(authorities)
                configuration.certificateVerification = .noHostnameVerification
            }
            server = try .tls(.http1(), tlsConfiguration: configuration)
        } else {
            server = .http1()
        }
        let bound = self.bound
        let application = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in bound.withLockedValue { $0 = channel.localAddress?.port } },
            logger: logger)
        try await application.run()
    }
}
