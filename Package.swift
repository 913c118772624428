// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// No run-time exclusivity checks in a release build of a hot module whose state one thread owns
/// (each target says why); debug builds, which the tests run, keep them to find a violation.
let uncheckedExclusivityInRelease = SwiftSetting.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))

let package = Package(
    name: "c360",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "c360", targets: ["c360"]),
        // libFuzzer targets, built by ops/fuzz/run.sh with `--sanitize=fuzzer`.
        .executable(name: "c360-fuzz-ndjson", targets: ["c360-fuzz-ndjson"]),
        .executable(name: "c360-fuzz-rpc", targets: ["c360-fuzz-rpc"]),
        .executable(name: "c360-fuzz-codec", targets: ["c360-fuzz-codec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // RocksDB's C API from Debian's librocksdb-dev (its header; the RocksDB target links the
        // library). Only the RocksDB target imports it.
        .systemLibrary(
            name: "CRocksDB",
            providers: [.apt(["librocksdb-dev"])]
        ),
        // PostgreSQL's client library, from Debian's libpq-dev. Only the PostgreSQL target imports it.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // One connection to PostgreSQL through libpq: queries, replication commands and the
        // replication stream's COPY exchange. No C types outside.
        .target(
            name: "PostgreSQL",
            dependencies: ["CLibPQ"],
            swiftSettings: swiftSettings
        ),
        // jemalloc from Debian's libjemalloc-dev, the process's malloc (see the executable's
        // Allocator.swift). Only the c360 executable imports it.
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        // jemalloc's settings (`malloc_conf`), linked into the c360 executable only.
        .target(name: "CJemallocSettings"),
        // HTTP/2 framing from Debian's libnghttp2-dev (1.52). Only the C360HTTP2 target imports it.
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        // One HTTP/2 server session over libnghttp2: bytes in, stream events out, responses
        // submitted per stream. No I/O, no C types outside.
        .target(
            name: "C360HTTP2",
            dependencies: ["CNGHTTP2", .product(name: "NIOCore", package: "swift-nio")],
            // nghttp2's callbacks change the session's state through its owner, a class; every such
            // access was checked for exclusivity at run time, 6% of the load generator's CPU (perf).
            // A session is only ever used from one thread and nghttp2 calls back only from inside
            // mem_recv and mem_send, so the dynamic checks find nothing; the static ones stay, and
            // debug builds (the tests) keep the dynamic ones.
            swiftSettings: swiftSettings + [uncheckedExclusivityInRelease]
        ),
        // gRPC over HTTP/2 on SwiftNIO sockets and C360HTTP2: one handler per connection, calls
        // routed by path to their handlers.
        .target(
            name: "C360Transport",
            dependencies: [
                "C360HTTP2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // The connection handler's tables of calls and streams are a class's state, changed on
            // its one event loop; checking each access for exclusivity at run time was 3.5% of the
            // bare transport's CPU at `h2load -c 16 -m 32` (perf). Debug builds keep the checks.
            swiftSettings: swiftSettings + [uncheckedExclusivityInRelease]
        ),
        // A Swift wrapper over the C API: each handle owned by one class, errors thrown.
        .target(
            name: "RocksDB",
            dependencies: ["CRocksDB"],
            swiftSettings: swiftSettings,
            // Debian's static archive of RocksDB rather than its shared library, and the libraries
            // that one names: linked into the executable, RocksDB reads its thread-local perf
            // context at a fixed offset instead of calling `__tls_get_addr` on each key comparison
            // of a memtable insert (3.4% of bulk ingest's samples, `perf`).
            linkerSettings: [
                .linkedLibrary(":librocksdb.a"),
                .linkedLibrary("snappy"), .linkedLibrary("z"), .linkedLibrary("bz2"), .linkedLibrary("lz4"),
                .linkedLibrary("zstd"), .linkedLibrary("gflags"), .linkedLibrary("stdc++"),
            ]
        ),
        // Swift code generated from proto/ by ops/generate-protos.sh (committed).
        .target(
            name: "C360Model",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            // The generated messages keep their fields in a class; each field access was checked
            // for exclusivity at run time, 18% of a profile lookup (perf). The compiler still checks
            // what it can statically; only the dynamic checks of this generated code are off, and
            // only in release builds.
            swiftSettings: swiftSettings + [uncheckedExclusivityInRelease]
        ),
        // The fast codec of the hot paths: the protobuf wire format of proto/ written and read by
        // hand, without SwiftProtobuf's generic machinery (which stays for everything cold).
        .target(
            name: "C360Codec",
            dependencies: ["C360Core", "C360Model", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        // Pure domain logic, no I/O: validation, the fold, profile evaluation.
        .target(
            name: "C360Core",
            dependencies: [
                "C360Model",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // The event log, projections, snapshots, replay and erasure on RocksDB.
        .target(
            name: "C360Store",
            dependencies: [
                "RocksDB", "C360Core", "C360Model", "C360Codec",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The gRPC services, whatever carries them: each RPC's one implementation over the store,
        // access control, generated client stubs. No transport, so the fuzzers build it without one.
        .target(
            name: "C360Service",
            dependencies: [
                "C360Store", "C360Codec", "C360Core", "C360Model",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // How `c360 serve` is watched: swift-metrics exported in Prometheus' text format on an HTTP
        // port of its own (RocksDB's figures read at each scrape), and logs as JSON lines.
        .target(
            name: "C360Observability",
            dependencies: [
                "C360Store",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The server: c360's transport serving the one dispatch table of every RPC; and the
        // grpc-swift-2 client the command line's --server mode uses.
        .target(
            name: "C360API",
            dependencies: [
                "C360Service", "C360Store", "C360Core", "C360Model", "C360Transport", "C360Codec",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The customer console: web pages for support agents and a JSON read API, on an HTTP port
        // of their own (Hummingbird), over the same service code, access control and audit log as
        // the gRPC API.
        .target(
            name: "C360Console",
            dependencies: [
                "C360Service", "C360Store", "C360Core", "C360Model",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The configuration file (YAML): every setting, validated, with errors naming the key.
        .target(
            name: "C360Config",
            dependencies: [
                "C360Service", "C360Store", "C360Core", "C360Mapping", "C360PostgresSource", .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Declarative mappings from other systems' records (foreign JSON, CSV, database rows) to
        // events: pure, no I/O.
        .target(
            name: "C360Mapping",
            dependencies: [
                "C360Codec", "C360Core", "C360Model", .product(name: "Yams", package: "Yams"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // Change data capture from PostgreSQL: the replication stream and pgoutput's messages read,
        // transactions assembled into row changes, mapped to events and appended exactly once.
        .target(
            name: "C360PostgresSource",
            dependencies: [
                "C360Core", "C360Mapping", "C360Model", "C360Store", "PostgreSQL",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Deterministic synthetic data for demos, tests and benchmarks.
        .target(
            name: "C360Generator",
            dependencies: [
                "C360Core", "C360Model",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // The benchmark's load drivers (`c360 bench`): real clients of a running server, and the
        // storage ceiling on RocksDB alone.
        .target(
            name: "C360Bench",
            dependencies: [
                "C360API", "C360Service", "C360Store", "C360Core", "C360Model", "C360Generator", "RocksDB", "C360Transport", "C360HTTP2", "C360Codec",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "c360",
            dependencies: [
                "CJemalloc", "CJemallocSettings", "C360API", "C360Console", "C360Service", "C360Bench", "C360Store", "C360Core", "C360Model", "C360Generator", "C360Config", "C360Observability", "C360Mapping", "C360PostgresSource",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the fuzzers run on each input; shared with the regression tests.
        .target(
            name: "C360Fuzz",
            dependencies: [
                "C360Service", "C360Codec", "C360Store", "C360Core", "C360Model", "C360Generator", "C360Mapping",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "c360-fuzz-ndjson", dependencies: ["C360Fuzz"], swiftSettings: swiftSettings),
        .executableTarget(name: "c360-fuzz-rpc", dependencies: ["C360Fuzz"], swiftSettings: swiftSettings),
        .executableTarget(name: "c360-fuzz-codec", dependencies: ["C360Fuzz"], swiftSettings: swiftSettings),
        // What the tests start other programs with (c360 itself, python3, openssl, postgres).
        .target(name: "C360TestSupport", path: "Tests/Support", swiftSettings: swiftSettings),
        .testTarget(
            name: "C360PostgresSourceTests",
            dependencies: ["C360PostgresSource", "C360Mapping", "C360Core", "C360Store", "PostgreSQL", "C360TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360ConsoleTests",
            dependencies: ["C360Generator", "C360Console", "C360Core", "C360Model", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360MappingTests",
            dependencies: ["C360Codec", "C360Mapping", "C360Core", "C360Model", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RocksDBTests",
            dependencies: ["RocksDB"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360TransportTests",
            dependencies: [
                "C360Transport", "C360HTTP2", "C360TestSupport", "C360Generator",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                // gRPC's interoperability test messages (Interop/Generated).
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360CodecTests",
            dependencies: ["C360Generator", "C360Codec", "C360Core", "C360Model", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360CoreTests",
            dependencies: ["C360Generator", "C360Core", "C360Model", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360StoreTests",
            dependencies: [
                "C360Store", "C360Core", "C360Model", "C360Generator", "RocksDB",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            // The golden data set is read from the source tree (#filePath), not bundled.
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360APITests",
            dependencies: [
                "C360API", "C360Service", "C360Store", "C360Core", "C360Model",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360ConfigTests",
            dependencies: ["C360Config", "C360Service", "C360Store", "C360Core", "C360Mapping"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360GeneratorTests",
            dependencies: ["C360Generator", "C360Core", "C360Model", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "c360Tests",
            // Depends on the executable so that `swift test` builds the binary the tests run.
            dependencies: ["c360", "C360Store", "C360Core", "C360Model", "C360TestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "C360FuzzTests",
            dependencies: ["C360Fuzz", "C360Mapping"],
            swiftSettings: swiftSettings
        ),
    ]
)
