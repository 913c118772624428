import C360Config
import C360Core
import C360Mapping
import C360Service
import C360Store
import Foundation
import Testing
import C360PostgresSource
import Logging

@Suite struct ConfigurationFileTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../ops/c360.example.yaml").standardized.path

    @Test("the shipped example parses to the defaults plus the three example segments")
    func example() throws {
        let file = try ConfigurationFile(contentsOf: Self.example)
        #expect(file.store.profile == ProfileSettings())
        #expect(file.store.maximumIdentitiesPerCustomer == StoreConfiguration().maximumIdentitiesPerCustomer)
        #expect(file.store.segments == Segment.examples.sorted { $0.name < $1.name })
    }

    @Test("values override the defaults")
    func overrides() throws {
        let file = try ConfigurationFile(yaml: """
            profile:
              window_days: 14
              lifecycle: {active_days: 20, at_risk_days: 60, lapsing_days: 200}
              health_weights: {support: 0}
            identity:
              max_identities_per_customer: 7
            """)
        #expect(file.store.profile.windowDays == 14)
        #expect(file.store.profile.activeDays == 20)
        #expect(file.store.profile.lapsingDays == 200)
        #expect(file.store.profile.healthWeights.support == 0)
        #expect(file.store.maximumIdentitiesPerCustomer == 7)
        #expect(file.store.segments.isEmpty)
    }

    @Test("mistakes are refused naming the key", arguments: [
        ("profile:\n  window_dayz: 3", "profile.window_dayz"),
        ("profile:\n  window_days: thirty", "profile.window_days"),
        ("profile:\n  window_days: 365", "profile.window_days"),
        ("profile:\n  lifecycle: {active_days: 100}", "profile.lifecycle"),
        ("profile:\n  rfm: {recency_days: [1, 2]}", "profile.rfm.recency_days"),
        ("profile:\n  churn_risk_stages: [doomed]", "profile.churn_risk_stages"),
        ("identity:\n  max_identities_per_customer: 0", "identity.max_identities_per_customer"),
        ("segments:\n  vip:\n    all: [\"loyalty_tier > 3\"]", "segments.vip"),
        ("segments:\n  vip:\n    all: [\"favourite_colour == red\"]", "segments.vip"),
        ("segments:\n  Bad Name:\n    all: [\"total_orders > 1\"]", "segments.Bad Name"),
        ("segments:\n  vip:\n    any: [\"total_orders > 1\"]", "segments.vip.any"),
        ("colour: blue", "colour"),
        ("access:\n  tokens:\n    - {name: a, sha256: abc, scopes: [read]}", "access.tokens.0.sha256"),
        ("access:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "ab", count: 32)), scopes: [root]}", "access.tokens.0.scopes.0"),
        ("access:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "ab", count: 32)), scopes: []}", "access.tokens.0.scopes"),
        ("access:\n  tokens:\n    - {name: a, scopes: [read]}", "access.tokens.0"),
        ("access:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "ab", count: 32)), scopes: [read]}\n    - {name: a, sha256: \(String(repeating: "cd", count: 32)), scopes: [write]}", "access.tokens"),
        ("access:\n  tokenz: []", "access.tokenz"),
        ("tls:\n  certificate_chain: /nonexistent/cert.pem\n  private_key: /nonexistent/key.pem", "tls.certificate_chain"),
        ("tls:\n  client_ca: /etc/hostname", "tls"),
        ("audit_log: \"\"", "audit_log"),
        ("server:\n  listen: localhost", "server.listen"),
        ("server:\n  metrics_listen: nowhere", "server.metrics_listen"),
        ("server:\n  log_format: xml", "server.log_format"),
        ("server:\n  log_level: loud", "server.log_level"),
        ("server:\n  allow_unauthenticated: perhaps", "server.allow_unauthenticated"),
        ("server:\n  event_loops: 0", "server.event_loops"),
        ("server:\n  event_loops: 257", "server.event_loops"),
        ("limits:\n  max_request_bytes: 0", "limits.max_request_bytes"),
        ("limits:\n  max_rows: 5", "limits.max_rows"),
        ("rocksdb:\n  compression: gzip", "rocksdb.compression"),
        ("rocksdb:\n  wal_sync: sometimes", "rocksdb.wal_sync"),
        ("rocksdb:\n  block_cache_mb: -1", "rocksdb.block_cache_mb"),
        ("rocksdb:\n  background_jobs: 1000", "rocksdb.background_jobs"),
        ("rocksdb:\n  indexes_in_block_cache: sometimes", "rocksdb.indexes_in_block_cache"),
        ("data_directory: \"\"", "data_directory"),
        ("storage:\n  projection_write_behind_mb: 0", "storage.projection_write_behind_mb"),
        ("storage:\n  append_queue_mb: 0", "storage.append_queue_mb"),
        ("storage:\n  append_queue_mb: 5000", "storage.append_queue_mb"),
        ("storage:\n  cached_projections: -1", "storage.cached_projections"),
        ("storage:\n  cached_profiles: -5", "storage.cached_profiles"),
        ("storage:\n  cached_stored_projections_mb: -1", "storage.cached_stored_projections_mb"),
        ("storage:\n  cached_stored_projections: 100000", "storage.cached_stored_projections"),
        ("storage:\n  projection_write_behind_seconds: 0", "storage.projection_write_behind_seconds"),
        ("storage:\n  projection_write_behind_seconds: soon", "storage.projection_write_behind_seconds"),
    ])
    func mistakes(yaml: String, key: String) {
        #expect(performing: { try ConfigurationFile(yaml: yaml) }, throws: { ($0 as? C360Error)?.field == key })
    }

    @Test("server, limits and RocksDB settings are read")
    func serverSettings() throws {
        let file = try ConfigurationFile(yaml: """
            data_directory: /srv/c360
            server: {listen: "0.0.0.0:6000", metrics_listen: "off", log_format: json, log_level: debug, allow_unauthenticated: true, event_loops: 3}
            limits: {max_request_bytes: 1024, max_concurrent_streams: 8}
            rocksdb: {block_cache_mb: 16, compression: lz4, wal_sync: none, write_buffer_mb: 8, indexes_in_block_cache: false}
            storage: {projection_write_behind_mb: 8, projection_write_behind_seconds: 0.5, cached_projections: 1000, cached_stored_projections_mb: 3, cached_profiles: 2000, append_queue_mb: 16}
            """)
        #expect(file.dataDirectory == "/srv/c360")
        #expect(file.server.listen == "0.0.0.0:6000")
        #expect(file.server.metricsListen == "off")
        #expect(file.server.logFormat == .json)
        #expect(file.server.logLevel == .debug)
        #expect(file.server.allowUnauthenticated)
        #expect(file.server.eventLoops == 3)
        #expect(try ConfigurationFile(yaml: "").server.eventLoops == nil)
        #expect(file.server.eventLoopCount(cores: 8) == 3)
        #expect([1, 2, 3, 8].map(ServerSettings().eventLoopCount(cores:)) == [1, 1, 2, 7])
        #expect(file.server.limits.maxRequestBytes == 1024)
        #expect(file.server.limits.maxConcurrentStreams == 8)
        #expect(file.server.limits.maxBatchLookups == APILimits().maxBatchLookups)
        #expect(file.store.storage.blockCacheBytes == 16 << 20)
        #expect(file.store.storage.compression == .lz4)
        #expect(file.store.storage.writeBufferBytes == 8 << 20)
        #expect(!file.store.storage.indexesAndFiltersInBlockCache)
        #expect(try ConfigurationFile(yaml: "").store.storage.indexesAndFiltersInBlockCache)
        #expect(file.store.walSync == .none)
        #expect(file.store.projectionWriteBehindBytes == 8 << 20)
        #expect(file.store.projectionWriteBehindSeconds == 0.5)
        #expect(file.store.cachedProjections == 1000)
        #expect(file.store.cachedProfiles == 2000)
        #expect(file.store.cachedStoredProjectionBytes == 3 << 20)
        #expect(file.store.appendQueueBytes == 16 << 20)
        #expect(try ConfigurationFile(yaml: "").store.appendQueueBytes == 32 << 20)
        #expect(file.fromEnvironment.isEmpty)
    }

    @Test("environment variables override the file, and the file the defaults")
    func environmentOverrides() throws {
        let yaml = """
            server: {listen: "127.0.0.1:6000", log_level: debug}
            rocksdb: {block_cache_mb: 16}
            profile: {window_days: 14}
            """
        let environment = [
            "C360_SERVER_LISTEN": "127.0.0.1:7000", "C360_ROCKSDB_BLOCK_CACHE_MB": "256", "C360_ROCKSDB_WAL_SYNC": "none",
            "C360_PROFILE_LIFECYCLE_ACTIVE_DAYS": "20", "C360_SERVER_ALLOW_UNAUTHENTICATED": "false",
            "C360_DATA_DIRECTORY": "/srv/env", "C360_TOKEN": "not a setting", "C360_LIMITS_MAX_BATCH_LOOKUPS": "7",
        ]
        let file = try ConfigurationFile(yaml: yaml, environment: environment)
        #expect(file.server.listen == "127.0.0.1:7000")
        #expect(file.server.logLevel == .debug)
        #expect(file.store.storage.blockCacheBytes == 256 << 20)
        #expect(file.store.walSync == .none)
        #expect(file.store.profile.windowDays == 14)
        #expect(file.store.profile.activeDays == 20)
        #expect(file.store.profile.atRiskDays == ProfileSettings().atRiskDays)
        #expect(file.dataDirectory == "/srv/env")
        #expect(file.server.limits.maxBatchLookups == 7)
        #expect(file.fromEnvironment["server.listen"] == "C360_SERVER_LISTEN")
        #expect(file.fromEnvironment.count == 7)

        let fileOnly = try ConfigurationFile(yaml: yaml)
        #expect(fileOnly.server.listen == "127.0.0.1:6000")
        #expect(fileOnly.store.storage.blockCacheBytes == 16 << 20)
        #expect(fileOnly.store.walSync == .everyCommit)

        let environmentOnly = try ConfigurationFile(environment: ["C360_SERVER_METRICS_LISTEN": "off"])
        #expect(environmentOnly.server.metricsListen == "off")
        #expect(environmentOnly.server.listen == ServerSettings().listen)
    }

    @Test("every key an environment variable can set is a key the file accepts")
    func everyEnvironmentKeyIsAKey() {
        for key in ConfigurationFile.environmentKeys {
            // An empty value suits no key: refused naming that key, never as an unknown one.
            let variable = ConfigurationFile.environmentVariable(for: key)
            let failure = Self.failure { () throws(C360Error) in _ = try ConfigurationFile(environment: [variable: ""]) }
            #expect(failure?.field == key, "\(variable): \(failure?.message ?? "accepted")")
            #expect(failure?.message.contains("is not a configuration key") == false, "\(variable): \(failure?.message ?? "accepted")")
        }
    }

    /// The error `body` throws, or nil.
    static func failure(_ body: () throws(C360Error) -> Void) -> C360Error? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test("a bad value from the environment is refused naming the key and the variable")
    func environmentMistakes() {
        #expect(performing: { try ConfigurationFile(environment: ["C360_LIMITS_MAX_REQUEST_BYTES": "lots"]) }, throws: { error in
            guard let error = error as? C360Error else { return false }
            return error.field == "limits.max_request_bytes" && error.message.contains("$C360_LIMITS_MAX_REQUEST_BYTES")
        })
        #expect(performing: { try ConfigurationFile(environment: ["C360_SERVER_LISTEN": "everywhere"]) }, throws: { error in
            (error as? C360Error)?.message.contains("$C360_SERVER_LISTEN") == true
        })
    }

    @Test("tokens are read with their scopes, and a token's secret is checked by its SHA-256")
    func tokens() throws {
        let (secret, token) = AccessToken.generate(name: "support-desk", scopes: [.read, .readPersonalData])
        #expect(secret.hasPrefix("c360_") && secret.count >= 40)
        let hex = token.sha256.map { String(format: "%02x", $0) }.joined()
        let file = try ConfigurationFile(yaml: """
            access:
              tokens:
                - name: support-desk
                  sha256: \(hex)
                  scopes: [read, "read:pii"]
            audit_log: /var/log/c360/audit.jsonl
            """)
        #expect(file.security.tokens == [token])
        #expect(file.store.auditLogPath == "/var/log/c360/audit.jsonl")
        let access = try AccessControl(tokens: file.security.tokens, audit: nil)
        let allowed = access.authorize(method: "/c360.v1.ProfileService/GetProfile", authorization: "Bearer \(secret)", peer: "test")
        #expect((try? allowed.get())?.seesPersonalData == true)
        let refused = access.authorize(method: "/c360.v1.ProfileService/AppendEvents", authorization: "Bearer \(secret)", peer: "test")
        #expect(throws: C360Error.self) { try refused.get() }
        let unlisted = access.authorize(method: "/c360.v1.ProfileService/DropEverything", authorization: "Bearer \(secret)", peer: "test")
        #expect(throws: C360Error.self) { try unlisted.get() }
        #expect((try? access.authorize(method: "/grpc.health.v1.Health/Check", authorization: nil, peer: "test").get()) != nil)
    }

    @Test("a segment from the file decides membership")
    func segmentMembership() throws {
        let file = try ConfigurationFile(yaml: "segments:\n  loyal:\n    all: [\"loyalty_tier in [gold]\", \"total_orders >= 2\"]")
        let loyal = try #require(file.store.segments.first)
        #expect(loyal.name == "loyal")
        #expect(loyal.conditions.map(\.field) == [.loyaltyTier, .totalOrders])
    }

    @Test("sources: each database with its mapping, read relative to the configuration file and checked at start; mistakes refused naming the key")
    func sources() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("c360-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/mappings", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shop = URL(fileURLWithPath: Self.example).deletingLastPathComponent().appendingPathComponent("mappings/shop-postgres.yaml").path
        try FileManager.default.copyItem(atPath: shop, toPath: directory + "/mappings/shop.yaml")
        try "mapping: bad\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n      web_event: {pgae: x}\n"
            .write(toFile: directory + "/mappings/bad.yaml", atomically: true, encoding: .utf8)
        func configuration(_ yaml: String) throws -> ConfigurationFile {
            try yaml.write(toFile: directory + "/c360.yaml", atomically: true, encoding: .utf8)
            return try ConfigurationFile(contentsOf: directory + "/c360.yaml")
        }
        let good = try configuration("sources:\n  - {name: shop-db, postgres: \"host=127.0.0.1 dbname=shop\", tables: [orders, customers], mapping: mappings/shop.yaml}\n")
        #expect(good.sources.map(\.name) == ["shop-db"])
        #expect(good.sources.first?.slot == "c360_shop_db")
        #expect(good.sources.first?.mapping.name == "shop-postgres")
        #expect(good.sources.first?.erasure == nil)
        let erasing = try configuration("sources:\n  - {name: shop-db, postgres: \"dbname=shop\", tables: [orders, public.customers], mapping: mappings/shop.yaml, erasure: {table: customers, customer_id: \"shop-{id}\"}}\n")
        #expect(erasing.sources.first?.erasure?.table == "customers")
        #expect(try erasing.sources.first?.erasure?.customerID.render(.object(["id": .string("42")])) == "shop-42")
        for (yaml, expected) in [
            ("sources:\n  - {name: a, postgres: \"dbname=x\", tables: [t], mapping: mappings/bad.yaml}\n", "sources.0.mapping: \(directory)/mappings/bad.yaml: line 8: rule \"r\": web_event.pgae is not a field"),
            ("sources:\n  - {name: a, postgres: \"dbname=x\", tables: [t], mapping: mappings/none.yaml}\n", "sources.0.mapping: cannot read"),
            ("sources:\n  - {name: a, tables: [t], mapping: mappings/shop.yaml}\n", "sources.0 needs name, postgres"),
            ("sources:\n  - {name: a, postgres: \"dbname=x replication=database\", tables: [t], mapping: mappings/shop.yaml}\n", "leave out replication="),
            ("sources:\n  - {name: a, postgres: \"dbname=x\", tables: [t], mapping: mappings/shop.yaml, colour: red}\n", "sources.0.colour is not a configuration key"),
            ("sources:\n  - {name: a, postgres: \"dbname=x\", tables: [t], mapping: mappings/shop.yaml, erasure: {table: customers, customer_id: \"{id}\"}}\n", "sources.0.erasure.table: customers is not one of the source's tables"),
            ("sources:\n  - {name: a, postgres: \"dbname=x\", tables: [t], mapping: mappings/shop.yaml, erasure: {table: t}}\n", "sources.0.erasure needs table and customer_id"),
            ("sources:\n  - {name: a, postgres: \"dbname=x\", tables: [t], mapping: mappings/shop.yaml, erasure: {table: t, customer_id: \"shop-{id\"}}\n", "a { is not closed"),
            ("sources:\n  - {name: a, postgres: \"dbname=x\", tables: [t], mapping: mappings/shop.yaml}\n  - {name: a, postgres: \"dbname=y\", tables: [t], mapping: mappings/shop.yaml}\n", "two sources are named a"),
        ] {
            #expect(throws: C360Error.self) { try configuration(yaml) }
            do {
                _ = try configuration(yaml)
            } catch let error as C360Error {
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
    }
}
