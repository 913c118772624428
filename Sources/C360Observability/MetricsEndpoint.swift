public import C360Store
import CoreMetrics
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
public import Prometheus
public import ServiceLifecycle

/// The metrics of `c360 serve` in Prometheus' text format, on an HTTP port of their own
/// (`GET /metrics`), apart from the API so that scraping needs no gRPC and no access token, and a
/// firewall can tell the two apart.
///
/// RocksDB's figures and the cache of stored projections' size are read from the store at each
/// scrape; everything else is recorded as it happens through swift-metrics (`StoreMetrics`,
/// `ServiceMetrics`).
public final class MetricsEndpoint: Service, Sendable {
    public let host: String
    public let port: Int
    private let registry: PrometheusCollectorRegistry
    private let store: EventStore
    private let logger: Logger
    private let bound = NIOLockedValueBox<((any Channel)?, Int?)>((nil, nil))
    private let figures: StorageGauges

    /// Bootstraps swift-metrics with a Prometheus registry: call once, before anything records.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Lookups take microseconds to milliseconds, appends a sync (milliseconds), erasures seconds.
        factory.durationHistogramBuckets = [
            "c360_lookup_duration_seconds": [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                             .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100), .seconds(1)],
            "c360_append_duration_seconds": [.milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                             .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)],
        ]
        factory.valueHistogramBuckets = [
            "c360_commit_batch_events": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000],
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    public init(registry: PrometheusCollectorRegistry, store: EventStore, host: String, port: Int, logger: Logger) {
        self.registry = registry
        self.store = store
        self.host = host
        self.port = port
        self.logger = logger
        self.figures = StorageGauges(registry: registry)
    }

    /// The port it listens on once running (useful with port 0).
    public var listeningPort: Int? {
        get async {
            for _ in 0..<500 {
                if let port = bound.withLockedValue({ $0.1 }) { return port }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return nil
        }
    }

    public func run() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScrapeHandler(render: { [self] in self.render() }))
                }
            }
            .bind(host: host, port: port)
            .get()
        let port = channel.localAddress?.port
        bound.withLockedValue { $0 = (channel, port) }
        logger.info("metrics on http://\(host):\(port ?? self.port)/metrics")
        try await withGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onGracefulShutdown: {
            self.bound.withLockedValue { $0.0 }?.close(promise: nil)
        }
    }

    /// The exposition: RocksDB's figures refreshed, then every metric.
    func render() -> [UInt8] {
        figures.update(from: store.storageFigures())
        return registry.emitToBuffer()
    }
}

/// RocksDB's figures as gauges, set at each scrape.
private struct StorageGauges: Sendable {
    let memtableBytes, pendingCompactionBytes, sstFiles, sstBytes, blockCacheBytes, tableReaderBytes: Prometheus.Gauge
    let blockCacheHits, blockCacheMisses: Prometheus.Gauge
    let storedProjectionCacheBytes: Prometheus.Gauge

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ metric: String, _ unit: String, _ help: String) -> Prometheus.Gauge {
            registry.makeGauge(descriptor: .init(namespace: "c360", subsystem: "rocksdb", metricName: metric, unitName: unit, helpText: help))
        }
        memtableBytes = gauge("memtable", "bytes", "Bytes in RocksDB's memtables, all column families.")
        pendingCompactionBytes = gauge("pending_compaction", "bytes", "RocksDB's estimate of the bytes compaction has still to rewrite.")
        sstFiles = gauge("sst", "files", "SST files, all levels and column families.")
        sstBytes = gauge("sst", "bytes", "Bytes in SST files.")
        blockCacheBytes = gauge("block_cache", "bytes", "Bytes of blocks in RocksDB's block cache (rocksdb.block_cache_mb at most).")
        tableReaderBytes = gauge("table_readers", "bytes", "RocksDB's estimate of the memory its open SST files take outside the block cache (their indexes and filters are in it).")
        blockCacheHits = gauge("block_cache", "hits", "Block cache hits since the server started.")
        blockCacheMisses = gauge("block_cache", "misses", "Block cache misses since the server started.")
        storedProjectionCacheBytes = registry.makeGauge(descriptor: .init(
            namespace: "c360", subsystem: "projection_cache", metricName: "stored", unitName: "bytes",
            helpText: "Bytes of projections kept in memory as stored, and of the places of those waiting to be written behind (storage.cached_stored_projections_mb at most)."))
    }

    func update(from figures: EventStore.StorageFigures) {
        memtableBytes.set(Double(figures.memtableBytes))
        pendingCompactionBytes.set(Double(figures.pendingCompactionBytes))
        sstFiles.set(Double(figures.sstFiles))
        sstBytes.set(Double(figures.sstBytes))
        blockCacheBytes.set(Double(figures.blockCacheBytes))
        tableReaderBytes.set(Double(figures.tableReaderBytes))
        blockCacheHits.set(Double(figures.blockCacheHits ?? 0))
        blockCacheMisses.set(Double(figures.blockCacheMisses ?? 0))
        storedProjectionCacheBytes.set(Double(figures.storedProjectionCacheBytes))
    }
}

/// Answers `GET /metrics`; 404 for any other path, 405 for any other method.
private final class ScrapeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () -> [UInt8]
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () -> [UInt8]) {
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
        case .body:
            break
        case .end:
            guard let request = head else { return }
            let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
            let (status, contentType, body): (HTTPResponseStatus, String, [UInt8]) =
                switch (request.method, path) {
                case (.GET, "/metrics"): (.ok, "text/plain; version=0.0.4; charset=utf-8", render())
                case (_, "/metrics"): (.methodNotAllowed, "text/plain; charset=utf-8", Array("only GET\n".utf8))
                default: (.notFound, "text/plain; charset=utf-8", Array("metrics are at /metrics\n".utf8))
                }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.count))
            let keepAlive = request.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}
