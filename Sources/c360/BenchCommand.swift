import ArgumentParser
import C360API
import C360Bench
import C360Generator
import C360Service
import Foundation
import C360Store
import C360Transport
import NIOCore

/// `c360 bench …`: the load drivers of the benchmark. `ops/bench/run.sh` runs them together with
/// PostgreSQL and the ceilings and writes the results; each prints one JSON object.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark drivers: bulk ingest, HTTP/2 load (lookups, small appends), freshness, storage and transport ceilings, store lookups.",
        discussion: "The whole benchmark, with PostgreSQL and the ceilings beside c360, is ops/bench/run.sh.",
        subcommands: [BenchIngest.self, BenchLoad.self, BenchCodec.self, BenchFreshness.self, BenchStorage.self, BenchLookups.self, BenchTransport.self])
}

/// Prints `figures` as one line of JSON (keys sorted).
private func printJSON(_ figures: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

struct ServerOption: ParsableArguments {
    @Option(help: ArgumentHelp("The running server.", valueName: "host:port")) var server = "127.0.0.1:50051"

    func address() throws -> (host: String, port: Int) { try ListenAddress.parse(server) }
}

struct BenchIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Bulk ingest: the generated data set through AppendEvents in batches, each durably acknowledged.")

    @OptionGroup var server: ServerOption
    @Option(help: "Customers of the generated data set.") var customers = 100_000
    @Option(help: "Events of the generated data set.") var events = 2_000_000
    @Option(help: "Seed of the generated data set (as `c360 generate`).") var seed: UInt64 = 1
    @Option(help: "Events per AppendEvents call.") var batch = 1_000
    @Option(help: "Calls in flight at once.") var inFlight = 4

    func run() async throws {
        let (host, port) = try server.address()
        let figures = try await AppendBenchmarks.bulkIngest(
            host: host, port: port, generator: SyntheticDataGenerator(customers: customers, events: events, seed: seed),
            batchSize: batch, inFlight: inFlight)
        var json = figures.json
        json["batch"] = batch
        json["in_flight"] = inFlight
        try printJSON(json)
    }
}

struct BenchFreshness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freshness",
        abstract: "Time from an append's acknowledgement to its change on WatchProfiles.")

    @OptionGroup var server: ServerOption
    @Option(help: "The customer number to append for and watch (cust_N).") var customer = 7
    @Option(help: "Appends to time.") var samples = 1_000

    func run() async throws {
        let (host, port) = try server.address()
        let figures = try await FreshnessBenchmark.run(
            host: host, port: port, customer: customer, samples: samples,
            runID: String(UInt64(Date().timeIntervalSince1970 * 1000)))
        try printJSON(figures.json)
    }
}

