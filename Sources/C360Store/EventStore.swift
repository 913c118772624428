public import C360Core
public import C360Model
import Foundation
import RocksDB
import SwiftProtobuf
import Synchronization

/// The event log of one data directory and the projections folded from it.
///
/// ```swift
/// let store = try EventStore(directory: "./c360-data")
/// let outcomes = await store.append(events)
/// let profile = try store.profile(customerID: "cust_1", asOf: .now)
/// ```
///
/// Appends, erasures, snapshots and replays are serialised on one writer; reads go straight to
/// RocksDB from any thread and see every acknowledged append.
public final class EventStore: Sendable {
    /// The data directory.
    public let directory: String
    public let configuration: StoreConfiguration
    let database: Database
    let families: Families
    let pseudonyms: PseudonymKey
    /// Each identity's and customer id's keyed hash to its subject; written by the writer alone.
    let identityIndex: FilteredIndex
    /// Each appended event's id to its log position; written by the writer alone.
    let appendedEventIDs: FilteredIndex
    let writer: LogWriter
    /// Where erasures are made physical and proved after the writer committed them.
    let physicalErasures: PhysicalErasures
    /// Every commit, as it happens: for live change streams and read-your-writes waits.
    public let changes: ChangeFeed
    /// Every segment membership change, as it happens.
    public let segmentChanges = SegmentFeed()
    /// The projections, written behind the log: the writer folds into them, lookups read them.
    let projections: ProjectionStore
    /// Customer id to subject, for lookups: saves the keyed hash and the index read. A customer's
    /// subject never changes; only an erasure removes it, and its entry here.
    let customerSubjects: SharedCache<String, UInt64>
    /// Set by `recoverProjections` when opening the store folded the log again.
    let recoveryFigures = Mutex<Recovery?>(nil)
    /// A build of the configured fold's projections, due or under way (`buildProjectionVersion`).
    let versionBuild: Mutex<VersionBuildState>
    /// Runs `buildProjectionVersion`.
    let versionBuilds = DispatchQueue(label: "c360.projection-build", qos: .utility)
    /// Every erasure, and every call access control refused (see `AuditLog`).
    public let audit: AuditLog
    private let lock: DataDirectoryLock

    struct Families: Sendable {
        let events, log, dedup, identities, snapshots, tombstones, meta, resolutions, merges, segments: ColumnFamily
        /// The two projection keyspaces (see `ProjectionStore`); use `projections.family` for the current one.
        let projectionKeyspaces: [ColumnFamily]

        init(_ database: Database) throws(RocksDBError) {
            events = try database.columnFamily("events")
            log = try database.columnFamily("log")
            dedup = try database.columnFamily("dedup")
            identities = try database.columnFamily("identities")
            projectionKeyspaces = [try database.columnFamily("projections"), try database.columnFamily("projections_b")]
            snapshots = try database.columnFamily("snapshots")
            tombstones = try database.columnFamily("tombstones")
            meta = try database.columnFamily("meta")
            resolutions = try database.columnFamily("resolutions")
            merges = try database.columnFamily("merges")
            segments = try database.columnFamily("segments")
        }

        var all: [ColumnFamily] { [events, log, dedup, identities, snapshots, tombstones, meta, resolutions, merges, segments] + projectionKeyspaces }
    }

