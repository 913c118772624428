import ArgumentParser
import Foundation
import C360API
import C360Store
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the gRPC API (c360.v1.ProfileService and grpc.health.v1.Health) over HTTP/2.",
        discussion: """
            Listens on 127.0.0.1 unless told otherwise. SIGTERM or SIGINT shuts down gracefully: health
            turns NOT_SERVING, calls in flight finish, and the data directory is closed cleanly.
            Example: c360 serve --data ./c360-data --listen 127.0.0.1:50051
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: ArgumentHelp("Address to listen on; port 0 picks a free port.", valueName: "host:port")) var listen = "127.0.0.1:50051"
    @Option(help: "Largest request message in bytes.") var maxRequestBytes = APILimits().maxRequestBytes
    @Option(help: "Most events per AppendEvents request or stream message.") var maxEventsPerAppend = APILimits().maxEventsPerAppend
    @Option(help: "Most ids per BatchGetProfiles request.") var maxBatchLookups = APILimits().maxBatchLookups
    @Option(help: "Concurrent HTTP/2 streams per connection.") var maxConcurrentStreams = APILimits().maxConcurrentStreams

    func validate() throws {
        _ = try ListenAddress.parse(listen)
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
        let store = try dataDirectory.openStore(creatingIfMissing: true)
        defer { store.close() }
        let server = C360Server(store: store, host: host, port: port, limits: limits, logger: logger)
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
}
