public import ArgumentParser
import C360API
import C360Config
import C360Console
import C360Observability
import C360PostgresSource
import C360Service
import C360Store
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

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
    // Options without a default here: one not given falls back on the environment
    // (C360_SERVER_LISTEN, ...), then the configuration file, then the default shown.
    @Option(help: ArgumentHelp("Address to listen on; port 0 picks a free port (default 127.0.0.1:50051).", valueName: "host:port"))
    var listen: String?
    @Option(help: "Largest request message in bytes (default \(APILimits().maxRequestBytes)).") var maxRequestBytes: Int?
    @Option(help: "Most events per AppendEvents request or stream message (default \(APILimits().maxEventsPerAppend)).") var maxEventsPerAppend: Int?
    @Option(help: "Most ids per BatchGetProfiles request (default \(APILimits().maxBatchLookups)).") var maxBatchLookups: Int?
    @Option(help: "Concurrent HTTP/2 streams per connection (default \(APILimits().maxConcurrentStreams)).") var maxConcurrentStreams: Int?
    @Option(help: "Threads serving connections: gRPC, the console and metrics (default one fewer than the cores, at least one).") var eventLoops: Int?
    @Option(help: ArgumentHelp("The server's TLS certificate chain (PEM); with --tls-private-key, serves TLS.", valueName: "file"))
    var tlsCertificateChain: String?
    @Option(help: ArgumentHelp("The TLS private key (PEM).", valueName: "file")) var tlsPrivateKey: String?
    @Option(help: ArgumentHelp("Certificate authorities (PEM) client certificates must chain to: mutual TLS.", valueName: "file"))
    var tlsClientCA: String?
    @Option(help: "Log lines as `text` (for people) or `json` (one object per line, for log shippers); default text.") var logFormat: LogFormat?
    @Option(help: "The lowest level logged: trace, debug, info, notice, warning, error or critical (default info).") var logLevel: Logger.Level?
    @Option(help: ArgumentHelp("Where to serve metrics in Prometheus' text format (GET /metrics), or `off` (default 127.0.0.1:9464).", valueName: "host:port"))
    var metricsListen: String?
    @Option(help: ArgumentHelp("Where to serve the customer console (web pages and the JSON API under /api/v1/), or `off` (default 127.0.0.1:8360).", valueName: "host:port"))
    var consoleListen: String?
    @Option(help: ArgumentHelp("The directory CreateBackup (`c360 backup DEST --server`) may write backup sets in; without it, the server writes no backups.", valueName: "dir"))
    var backupRoot: String?
    @Flag(help: "Serve without access tokens on an address other than loopback (anyone who reaches the port can read, write and erase).")
    var allowUnauthenticated = false

    func validate() throws {
        if let listen { _ = try ListenAddress.parse(listen) }
        if let metricsListen, metricsListen != "off" { _ = try ListenAddress.parse(metricsListen) }
        if let consoleListen, consoleListen != "off" { _ = try ListenAddress.parse(consoleListen) }
        if (tlsCertificateChain == nil) != (tlsPrivateKey == nil) {
            throw ValidationError("--tls-certificate-chain and --tls-private-key go together")
        }
        if tlsClientCA != nil, tlsCertificateChain == nil {
            throw ValidationError("--tls-client-ca needs --tls-certificate-chain and --tls-private-key")
        }
        for (name, value) in [("--max-request-bytes", maxRequestBytes), ("--max-events-per-append", maxEventsPerAppend),
                              ("--max-batch-lookups", maxBatchLookups), ("--max-concurrent-streams", maxConcurrentStreams)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1") }
        }
        if let eventLoops, !(1...ServerSettings.maximumEventLoops).contains(eventLoops) {
            throw ValidationError("--event-loops must be between 1 and \(ServerSettings.maximumEventLoops)")
        }
    }

    /// The configuration (file and environment) with the options given on the command line over it.
    func settings() throws -> ConfigurationFile {
        var settings = try dataDirectory.configurationFile()
        var server = settings.server
        if let listen { server.listen = listen }
        if let metricsListen { server.metricsListen = metricsListen }
        if let consoleListen { server.consoleListen = consoleListen }
        if let logFormat { server.logFormat = logFormat }
        if let logLevel { server.logLevel = logLevel }
        if allowUnauthenticated { server.allowUnauthenticated = true }
        if let maxRequestBytes { server.limits.maxRequestBytes = maxRequestBytes }
        if let maxEventsPerAppend { server.limits.maxEventsPerAppend = maxEventsPerAppend }
        if let maxBatchLookups { server.limits.maxBatchLookups = maxBatchLookups }
        if let maxConcurrentStreams { server.limits.maxConcurrentStreams = maxConcurrentStreams }
        if let eventLoops { server.eventLoops = eventLoops }
        settings.server = server
        if let tlsCertificateChain, let tlsPrivateKey {
            settings.security.tls = .init(certificateChain: tlsCertificateChain, privateKey: tlsPrivateKey, clientCertificateAuthorities: tlsClientCA)
        }
        if let backupRoot { settings.backupRoot = backupRoot }
        return settings
    }

    func run() async throws {
        var settings = try self.settings()
        let server = settings.server
        // Before anything starts the process's event loops: the count is fixed at their start.
        NIOSingletons.groupLoopCountSuggestion = server.eventLoopCount(cores: System.coreCount)
        LoggingSystem.bootstrap({ label, metadataProvider in
            var handler: any LogHandler = switch server.logFormat {
            case .json: JSONLogHandler(label: label, metadataProvider: metadataProvider)
            case .text: StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
            }
            handler.logLevel = server.logLevel
            return handler
        }, metadataProvider: RequestID.metadataProvider)
        let logger = Logger(label: "c360")
        let decay = Allocator.returnFreedPages(afterMilliseconds: 1_000)
        logger.info("memory allocator", metadata: [
            "jemalloc": "\(Allocator.jemallocVersionIfInUse() ?? "not in use")",
            "dirty_decay_ms": "\(decay.map(String.init) ?? "as MALLOC_CONF or jemalloc decide")",
            "arenas": "\(Allocator.arenas.map(String.init) ?? "unknown")",
        ])
        // Before anything records a metric: one made earlier stays bound to the no-op backend.
        let metricsRegistry = server.metricsListen == "off" ? nil : MetricsEndpoint.bootstrapMetrics()
        let (host, port) = try ListenAddress.parse(server.listen)
        let security = settings.security
        if security.tokens.isEmpty {
            guard Self.isLoopback(host) || server.allowUnauthenticated else {
                throw ValidationError("""
                    refusing to serve \(host) without access tokens: anyone reaching the port could read, \
                    change and erase customers. Add tokens to the configuration (`c360 token create`), or pass \
                    --allow-unauthenticated
                    """)
            }
            if server.consoleListen != "off", !server.allowUnauthenticated {
                let consoleHost = try ListenAddress.parse(server.consoleListen).0
                guard Self.isLoopback(consoleHost) else {
                    throw ValidationError("""
                        refusing to serve the console on \(consoleHost) without access tokens: anyone reaching the port \
                        could read and erase customers. Add tokens to the configuration (`c360 token create`), keep the \
                        console on loopback, or pass --allow-unauthenticated
                        """)
                }
            }
            logger.warning("access control is off: no access tokens are configured")
        }
        settings.store.storage.collectStatistics = metricsRegistry != nil
        // Projections of another fold are rebuilt while the old ones serve (`ProjectionBuilder`).
        settings.store.projectionRebuild = .whileServing
        let store = try dataDirectory.openStore(creatingIfMissing: true, settings: settings)
        store.warmCaches()
        defer {
            // The projections and memtables are on disk before this wait begins, so a stop cut
            // short in it (systemd's TimeoutStopSec=30 in ops/systemd, a container's kill) only
            // cancels the compaction, as an immediate close would.
            let (settled, seconds) = store.close(waitingForCompactionsUpTo: Self.compactionWaitOnStop)
            if !settled {
                logger.notice("closed the data directory with a RocksDB compaction under way: the next start begins it again", metadata: [
                    "waited_seconds": "\(String(format: "%.1f", seconds))"])
            } else if seconds >= 0.1 {
                logger.info("closed the data directory after RocksDB's compactions finished", metadata: [
                    "waited_seconds": "\(String(format: "%.1f", seconds))"])
            }
        }
        if let recovery = store.recovery {
            logger.notice("recovered after an unclean stop: folded the log after the projections' checkpoint", metadata: [
                "from_seq": "\(recovery.fromSeq)", "through_seq": "\(recovery.throughSeq)", "events": "\(recovery.events)",
                "projections": "\(recovery.projections)", "seconds": "\(String(format: "%.3f", recovery.seconds))",
            ])
        }
        let grpcServer = try C360Server(
            store: store, host: host, port: port, limits: server.limits, security: security, backupRoot: settings.backupRoot, logger: logger)
        let segmentClock = SegmentClock(store: store, logger: logger)
        let metrics: MetricsEndpoint? = try metricsRegistry.map { registry in
            let (metricsHost, metricsPort) = try ListenAddress.parse(server.metricsListen)
            return MetricsEndpoint(registry: registry, store: store, host: metricsHost, port: metricsPort, logger: logger)
        }
        let console: ConsoleServer? = try server.consoleListen == "off" ? nil : {
            let (consoleHost, consolePort) = try ListenAddress.parse(server.consoleListen)
            return ConsoleServer(service: grpcServer.service, host: consoleHost, port: consolePort, tls: security.tls, logger: logger)
        }()
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: grpcServer), .init(service: segmentClock, successTerminationBehavior: .ignore),
                .init(service: ProjectionBuilder(store: store, logger: logger), successTerminationBehavior: .ignore),
            ] + settings.sources.map { source in
                .init(service: PostgresSourceService(settings: source, store: store, logger: logger), successTerminationBehavior: .ignore)
            }
                + (metrics.map { [.init(service: $0)] } ?? [])
                + (console.map { [.init(service: $0)] } ?? []),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Calls still running this long after SIGTERM are cancelled, so a stop never hangs.
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                if let bound = await grpcServer.listeningPort {
                    // Written unbuffered: scripts and tests read this line through a pipe to learn the port.
                    FileHandle.standardOutput.write(Data("c360 serving \(store.directory) on \(host):\(bound)\n".utf8))
                }
                if let metrics, let bound = await metrics.listeningPort {
                    FileHandle.standardOutput.write(Data("c360 metrics on http://\(metrics.host):\(bound)/metrics\n".utf8))
                }
                if let console, let bound = await console.listeningPort {
                    FileHandle.standardOutput.write(Data("c360 console on \(console.scheme)://\(console.host):\(bound)/\n".utf8))
                }
            }
            try await tasks.waitForAll()
        }
        logger.info("stopped; closing the data directory")
    }

    /// How long a stop lets RocksDB finish compactions before closing it (`EventStore.close(waitingForCompactionsUpTo:)`):
    /// with the 10 s calls may take to finish, within the 30 s systemd gives a stop.
    static let compactionWaitOnStop = 15.0

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

extension LogFormat: ExpressibleByArgument {}

extension Logger.Level: @retroactive ExpressibleByArgument {}