struct BenchStorage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rocksdb",
        abstract: "The storage ceiling: raw RocksDB synced WriteBatch throughput in a new database.")

    @Option(help: ArgumentHelp("A directory that does not exist yet; removed afterwards.", valueName: "dir")) var dir: String
    @Option(help: "Events to write in each batch shape.") var events = 1_000_000
    @Option(help: "Bytes per value (an encoded event's size).") var valueBytes = 200
    @Option(help: "Single-event synced writes to time.") var singleWrites = 2_000
    @Option(help: "Events to write in c360's layout (event, log entry, dedup entry, projection); 0 skips it.") var layoutEvents = 0
    @Option(help: "Customers the layout's events are spread over.") var layoutCustomers = 100_000
    @Option(help: "Bytes per projection in the layout (stored profiles average about 1,000).") var projectionBytes = 1_000
    @Flag(help: "Add each layout batch's keys in key order.") var sortedBatches = false
    @Option(help: "The write layouts to measure (current, log-first-by-subject, log-first-by-seq, log-only), comma-separated.")
    var layouts = "current"
    @Option(help: "Events between the write-behind checkpoints of the log-first layouts.") var checkpointEvents = 100_000
    @Option(help: "Threads committing the layouts' batches concurrently.") var writers = 1
    @Option(help: "Memtable size per column family of the layouts, in MiB (c360's default 32).") var writeBufferMb = 32
    @Option(help: "Memtable of the layouts' column families keyed at random (skip-list, hash-skip-list, hash-link-list, vector).")
    var layoutMemtable = "skip-list"

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: dir) else { throw ValidationError("\(dir) exists; give a new directory") }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let memtable = StorageCeiling.LayoutMemtable(rawValue: layoutMemtable) else {
            throw ValidationError("unknown memtable \(layoutMemtable); known: \(StorageCeiling.LayoutMemtable.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var json = try StorageCeiling.run(path: dir, events: events, valueBytes: valueBytes, singleWrites: singleWrites).json
        if layoutEvents > 0 {
            for name in layouts.split(separator: ",") {
                guard let layout = StorageCeiling.Layout(rawValue: String(name)) else {
                    throw ValidationError("unknown layout \(name); known: \(StorageCeiling.Layout.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let figures = try StorageCeiling.layout(
                    layout, path: dir + "/layout-\(layout.rawValue)", events: layoutEvents, customers: layoutCustomers,
                    eventBytes: valueBytes, projectionBytes: projectionBytes, sortedBatches: sortedBatches,
                    checkpointEvents: checkpointEvents, writers: writers, writeBufferBytes: writeBufferMb << 20, memtable: memtable)
                json.merge(figures.json) { $1 }
            }
        }
        try printJSON(json)
    }
}

struct BenchLookups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookups",
        abstract: "Profile lookups inside the process over random customers, evaluated each time and answered from the profiles kept.")

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: "Customers to pick from (cust_1 … cust_N).") var customers = 100_000
    @Option(help: "Lookups of each kind.") var lookups = 100_000

    func run() async throws {
        let store = try dataDirectory.openStore()
        defer { store.close() }
        try printJSON(try StoreLookups.run(store: store, customers: customers, lookups: lookups).json)
    }
}

struct BenchTransport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "h2-server",
        abstract: "A transport's ceiling: a bare server answering every request with one fixed gRPC response.",
        discussion: "Prints the address it listens on, then serves until it is terminated.")

    enum Stack: String, ExpressibleByArgument, CaseIterable {
        /// c360's own: SwiftNIO sockets, libnghttp2, c360's gRPC layer.
        case nghttp2
        /// swift-nio-http2, a child channel per stream (grpc-swift's).
        case nioHTTP2 = "nio-http2"
    }

    @Option(help: ArgumentHelp("Address to listen on; port 0 picks a free port.", valueName: "host:port")) var listen = "127.0.0.1:0"
    @Option(help: "Bytes of the fixed response message.") var messageBytes = 200
    @Option(help: "The transport: nghttp2 (c360's) or nio-http2.") var stack = Stack.nghttp2

    func run() async throws {
        let (host, port) = try ListenAddress.parse(listen)
        switch stack {
        case .nghttp2:
            let server = try await TransportCeiling.startNGHTTP2(host: host, port: port, messageBytes: messageBytes)
            FileHandle.standardOutput.write(Data("listening on \(host):\(server.port ?? port)\n".utf8))
            try await server.serve()
        case .nioHTTP2:
            let channel = try await TransportCeiling.startNIOHTTP2(host: host, port: port, messageBytes: messageBytes)
            // Unbuffered: the benchmark reads this line through a pipe to learn the port.
            FileHandle.standardOutput.write(Data("listening on \(host):\(channel.localAddress?.port ?? port)\n".utf8))
            try await channel.closeFuture.get()
        }
    }
}

