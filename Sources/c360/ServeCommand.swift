import ArgumentParser
import C360API
import C360Service
import C360Store
import Foundation
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the gRPC API (c360.v1.ProfileService and grpc.health.v1.Health) over HTTP/2.",
        discussion: """
            Listens on 127.0.0.1 unless told otherwise. SIGTERM or SIGINT shuts down gracefully: health
            turns NOT_SERVING, calls in flight finish, and the data directory is closed cleanly.
            TLS (and mutual TLS) from the configuration file's `tls` section or the --tls-* options;
            bearer tokens with scopes from its `access` section (see `c360 token create`). Without
            tokens every call is allowed, so a server listening beyond loopback then needs
            --allow-unauthenticated. Erasures and refused calls go to the audit log.
            Example: c360 serve --data ./c360-data --listen 127.0.0.1:50051
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: ArgumentHelp("Address to listen on; port 0 picks a free port.", valueName: "host:port")) var listen = "127.0.0.1:50051"
    @Option(help: "Largest request message in bytes.") var maxRequestBytes = APILimits().maxRequestBytes
    @Option(help: "Most events per AppendEvents request or stream message.") var maxEventsPerAppend = APILimits().maxEventsPerAppend
    @Option(help: "Most ids per BatchGetProfiles request.") var maxBatchLookups = APILimits().maxBatchLookups
    @Option(help: "Concurrent HTTP/2 streams per connection.") var maxConcurrentStreams = APILimits().maxConcurrentStreams
    @Option(help: ArgumentHelp("The server's TLS certificate chain (PEM); with --tls-private-key, serves TLS.", valueName: "file"))
    var tlsCertificateChain: String?
    @Option(help: ArgumentHelp("The TLS private key (PEM).", valueName: "file")) var tlsPrivateKey: String?
    @Option(help: ArgumentHelp("Certificate authorities (PEM) client certificates must chain to: mutual TLS.", valueName: "file"))
    var tlsClientCA: String?
    @Flag(help: "Serve without access tokens on an address other than loopback (anyone who reaches the port can read, write and erase).")
    var allowUnauthenticated = false

    func validate() throws {
        _ = try ListenAddress.parse(listen)
        if (tlsCertificateChain == nil) != (tlsPrivateKey == nil) {
            throw ValidationError("--tls-certificate-chain and --tls-private-key go together")
        }
        if tlsClientCA != nil, tlsCertificateChain == nil {
            throw ValidationError("--tls-client-ca needs --tls-certificate-chain and --tls-private-key")
        }
        for (name, value) in [("--max-request-bytes", maxRequestBytes), ("--max-events-per-append", maxEventsPerAppend),
                              ("--max-batch-lookups", maxBatchLookups), ("--max-concurrent-streams", maxConcurrentStreams)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "c360")
        let (host, port) = try ListenAddress.parse(listen)
        var limits = APILimits()
        limits.maxRequestBytes = maxRequestBytes
        limits.maxEventsPerAppend = maxEventsPerAppend
        limits.maxBatchLookups = maxBatchLookups
        limits.maxConcurrentStreams = maxConcurrentStreams
        let settings = try dataDirectory.configurationFile()
        var security = settings.security
        if let tlsCertificateChain, let tlsPrivateKey {
            security.tls = .init(certificateChain: tlsCertificateChain, privateKey: tlsPrivateKey, clientCertificateAuthorities: tlsClientCA)
        }
        if security.tokens.isEmpty {
            guard Self.isLoopback(host) || allowUnauthenticated else {
                throw ValidationError("""
                    refusing to serve \(host) without access tokens: anyone reaching the port could read, \
                    change and erase customers. Add tokens to the configuration (`c360 token create`), or pass \
                    --allow-unauthenticated
                    """)
            }
            logger.warning("access control is off: no access tokens are configured")
        }
        let store = try dataDirectory.openStore(creatingIfMissing: true, configuration: settings.store)
        defer { store.close() }
        let server = try C360Server(store: store, host: host, port: port, limits: limits, security: security, logger: logger)
        let segmentClock = SegmentClock(store: store, logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: server), .init(service: segmentClock, successTerminationBehavior: .ignore)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Calls still running this long after SIGTERM are cancelled, so a stop never hangs.
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                if let bound = await server.listeningPort {
                    // Written unbuffered: scripts and tests read this line through a pipe to learn the port.
                    FileHandle.standardOutput.write(Data("c360 serving \(dataDirectory.data) on \(host):\(bound)\n".utf8))
                }
            }
            try await tasks.waitForAll()
        }
        logger.info("stopped; closing the data directory")
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
