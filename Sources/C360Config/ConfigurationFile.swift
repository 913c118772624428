public import C360Core
import C360Mapping
public import C360PostgresSource
public import C360Service
public import C360Store
import Foundation
import Logging
import Yams

/// Reads c360's configuration file (YAML) into the settings of the store. Every key is optional
/// and has a documented default (`ops/c360.example.yaml`); an unknown key, a value of the wrong
/// type or a setting that makes no sense is an error naming the key, so a typo never passes
/// silently.
public struct ConfigurationFile {
    public var store = StoreConfiguration()
    /// TLS and access tokens for `c360 serve`.
    public var security = ServerSecurity()
    /// The directory `c360 serve` may write backup sets in, when asked through `CreateBackup`;
    /// `nil`: it writes none.
    public var backupRoot: String?
    /// The data directory; `nil`: the command's default (`./c360-data`).
    public var dataDirectory: String?
    /// Where `c360 serve` listens, how it logs, and its limits per call.
    public var server = ServerSettings()
    /// The databases `c360 serve` follows (`sources:`), each with its mapping read and checked.
    public var sources: [PostgresSourceSettings] = []
    /// The environment variables that set a value, by key (`server.listen`: `C360_SERVER_LISTEN`).
    public private(set) var fromEnvironment: [String: String] = [:]

    /// The defaults.
    public init() {}

    /// The defaults with the environment's overrides (see `environmentVariable(for:)`).
    public init(environment: [String: String]) throws(C360Error) {
        try self.init(yaml: "", environment: environment)
    }