    /// Opens the store in `directory`, creating it if needed, and rebuilds the projections from the
    /// log if they were folded by another version of the fold.
    /// - Throws: `C360Error` — `.dataDirectoryLocked` when another process has it open,
    ///   `.corruption` or `.io` when RocksDB cannot open it.
    public init(directory: String, configuration: StoreConfiguration = .init()) throws(C360Error) {
        self.directory = directory
        self.configuration = configuration
        self.lock = try DataDirectoryLock(directory: directory)
        do {
            self.database = try Database(path: directory, columnFamilies: StoreKeys.columnFamilies, options: configuration.storage.options)
            self.families = try Families(database)
        } catch {
            throw C360Error(storage: error, doing: "open the data directory \(directory)")
        }
        self.physicalErasures = PhysicalErasures(
            database: database, directory: directory,
            settings: .init(
                verify: configuration.verifyErasure, restFactor: configuration.erasureRestFactor,
                targetFileBytes: configuration.storage.options.targetFileBytes))
        self.audit = try AuditLog(path: configuration.auditLogPath ?? directory + "/" + Self.auditLogName)
        let (pseudonyms, state, stored) = try EventStore.loadMeta(database, families, fold: configuration.fold)
        self.pseudonyms = pseudonyms
        self.identityIndex = FilteredIndex(database: database, family: families.identities, name: "the identity index", label: "identity-index")
        self.appendedEventIDs = FilteredIndex(database: database, family: families.dedup, name: "the dedup entries", label: "event-id")
        self.projections = ProjectionStore(
            database: database, keyspaces: families.projectionKeyspaces, current: stored.keyspace, meta: families.meta,
            checkpoint: stored.checkpoint ?? state.lastSeq, cachedProjections: configuration.cachedProjections,
            cachedStoredProjectionBytes: configuration.cachedStoredProjectionBytes, cachedProfiles: configuration.cachedProfiles,
            limits: .init(bytes: configuration.projectionWriteBehindBytes, seconds: configuration.projectionWriteBehindSeconds))
        self.versionBuild = Mutex(VersionBuildState(builtBy: stored.fold))
        self.customerSubjects = SharedCache(capacity: configuration.cachedIndexEntries)
        self.writer = LogWriter(
            state: state,
            caches: WriterCaches(customers: configuration.cachedProjections, indexEntries: configuration.cachedIndexEntries),
            queueBytes: configuration.appendQueueBytes)
        self.changes = ChangeFeed(lastSeq: state.lastSeq)
        StoreMetrics.prepare()
        // What the other keyspace holds is left from a build that did not finish, or from before a switch.
        try clearOtherKeyspace()
        if stored.fold != configuration.fold.fingerprint, configuration.projectionRebuild == .whenOpening {
            _ = try rebuildAllProjections(progress: nil)
            projections.rewritten(through: state.lastSeq)
        } else if projections.checkpoint < state.lastSeq {
            try recoverProjections()
        }
        identityIndex.startFillingFilter()
        appendedEventIDs.startFillingFilter()
    }

    /// What the metadata says of the stored projections.
    struct StoredProjections {
        var keyspace = 0
        /// The fold that built them (`ProjectionFold.fingerprint`).
        var fold: String
        /// The log position they reflect (`nil`: the last, from before they were written behind).
        var checkpoint: UInt64?
    }

    /// The audit log's file in the data directory, unless configured elsewhere.
    public static let auditLogName = "audit.jsonl"