struct BenchLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "HTTP/2 load on libnghttp2's client: GetProfile over random customers, appends with unique event ids, or a fixed body.",
        discussion: """
            Like h2load (-c connections, -m streams each, -t threads), with request bodies made before the run: \
            --rpc get-profile picks a random customer of cust_1 … cust_N for each lookup; --rpc append-events appends \
            one new page view per call, each with its own event id; --rpc fixed posts --body-file (or nothing) to --path. \
            Prints one JSON object: requests/s of succeeded requests, latency percentiles (submission to end of stream), \
            failures by kind.
            """)

    enum RPC: String, ExpressibleByArgument, CaseIterable {
        case getProfile = "get-profile"
        case appendEvents = "append-events"
        case fixed
    }

    @Option(help: ArgumentHelp("The server.", valueName: "host:port")) var target = "127.0.0.1:50051"
    @Option(help: "What to send: get-profile, append-events or fixed.") var rpc = RPC.getProfile
    @Option(help: "Customers to pick from (cust_1 … cust_N).") var customers = 100_000
    @Option(help: "Path of a fixed request (--rpc fixed).") var path = "/"
    @Option(help: "Body of a fixed request, posted as it is (--rpc fixed).") var bodyFile: String?
    @Option(name: [.customShort("c"), .long], help: "Connections.") var connections = 1
    @Option(name: [.customShort("m"), .long], help: "Requests in flight on each connection.") var streams = 1
    @Option(name: [.customShort("t"), .long], help: "Event-loop threads.") var threads = 1
    @Option(name: [.customShort("n"), .long], help: "Requests in all (unless --seconds).") var requests = 10_000
    @Option(help: "Run for this many seconds instead of a number of requests.") var seconds: Double?

    func run() async throws {
        let (host, port) = try ListenAddress.parse(target)
        guard connections > 0, streams > 0, threads > 0, requests > 0, customers > 0 else {
            throw ValidationError("--connections, --streams, --threads, --requests and --customers must be positive")
        }
        var generator: LoadGenerator
        switch rpc {
        case .getProfile:
            generator = LoadGenerator(host: host, port: port, path: LoadRequests.getProfilePath,
                                      bodies: try LoadRequests.getProfile(customers: customers))
        case .appendEvents:
            generator = LoadGenerator(host: host, port: port, path: LoadRequests.appendEventsPath,
                                      bodies: try LoadRequests.appendEvents(customers: customers, runID: String(UInt64(Date().timeIntervalSince1970 * 1000))))
            generator.examine = LoadRequests.countAppendResults
        case .fixed:
            var body: [UInt8] = []
            if let bodyFile {
                guard let data = FileManager.default.contents(atPath: bodyFile) else {
                    throw ValidationError("cannot read --body-file \(bodyFile)")
                }
                body = Array(data)
            }
            generator = LoadGenerator(host: host, port: port, path: path, bodies: .fixed(body))
        }
        generator.connections = connections
        generator.streams = streams
        generator.threads = threads
        generator.stop = seconds.map { .seconds($0) } ?? .requests(requests)
        let figures = try await generator.run()
        var json = figures.json
        json["connections"] = connections
        json["streams"] = streams
        json["threads"] = threads
        try printJSON(json)
    }
}

struct BenchCodec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Decoding stored events and encoding profiles: SwiftProtobuf beside c360's hand-written codec, on generated data.")

    @Option(help: "Customers of the generated data set.") var customers = 20_000
    @Option(help: "Events of the generated data set.") var events = 300_000
    @Option(help: "Seed of the generated data set (as `c360 generate`).") var seed: UInt64 = 1
    @Option(help: "Passes over the data; the best is reported.") var rounds = 3
    @Option(help: ArgumentHelp("Also write the encoded events and projections measured into this existing directory (events.bin, projections.bin), for ops/bench/protobuf-c.", valueName: "dir"))
    var dump: String?

    func run() async throws {
        let figures = try CodecBenchmark.run(
            generator: SyntheticDataGenerator(customers: customers, events: events, seed: seed), rounds: rounds, dumpDirectory: dump,
            liveBytes: { Allocator.liveBytesOfThisThread })
        try printJSON(figures.json)
    }
}