    /// Parses `text`, then lets `environment` override it: a variable named after a key
    /// (`C360_` and the key's path in capitals, dots as underscores: `C360_SERVER_LISTEN` for
    /// `server.listen`) replaces the file's value, checked as the file's would be. Every key
    /// holding a single value has one (`environmentKeys`); lists and mappings do not.
    /// - Throws: `C360Error` `.invalidArgument` with `field` set to the key at fault, and the
    ///   variable named in the message when the value came from one.
    /// - Parameter directory: where relative paths in the file (a source's mapping) are found;
    ///   default the current directory.
    public init(yaml text: String, environment: [String: String] = [:], directory: String? = nil) throws(C360Error) {
        var root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw C360Error(.invalidArgument, "the configuration is not valid YAML: \(error)")
        }
        for key in Self.environmentKeys {
            let variable = Self.environmentVariable(for: key)
            guard let text = environment[variable] else { continue }
            root = Self.setting(EnvironmentValue(variable: variable, text: text), at: key.split(separator: ".").map(String.init), in: root)
            fromEnvironment[key] = variable
        }
        let node = Node(path: "", value: root ?? [String: Any]())
        try node.object { key, value throws(C360Error) in
            switch key {
            case "data_directory": dataDirectory = try value.string(nonEmpty: true)
            case "server": try readServer(value)
            case "limits": try readLimits(value)
            case "rocksdb": try readRocksDB(value)
            case "profile": try readProfile(value)
            case "identity": try readIdentity(value)
            case "segments": try readSegments(value)
            case "tls": try readTLS(value)
            case "access": try readAccess(value)
            case "audit_log": store.auditLogPath = try value.string(nonEmpty: true)
            case "sources": sources = try Self.readSources(value, directory: directory)
            case "backup":
                try value.object { key, value throws(C360Error) in
                    switch key {
                    case "root": backupRoot = try value.string(nonEmpty: true)
                    default: throw value.unknown()
                    }
                }
            case "fold":
                try value.object { key, value throws(C360Error) in
                    switch key {
                    case "day_buckets_kept": store.fold.dayBucketsKept = try value.int(atLeast: 1, atMost: 3_660)
                    case "recent_errors_kept": store.fold.recentErrorsKept = try value.int(atLeast: 0, atMost: 1_000)
                    case "identity_conflicts_kept": store.fold.identityConflictsKept = try value.int(atLeast: 0, atMost: 1_000)
                    default: throw value.unknown()
                    }
                }
            case "storage":
                try value.object { key, value throws(C360Error) in
                    switch key {
                    case "reserved_disk_mb": store.reservedDiskBytes = UInt64(try value.int(atLeast: 0)) << 20
                    case "append_queue_mb": store.appendQueueBytes = try value.int(atLeast: 1, atMost: 4_096) << 20
                    case "cached_projections": store.cachedProjections = try value.int(atLeast: 0, atMost: 100_000_000)
                    case "cached_stored_projections_mb": store.cachedStoredProjectionBytes = try value.int(atLeast: 0, atMost: 65_536) << 20
                    case "cached_stored_projections":
                        throw C360Error(
                            .invalidArgument,
                            "storage.cached_stored_projections (a number of projections) is now storage.cached_stored_projections_mb, the cache's memory in MiB (default 96)",
                            field: "storage.cached_stored_projections")
                    case "cached_profiles": store.cachedProfiles = try value.int(atLeast: 0, atMost: 100_000_000)
                    case "projection_write_behind_mb": store.projectionWriteBehindBytes = try value.int(atLeast: 1, atMost: 4_096) << 20
                    case "projection_write_behind_seconds":
                        let seconds = try value.double()
                        guard seconds > 0, seconds <= 600 else {
                            throw C360Error(.invalidArgument, "storage.projection_write_behind_seconds must be more than 0 and at most 600", field: "storage.projection_write_behind_seconds")
                        }
                        store.projectionWriteBehindSeconds = seconds
                    default: throw value.unknown()
                    }
                }
            default: throw value.unknown()
            }
        }
        try store.profile.validate(dayBucketsKept: store.fold.dayBucketsKept)
    }

    /// Reads the file at `path`, with the environment's overrides.
    public init(contentsOf path: String, environment: [String: String] = [:]) throws(C360Error) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw C360Error(.io, "cannot read the configuration file \(path)")
        }
        do throws(C360Error) {
            let directory = (path as NSString).deletingLastPathComponent
            try self.init(yaml: String(decoding: data, as: UTF8.self), environment: environment, directory: directory.isEmpty ? nil : directory)
        } catch {
            throw C360Error(error.code, "\(path): \(error.message)", field: error.field)
        }
    }

    /// The keys an environment variable can set: every key holding a single value.
    public static let environmentKeys: [String] = [
        "data_directory", "audit_log", "backup.root", "storage.reserved_disk_mb", "storage.append_queue_mb",
        "storage.projection_write_behind_mb", "storage.projection_write_behind_seconds", "storage.cached_projections",
        "storage.cached_stored_projections_mb", "storage.cached_profiles",
        "server.listen", "server.metrics_listen", "server.console_listen", "server.log_format", "server.log_level", "server.allow_unauthenticated",
        "server.event_loops",
        "limits.max_request_bytes", "limits.max_events_per_append", "limits.max_events_per_stream", "limits.max_batch_lookups",
        "limits.max_timeline_page", "limits.max_watched_customers", "limits.max_segment_page", "limits.max_concurrent_streams",
        "limits.max_min_seq_wait_seconds",
        "rocksdb.block_cache_mb", "rocksdb.compression", "rocksdb.wal_sync", "rocksdb.write_buffer_mb",
        "rocksdb.total_write_buffer_mb", "rocksdb.background_jobs", "rocksdb.indexes_in_block_cache",
        "tls.certificate_chain", "tls.private_key", "tls.client_ca",
        "identity.max_identities_per_customer", "identity.max_merged_histories_per_customer",
        "profile.window_days", "profile.lifecycle.active_days", "profile.lifecycle.at_risk_days", "profile.lifecycle.lapsing_days",
        "profile.churn_risk_health_below", "profile.channel_expansion_minimum_orders",
        "profile.app_adoption_minimum_recent_web_events", "profile.top_products", "profile.top_categories",
        "fold.day_buckets_kept", "fold.recent_errors_kept", "fold.identity_conflicts_kept",
    ]

    /// `C360_SERVER_LISTEN` for `server.listen`.
    public static func environmentVariable(for key: String) -> String {
        "C360_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// `tree` with `value` at `path`, mappings created on the way.
    private static func setting(_ value: EnvironmentValue, at path: [String], in tree: Any?) -> Any {
        guard let key = path.first else { return value }
        var mapping: [String: Any] = [:]
        if let strings = tree as? [String: Any] {
            mapping = strings
        } else if let any = tree as? [AnyHashable: Any] {
            mapping = Dictionary(any.map { ("\($0.key)", $0.value) }, uniquingKeysWith: { first, _ in first })
        }
        mapping[key] = setting(value, at: Array(path.dropFirst()), in: mapping[key])
        return mapping
    }

    private mutating func readServer(_ node: Node) throws(C360Error) {
        var server = self.server
        try node.object { key, value throws(C360Error) in
            switch key {
            case "listen": server.listen = try value.address()
            case "metrics_listen": server.metricsListen = try value.address(offAllowed: true)
            case "console_listen": server.consoleListen = try value.address(offAllowed: true)
            case "log_format": server.logFormat = try value.choice(LogFormat.self)
            case "log_level": server.logLevel = try value.choice(Logger.Level.self)
            case "allow_unauthenticated": server.allowUnauthenticated = try value.bool()
            case "event_loops": server.eventLoops = try value.int(atLeast: 1, atMost: ServerSettings.maximumEventLoops)
            default: throw value.unknown()
            }
        }
        self.server = server
    }

    private mutating func readLimits(_ node: Node) throws(C360Error) {
        var limits = server.limits
        try node.object { key, value throws(C360Error) in
            switch key {
            case "max_request_bytes": limits.maxRequestBytes = try value.int(atLeast: 1)
            case "max_events_per_append": limits.maxEventsPerAppend = try value.int(atLeast: 1)
            case "max_events_per_stream": limits.maxEventsPerStream = try value.int(atLeast: 1)
            case "max_batch_lookups": limits.maxBatchLookups = try value.int(atLeast: 1)
            case "max_timeline_page": limits.maxTimelinePage = try value.int(atLeast: 1)
            case "max_watched_customers": limits.maxWatchedCustomers = try value.int(atLeast: 1)
            case "max_segment_page": limits.maxSegmentPage = try value.int(atLeast: 1)
            case "max_concurrent_streams": limits.maxConcurrentStreams = try value.int(atLeast: 1)
            case "max_min_seq_wait_seconds": limits.maxMinSeqWaitSeconds = try value.int(atLeast: 0)
            default: throw value.unknown()
            }
        }
        server.limits = limits
    }

    private mutating func readRocksDB(_ node: Node) throws(C360Error) {
        var store = self.store
        try node.object { key, value throws(C360Error) in
            switch key {
            case "block_cache_mb": store.storage.blockCacheBytes = try value.int(atLeast: 1) << 20
            case "compression": store.storage.compression = try value.choice(StorageSettings.Compression.self)
            case "wal_sync": store.walSync = try value.choice(StoreConfiguration.WALSync.self)
            case "write_buffer_mb": store.storage.writeBufferBytes = try value.int(atLeast: 1) << 20
            case "total_write_buffer_mb": store.storage.totalWriteBufferBytes = try value.int(atLeast: 1) << 20
            case "background_jobs": store.storage.backgroundJobs = try value.int(atLeast: 1, atMost: 64)
            case "indexes_in_block_cache": store.storage.indexesAndFiltersInBlockCache = try value.bool()
            default: throw value.unknown()
            }
        }
        self.store = store
    }

    private mutating func readProfile(_ node: Node) throws(C360Error) {
        var settings = store.profile
        try node.object { key, value throws(C360Error) in
            switch key {
            case "window_days": settings.windowDays = try value.int()
            case "lifecycle":
                try value.object { key, value throws(C360Error) in
                    switch key {
                    case "active_days": settings.activeDays = try value.int()
                    case "at_risk_days": settings.atRiskDays = try value.int()
                    case "lapsing_days": settings.lapsingDays = try value.int()
                    default: throw value.unknown()
                    }
                }
            case "rfm":
                try value.object { key, value throws(C360Error) in
                    switch key {
                    case "recency_days": settings.recencyDays = try value.ints()
                    case "frequency_orders": settings.frequencyOrders = try value.ints()
                    case "monetary_major_units": settings.monetaryMajorUnits = try value.ints()
                    default: throw value.unknown()
                    }
                }
            case "health_weights":
                try value.object { key, value throws(C360Error) in
                    switch key {
                    case "recency": settings.healthWeights.recency = try value.double()
                    case "frequency": settings.healthWeights.frequency = try value.double()
                    case "monetary": settings.healthWeights.monetary = try value.double()
                    case "engagement": settings.healthWeights.engagement = try value.double()
                    case "support": settings.healthWeights.support = try value.double()
                    default: throw value.unknown()
                    }
                }
            case "churn_risk_stages": settings.churnRiskStages = try value.strings()
            case "churn_risk_health_below": settings.churnRiskHealthBelow = try value.int()
            case "channel_expansion_minimum_orders": settings.channelExpansionMinimumOrders = try value.int()
            case "app_adoption_minimum_recent_web_events": settings.appAdoptionMinimumRecentWebEvents = try value.int()
            case "tier_thresholds":
                try value.object { key, value throws(C360Error) in
                    switch key {
                    case "bronze": settings.tierThresholds.bronze = try value.int()
                    case "silver": settings.tierThresholds.silver = try value.int()
                    case "gold": settings.tierThresholds.gold = try value.int()
                    case "platinum": settings.tierThresholds.platinum = try value.int()
                    default: throw value.unknown()
                    }
                }
            case "top_products": settings.topProducts = try value.int()
            case "top_categories": settings.topCategories = try value.int()
            default: throw value.unknown()
            }
        }
        store.profile = settings
    }

    private mutating func readIdentity(_ node: Node) throws(C360Error) {
        var store = self.store
        try node.object { key, value throws(C360Error) in
            switch key {
            case "max_identities_per_customer": store.maximumIdentitiesPerCustomer = try value.int(atLeast: 1)
            case "max_merged_histories_per_customer": store.maximumMergedHistoriesPerCustomer = try value.int(atLeast: 0)
            default: throw value.unknown()
            }
        }
        self.store = store
    }

    private mutating func readTLS(_ node: Node) throws(C360Error) {
        var chain: String?
        var privateKey: String?
        var clientCA: String?
        try node.object { key, value throws(C360Error) in
            switch key {
            case "certificate_chain": chain = try value.readableFile()
            case "private_key": privateKey = try value.readableFile()
            case "client_ca": clientCA = try value.readableFile()
            default: throw value.unknown()
            }
        }
        guard let chain, let privateKey else {
            throw C360Error(.invalidArgument, "tls needs both certificate_chain and private_key", field: "tls")
        }
        security.tls = .init(certificateChain: chain, privateKey: privateKey, clientCertificateAuthorities: clientCA)
    }

    private mutating func readAccess(_ node: Node) throws(C360Error) {
        var tokens: [AccessToken] = []
        try node.object { key, value throws(C360Error) in
            guard key == "tokens" else { throw value.unknown() }
            tokens = try value.list { entry throws(C360Error) in try Self.readToken(entry) }
        }
        do throws(C360Error) {
            _ = try AccessControl(tokens: tokens, audit: nil)
        } catch {
            throw C360Error(.invalidArgument, "access.tokens: \(error.message)", field: "access.tokens")
        }
        security.tokens = tokens
    }

    private static func readToken(_ node: Node) throws(C360Error) -> AccessToken {
        var name: String?
        var digest: [UInt8]?
        var scopes: Set<AccessScope>?
        try node.object { key, value throws(C360Error) in
            switch key {
            case "name": name = try value.string(nonEmpty: true)
            case "sha256":
                let hex = try value.string()
                guard hex.count == 64, let bytes = Self.bytes(hex: hex) else {
                    throw C360Error(.invalidArgument, "\(value.path) must be 64 hexadecimal digits (`c360 token create` prints it)", field: value.path)
                }
                digest = bytes
            case "scopes":
                let names = try value.strings()
                scopes = try Set(names.enumerated().map { index, name throws(C360Error) in
                    guard let scope = AccessScope(rawValue: name) else {
                        let known = AccessScope.allCases.map(\.rawValue).joined(separator: ", ")
                        throw C360Error(.invalidArgument, "\(value.path).\(index): \(name) is not a scope (\(known))", field: "\(value.path).\(index)")
                    }
                    return scope
                })
                guard scopes?.isEmpty == false else {
                    throw C360Error(.invalidArgument, "\(value.path) must name at least one scope", field: value.path)
                }
            default: throw value.unknown()
            }
        }
        guard let name, let digest, let scopes else {
            throw C360Error(.invalidArgument, "\(node.path) needs name, sha256 and scopes", field: node.path)
        }
        return AccessToken(name: name, sha256: digest, scopes: scopes)
    }

    private static func bytes(hex: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next() {
            guard let low = iterator.next(), let h = nibble(high), let l = nibble(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `sources:`, a list of databases to follow: name, postgres (a libpq connection string),
    /// tables, mapping (a file, relative to the configuration's), and optionally slot,
    /// publication and erasure (`{table: customers, customer_id: "shop-{id}"}`: that table's
    /// deleted rows erase the customer they name). The mapping is read and checked here, so a bad one stops c360 at start.
    private static func readSources(_ node: Node, directory: String?) throws(C360Error) -> [PostgresSourceSettings] {
        let sources = try node.list { item throws(C360Error) -> PostgresSourceSettings in
            var name: String?
            var connection: String?
            var tables: [String] = []
            var mappingPath: String?
            var slot: String?
            var publication: String?
            var erasure: PostgresSourceSettings.Erasure?
            try item.object { key, value throws(C360Error) in
                switch key {
                case "name": name = try value.string(nonEmpty: true)
                case "postgres": connection = try value.string(nonEmpty: true)
                case "tables": tables = try value.strings()
                case "mapping": mappingPath = try value.string(nonEmpty: true)
                case "slot": slot = try value.string(nonEmpty: true)
                case "publication": publication = try value.string(nonEmpty: true)
                case "erasure":
                    var table: String?
                    var customerID: TextTemplate?
                    try value.object { key, value throws(C360Error) in
                        switch key {
                        case "table": table = try value.string(nonEmpty: true)
                        case "customer_id":
                            do throws(C360Error) {
                                customerID = try TextTemplate(try value.string(nonEmpty: true))
                            } catch {
                                throw C360Error(.invalidArgument, "\(value.path): \(error.message)", field: value.path)
                            }
                        default: throw value.unknown()
                        }
                    }
                    guard let table, let customerID else {
                        throw C360Error(.invalidArgument, "\(value.path) needs table and customer_id (a template over the deleted row's key columns, such as \"shop-{id}\")", field: value.path)
                    }
                    erasure = .init(table: table, customerID: customerID)
                default: throw value.unknown()
                }
            }
            guard let name, let connection, let mappingPath, !tables.isEmpty else {
                throw C360Error(.invalidArgument, "\(item.path) needs name, postgres (a connection string), tables and mapping", field: item.path)
            }
            guard !connection.contains("replication=") else {
                throw C360Error(.invalidArgument, "\(item.path).postgres: leave out replication=, the source adds it where it needs it", field: item.path + ".postgres")
            }
            let path = mappingPath.hasPrefix("/") || directory == nil ? mappingPath : directory! + "/" + mappingPath
            guard let data = FileManager.default.contents(atPath: path) else {
                throw C360Error(.invalidArgument, "\(item.path).mapping: cannot read \(path)", field: item.path + ".mapping")
            }
            let mapping: Mapping
            do throws(C360Error) {
                mapping = try Mapping(yaml: String(decoding: data, as: UTF8.self))
            } catch {
                throw C360Error(.invalidArgument, "\(item.path).mapping: \(path): \(error.message)", field: item.path + ".mapping")
            }
            if let erasure, !tables.contains(where: { PostgresSource.sameTable($0, erasure.table) || PostgresSource.sameTable(erasure.table, $0) }) {
                throw C360Error(.invalidArgument, "\(item.path).erasure.table: \(erasure.table) is not one of the source's tables", field: item.path + ".erasure.table")
            }
            return PostgresSourceSettings(name: name, connection: connection, tables: tables, mapping: mapping, slot: slot, publication: publication, erasure: erasure)
        }
        var names: Set<String> = []
        for source in sources where !names.insert(source.name).inserted {
            throw C360Error(.invalidArgument, "sources: two sources are named \(source.name)", field: "sources")
        }
        return sources
    }

    private mutating func readSegments(_ node: Node) throws(C360Error) {
        var segments: [Segment] = []
        try node.object { name, value throws(C360Error) in
            var description = ""
            var conditions: [String] = []
            try value.object { key, value throws(C360Error) in
                switch key {
                case "description": description = try value.string()
                case "all": conditions = try value.strings()
                default: throw value.unknown()
                }
            }
            segments.append(try Segment(name: name, description: description, conditions: conditions))
        }
        store.segments = segments.sorted { $0.name < $1.name }
    }
}

/// A value in the parsed YAML with the key path that leads to it, for error messages.
struct Node {
    let path: String
    let value: Any
    /// The environment variable the value came from, if it did.
    var variable: String?

    func child(_ key: String, _ value: Any) -> Node {
        let path = path.isEmpty ? key : "\(path).\(key)"
        if let setting = value as? EnvironmentValue {
            return Node(path: path, value: setting.text, variable: setting.variable)
        }
        return Node(path: path, value: value)
    }

    /// The key, and the variable that set it: what an error message names.
    var described: String {
        variable.map { "\(path) (set by $\($0))" } ?? path
    }

    func unknown() -> C360Error {
        C360Error(.invalidArgument, "\(path) is not a configuration key", field: path)
    }

    /// The value's text if it came from the environment, where every value is text.
    private var environmentText: String? {
        variable == nil ? nil : value as? String
    }

    func bool() throws(C360Error) -> Bool {
        if let flag = value as? Bool { return flag }
        switch environmentText?.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw wrongType("true or false")
        }
    }

    /// One of `Choice`'s cases, by name.
    func choice<Choice: RawRepresentable & CaseIterable>(_: Choice.Type) throws(C360Error) -> Choice where Choice.RawValue == String {
        let text = try string()
        guard let choice = Choice(rawValue: text) else {
            let names = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw C360Error(.invalidArgument, "\(described) must be one of \(names), not \(text)", field: path)
        }
        return choice
    }

    /// A HOST:PORT address (or `off`).
    func address(offAllowed: Bool = false) throws(C360Error) -> String {
        let text = try string()
        guard (offAllowed && text == "off") || (try? ListenAddress.parse(text)) != nil else {
            throw C360Error(.invalidArgument, "\(described) must be HOST:PORT such as 127.0.0.1:50051\(offAllowed ? " or off" : ""), not \(text)", field: path)
        }
        return text
    }

    func object(_ body: (String, Node) throws(C360Error) -> Void) throws(C360Error) {
        if value is NSNull { return }
        let object: [String: Any]
        if let strings = value as? [String: Any] {
            object = strings
        } else if let any = value as? [AnyHashable: Any] {
            object = Dictionary(any.map { ("\($0.key)", $0.value) }, uniquingKeysWith: { first, _ in first })
        } else {
            throw wrongType("a mapping of keys to values")
        }
        for key in object.keys.sorted() {
            try body(key, child(key, object[key]!))
        }
    }

    func int(atLeast minimum: Int = Int.min, atMost maximum: Int = Int.max) throws(C360Error) -> Int {
        guard let number = (value as? Int).flatMap({ value is Bool ? nil : $0 }) ?? environmentText.flatMap({ Int($0) }) else {
            throw wrongType("a whole number")
        }
        guard number >= minimum else { throw C360Error(.invalidArgument, "\(described) must be at least \(minimum)", field: path) }
        guard number <= maximum else { throw C360Error(.invalidArgument, "\(described) must be at most \(maximum)", field: path) }
        return number
    }

    func double() throws(C360Error) -> Double {
        if let number = value as? Double { return number }
        if let number = value as? Int { return Double(number) }
        if let number = environmentText.flatMap({ Double($0) }) { return number }
        throw wrongType("a number")
    }

    func string() throws(C360Error) -> String {
        guard let text = value as? String else { throw wrongType("text") }
        return text
    }

    func ints() throws(C360Error) -> [Int] {
        guard let list = value as? [Any] else { throw wrongType("a list of whole numbers") }
        return try list.enumerated().map { index, item throws(C360Error) in try child("\(index)", item).int() }
    }

    func string(nonEmpty: Bool) throws(C360Error) -> String {
        let text = try string()
        guard !nonEmpty || !text.isEmpty else { throw C360Error(.invalidArgument, "\(described) must not be empty", field: path) }
        return text
    }

    /// A path to a file this process can read.
    func readableFile() throws(C360Error) -> String {
        let file = try string(nonEmpty: true)
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw C360Error(.invalidArgument, "\(described): cannot read the file \(file)", field: path)
        }
        return file
    }

    func list<Element>(_ body: (Node) throws(C360Error) -> Element) throws(C360Error) -> [Element] {
        guard let items = value as? [Any] else { throw wrongType("a list") }
        return try items.enumerated().map { index, item throws(C360Error) in try body(child("\(index)", item)) }
    }

    func strings() throws(C360Error) -> [String] {
        guard let list = value as? [Any] else { throw wrongType("a list") }
        return try list.enumerated().map { index, item throws(C360Error) in try child("\(index)", item).string() }
    }

    private func wrongType(_ expected: String) -> C360Error {
        C360Error(.invalidArgument, "\(described) must be \(expected)", field: path)
    }
}

/// A value set by an environment variable, placed in the parsed file's tree.
struct EnvironmentValue {
    let variable: String
    let text: String
}
