public import C360Service
public import Logging

/// What `c360 serve` reads from the configuration besides the store's settings: where it listens,
/// how it logs, and the limits on what one call may ask.
public struct ServerSettings: Sendable {
    /// The gRPC address, HOST:PORT. Default `127.0.0.1:50051`: nothing beyond this machine reaches
    /// it until told otherwise.
    public var listen = "127.0.0.1:50051"
    /// Where metrics are served in Prometheus' text format, HOST:PORT, or `off`. Default `127.0.0.1:9464`.
    public var metricsListen = "127.0.0.1:9464"
    /// Where the customer console (web pages and the JSON API under `/api/v1/`) is served,
    /// HOST:PORT, or `off`. Default `127.0.0.1:8360`.
    public var consoleListen = "127.0.0.1:8360"
    /// Default `.text`.
    public var logFormat = LogFormat.text
    /// The lowest level logged. Default `.info`.
    public var logLevel = Logger.Level.info
    /// Serve without access tokens on an address other than loopback. Default `false`.
    public var allowUnauthenticated = false
    /// Limits on what one call may ask.
    public var limits = APILimits()
    /// Threads serving connections (gRPC, the console, metrics); nil: `eventLoopCount(cores:)`.
    public var eventLoops: Int?
    /// More threads than this is a mistake, not a tuning.
    public static let maximumEventLoops = 256

    /// The event loops to start on a machine of `cores`: as set, else one fewer than the cores (at
    /// least one). The core left over is for the work every append needs besides its connection:
    /// the log writer, RocksDB's flushes and compactions, the projections written behind. On 2
    /// cores (the README's benchmark, a load generator beside) one loop halved the p99 of 16
    /// one-at-a-time lookups and left small appends as fast, for a tenth less peak lookup rate.
    public func eventLoopCount(cores: Int) -> Int {
        eventLoops ?? max(1, cores - 1)
    }

    public init() {}
}

/// How `c360 serve` writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    /// For people.
    case text
    /// One JSON object per line, for log shippers.
    case json
}