    private static func loadMeta(_ database: Database, _ families: Families, fold: ProjectionFold) throws(C360Error) -> (PseudonymKey, WriterState, StoredProjections) {
        do {
            let batch = WriteBatch(for: database)
            if let stored = try database.get(StoreKeys.Meta.schemaVersion, in: families.meta) {
                guard let version = StoreKeys.uint64(stored), version <= StoreKeys.schemaVersion else {
                    throw C360Error(.corruption, "this data directory was written by a newer c360 (schema \(StoreKeys.uint64(stored) ?? 0)); upgrade c360 to open it")
                }
                guard version >= StoreKeys.oldestOpenedSchemaVersion else {
                    throw C360Error(.failedPrecondition, "this data directory has schema \(version), from before identity resolution was recorded in the log; this c360 reads schemas \(StoreKeys.oldestOpenedSchemaVersion) to \(StoreKeys.schemaVersion) only: re-ingest its events into a new directory")
                }
                // Marked current at once, so that a c360 from before it refuses the directory
                // rather than misread the checkpoint kept among the projections.
                if version < StoreKeys.schemaVersion {
                    batch.put(StoreKeys.Meta.schemaVersion, StoreKeys.bigEndian(StoreKeys.schemaVersion), in: families.meta)
                }
            } else {
                batch.put(StoreKeys.Meta.schemaVersion, StoreKeys.bigEndian(StoreKeys.schemaVersion), in: families.meta)
                batch.put(StoreKeys.Meta.projectionVersion, StoreKeys.bigEndian(UInt64(ProjectionFold.version)), in: families.meta)
                batch.put(StoreKeys.projectionsCheckpoint, StoreKeys.bigEndian(0), in: families.projectionKeyspaces[0])
                batch.put(StoreKeys.Meta.projectionFold, Array(fold.fingerprint.utf8), in: families.meta)
            }
            let keyBytes: [UInt8]
            if let stored = try database.get(StoreKeys.Meta.pseudonymKey, in: families.meta) {
                keyBytes = stored
            } else {
                keyBytes = PseudonymKey.generate()
                batch.put(StoreKeys.Meta.pseudonymKey, keyBytes, in: families.meta)
            }
            if batch.count > 0 { try database.write(batch, sync: true) }

            var state = WriterState()
            state.lastSeq = try database.get(StoreKeys.Meta.lastSeq, in: families.meta).flatMap { StoreKeys.uint64($0) } ?? 0
            state.nextSubject = try database.get(StoreKeys.Meta.nextSubject, in: families.meta).flatMap { StoreKeys.uint64($0) } ?? 1
            state.eventCount = try database.get(StoreKeys.Meta.eventCount, in: families.meta).flatMap { StoreKeys.uint64($0) } ?? 0
            state.segmentDay = try database.get(StoreKeys.Meta.segmentDay, in: families.meta).flatMap { StoreKeys.uint64($0) }
                .map { Int64(bitPattern: $0) } ?? Instant.now.dayNumber
            for (range, insert) in [
                (StoreKeys.tombstonesByHash, { (key: [UInt8]) in state.erasedCustomerHashes.insert(IndexKey(key)) }),
                (StoreKeys.tombstonesByIdentity, { (key: [UInt8]) in state.erasedIdentityKeys.insert(IndexKey(key)) }),
            ] as [((from: [UInt8], to: [UInt8]), ([UInt8]) -> Void)] {
                // The keys are one prefix byte and the hash or index key.
                try database.forEachEntry(in: families.tombstones, from: range.from, to: range.to) { key, _ in
                    insert(Array(key.dropFirst()))
                }
            }
            let projectionVersion = try database.get(StoreKeys.Meta.projectionVersion, in: families.meta)
                .flatMap { StoreKeys.uint64($0) }.map { UInt32(truncatingIfNeeded: $0) }
            // Before folds were fingerprinted only the version was stored: its settings were this configuration's.
            let storedFold = try database.get(StoreKeys.Meta.projectionFold, in: families.meta).map { String(decoding: $0, as: UTF8.self) }
                ?? (projectionVersion == ProjectionFold.version ? fold.fingerprint : "v\(projectionVersion ?? 0)")
            // Commits fold as the stored projections were folded, until they are rebuilt by the configured fold.
            state.fold = ProjectionFold(fingerprint: storedFold) ?? fold
            var stored = StoredProjections(fold: storedFold)
            stored.keyspace = try database.get(StoreKeys.Meta.projectionKeyspace, in: families.meta)
                .flatMap { StoreKeys.uint64($0) } == 1 ? 1 : 0
            stored.checkpoint = try (database.get(StoreKeys.projectionsCheckpoint, in: families.projectionKeyspaces[stored.keyspace])
                ?? database.get(StoreKeys.Meta.projectionsThrough, in: families.meta)).flatMap { StoreKeys.uint64($0) }
            return (PseudonymKey(bytes: keyBytes), state, stored)
        } catch {
            throw C360Error(error, doing: "read the store's metadata")
        }
    }

    /// Closes the data directory now: waits for the writer to finish what it began, writes the
    /// projections waiting behind the log and flushes RocksDB's memtables (so that the next open
    /// has nothing to recover or replay), ends every change stream and closes RocksDB. Later calls
    /// fail with `.unavailable`. A server calls it once it has stopped serving, so that the process
    /// never exits with RocksDB still open.
    public func close() {
        close(waitingForCompactionsUpTo: 0)
    }

    /// `close()`, letting RocksDB finish the compactions its last flushes made due for up to
    /// `seconds` before closing it: closing cancels a compaction under way and throws its work
    /// away, and the next open starts it again from the beginning (after a bulk load, the whole
    /// events column family: 4 s of a core for 2,000,000 events here, in the first seconds of the
    /// next server). For a process that wrote much and is stopping anyway, as a server's stop, the
    /// way PostgreSQL's shutdown checkpoint writes what its buffers hold. Returns whether RocksDB
    /// settled and how long the wait took.
    @discardableResult
    public func close(waitingForCompactionsUpTo seconds: Double) -> (settled: Bool, seconds: Double) {
        cancelVersionBuild()
        versionBuilds.sync {}
        projections.stopWarming()
        identityIndex.stopFillingFilter()
        appendedEventIDs.stopFillingFilter()
        writer.sync {}
        physicalErasures.waitForPassUnderWay()
        // A failure here loses nothing: the next open folds the log after the checkpoint.
        try? projections.writeAll()
        try? database.flushAll()
        let started = ContinuousClock.now
        let settled = database.waitForBackgroundWork(upTo: seconds)
        let waited = Self.seconds(since: started)
        changes.finishAll()
        segmentChanges.finishAll()
        database.close()
        lock.release()
        return (settled, waited)
    }

    /// Reads the stored projections, and which customer each belongs to, into memory in the
    /// background, as far as `cachedStoredProjectionBytes` and `cachedIndexEntries` hold them: for a
    /// server, so that its first appends and lookups of each customer do not wait for RocksDB.
    public func warmCaches() {
        projections.warm(customerSubjects: customerSubjects)
    }

    /// The last log position assigned, including tombstones.
    public var lastSeq: UInt64 {
        (try? database.get(StoreKeys.Meta.lastSeq, in: families.meta)).flatMap { $0.flatMap { StoreKeys.uint64($0) } } ?? 0
    }

    /// Appends events as one group commit with any other appends waiting at the same time, and
    /// returns an outcome per event, in order. Returns once the appended events are durable.
    public func append(_ events: [C360_V1_Event]) async -> [AppendOutcome] {
        await append(prepared: prepare(events))
    }

    /// `append(_:)` for callers that cannot wait in a task (an event loop): validates, encodes and
    /// hashes the events on the calling thread, then calls `completion` on the writer's queue once
    /// they are durable — or at once, on the calling thread, when the writer's queue is full
    /// (`StoreConfiguration.appendQueueBytes`). Keep `completion` short; hop elsewhere to do more.
    /// `encoded`, when given, holds the bytes each event was decoded from (`encoded[i]` those of
    /// `events[i]`): stored as they are instead of encoding the event again.
    public func append(_ events: [C360_V1_Event], encoded: [[UInt8]]? = nil, completion: @escaping @Sendable ([AppendOutcome]) -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        // Paired by the decoder that produced them: a mismatch would store one event's bytes for another.
        precondition(encoded.map { $0.count == events.count } ?? true, "every event needs its bytes")
        let prepared = prepare(events, encoded: encoded)
        writer.append(prepared, into: self) { outcomes in
            StoreMetrics.recordAppend(since: start)
            completion(outcomes)
        }
    }

    /// RocksDB's figures for monitoring, summed over every column family: the store's own type,
    /// so that what reports them needs nothing of the RocksDB wrapper.
    public struct StorageFigures: Sendable, Equatable {
        public var memtableBytes: UInt64
        public var pendingCompactionBytes: UInt64
        public var sstFiles: UInt64
        public var sstBytes: UInt64
        public var blockCacheBytes: UInt64
        public var tableReaderBytes: UInt64
        /// Since the store was opened; `nil` unless RocksDB's statistics are collected.
        public var blockCacheHits: UInt64?
        public var blockCacheMisses: UInt64?
        /// What the cache of stored projections holds, waiting ones' places included, in bytes as
        /// it counts them (`storage.cached_stored_projections_mb` at most).
        public var storedProjectionCacheBytes: UInt64 = 0
    }

    public func storageFigures() -> StorageFigures {
        let figures = database.figures()
        return StorageFigures(
            memtableBytes: figures.memtableBytes, pendingCompactionBytes: figures.pendingCompactionBytes,
            sstFiles: figures.sstFiles, sstBytes: figures.sstBytes,
            blockCacheBytes: figures.blockCacheBytes, tableReaderBytes: figures.tableReaderBytes,
            blockCacheHits: figures.blockCacheHits, blockCacheMisses: figures.blockCacheMisses,
            storedProjectionCacheBytes: UInt64(projections.storedProjectionBytesHeld))
    }

    /// Runs `work` on the writer, excluding appends while it runs.
    func exclusively<Value: Sendable>(_ work: @escaping @Sendable () throws(C360Error) -> Value) async throws(C360Error) -> Value {
        let result: Result<Value, C360Error> = await withCheckedContinuation { continuation in
            writer.async {
                do throws(C360Error) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

extension C360Error {
    /// Any failure of a store operation as a `C360Error`: one already is, a RocksDB failure is
    /// mapped by `init(storage:doing:)`, anything else (an encoding failure) is an internal error.
    init(_ error: any Error, doing action: String) {
        switch error {
        case let error as C360Error: self = error
        case let error as RocksDBError: self.init(storage: error, doing: action)
        default: self.init(.internalError, "could not \(action): \(error)")
        }
    }

    /// Maps a RocksDB failure to c360's error codes: a full disk is `.resourceExhausted`.
    init(storage error: RocksDBError, doing action: String) {
        let code: C360Error.Code = switch error.code {
        case .noSpace: .resourceExhausted
        case .corruption: .corruption
        case .lockHeld: .dataDirectoryLocked
        case .busy, .aborted: .unavailable
        default: .io
        }
        self.init(code, "could not \(action): \(error.message)", cause: error)
    }
}
