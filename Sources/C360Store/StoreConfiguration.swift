public import C360Core

/// Settings of an `EventStore`, each with a default.
public struct StoreConfiguration: Sendable {
    /// RocksDB's tuning. Default: see `StorageSettings`.
    public var storage = StorageSettings()
    /// The checks every appended event must pass.
    public var validator = EventValidator()
    /// The fold's bounds.
    public var fold = ProjectionFold()
    /// Thresholds and cut points profiles are evaluated with.
    public var profile = ProfileSettings()
    /// Most identities one customer (with the anonymous histories merged into it) may have; a
    /// link beyond it is refused and shown as a conflict. Default 100.
    public var maximumIdentitiesPerCustomer = 100
    /// The segments whose membership the store keeps. Default none.
    public var segments: [Segment] = []
    /// Most anonymous histories merged into one customer. Default 50.
    public var maximumMergedHistoriesPerCustomer = 50
    /// The two caps above, as identity resolution takes them.
    var identityLimits: IdentityLimits {
        IdentityLimits(identitiesPerCustomer: maximumIdentitiesPerCustomer, mergedHistoriesPerCustomer: maximumMergedHistoriesPerCustomer)
    }
    /// Most events committed in one group commit (one synced write). Default 10,000.
    public var maximumEventsPerCommit = 10_000
    /// Decoded projections kept in memory for customers active or looked up recently, shared by
    /// the writer and lookups (about 5 KiB each as plain values when whole, with the default data
    /// set's 20 events a customer; one read for the writer has only the parts its event changes
    /// decoded). Lookups are answered from `cachedProfiles` first, so this mostly serves the
    /// writer's folds. Default 10,000.
    public var cachedProjections = 10_000
    /// Bytes of projections kept in memory as stored (encoded: about 0.7 KiB each with the default
    /// data set's 20 events a customer, a third of a decoded one, plus about 0.1 KiB for holding
    /// each), so that one not decoded above is decoded from memory instead of read from RocksDB; a
    /// server fills it from the stored projections when it starts (`EventStore.warmCaches`).
    /// Projections waiting to be written behind take their bytes' worth of it. Default 96 MiB.
    public var cachedStoredProjectionBytes = 96 << 20
    /// Profiles kept as lookups answered them, evaluated and encoded (about 0.8 KiB of memory each
    /// with the default data set), until the customer's projection changes or the day moves on: a
    /// lookup of a customer kept here neither reads nor evaluates the projection. Default 128,000
    /// (at most about 100 MiB): enough for the benchmark's 100,000 customers with room for the
    /// cache's 16 shards filling unevenly. Lookups of random customers of 100,000 at `-c 16 -m 32`,
    /// by hand on this machine: 39,342 requests/s with none kept (and 30,000 projections) against
    /// 151,968 with all of them kept, the server at 274 and 305 MiB.
    public var cachedProfiles = 128_000
    /// Projections changed by appends are written behind the log: at most this many bytes of them
    /// (as encoded) wait before the writer waits for them to be written; a write starts at half.
    /// Each waiting projection takes its bytes' worth of the cache of stored bytes
    /// (`cachedStoredProjectionBytes`), so the two together stay within that cache's bytes (plus
    /// those waiting beyond it) however many customers the appends spread over. Default 128 MiB
    /// with `projectionWriteBehindSeconds` 10 (README, step 81): bulk ingest of 2,000,000 events
    /// over 100,000 customers 54,055–62,407 events/s at 24.3–28.0 µs of server CPU per event
    /// against 47,655–48,401 at 33.4–34.0 with 4 MiB and 2 s (each waiting customer written once
    /// for several appends), the server's peak at 1,000,000 customers as with them (491 MiB).
    public var projectionWriteBehindBytes = 128 << 20
    /// The longest a changed projection waits to be written behind the log: with the byte limit,
    /// this bounds how much of the log a restart after a crash folds again (10 s of bulk ingest
    /// at 60,000 events/s: about 3 s). Default 10 s.
    public var projectionWriteBehindSeconds = 10.0
    /// Appends waiting for the writer, in bytes of their events as encoded: one that would take the
    /// queue past this is refused whole with `RESOURCE_EXHAUSTED` (nothing stored; the caller sends
    /// it again later), so that callers sending faster than the log commits cannot grow the
    /// server's memory without bound (in memory an event waiting takes about six times its encoded
    /// size). An append is always taken when nothing waits. Default 32 MiB: about 160,000 events of
    /// the default data set, some seconds of the writer's work; bulk ingest's four batches of 1,000
    /// in flight wait with under 1 MiB.
    public var appendQueueBytes = 32 << 20
    /// Identity-index entries the writer keeps in memory (a table of the next power of two at or
    /// above it, 32 bytes an entry); also the customer ids whose subjects lookups keep, and the
    /// anonymous visitors whose merges the writer keeps. Default 200,000.
    public var cachedIndexEntries = 200_000
    /// After an erasure, search every file under the data directory for the customer's personal
    /// data and report the result in the receipt. Default `true`.
    public var verifyErasure = true
    /// While erasures keep arriving, the erasures waiting are made physical together after a rest
    /// of this many times as long as the last batch took: at most 1/(1+factor) of one core goes to
    /// erasures' compactions and searches however many arrive; they wait longer instead. 0 never
    /// rests. Default 3.
    public var erasureRestFactor = 3
    /// Free space kept on the data directory's filesystem: an append that would leave less is
    /// refused (`.resourceExhausted`, nothing stored) before RocksDB runs out, so its log never
    /// meets a full disk and memtables can still be flushed. Default 256 MiB (twice the memtables).
    public var reservedDiskBytes: UInt64 = 256 << 20
    /// Where the audit log is appended to. Default `audit.jsonl` in the data directory.
    public var auditLogPath: String?
    /// When an append's write-ahead log is synced to disk.
    public enum WALSync: String, Sendable, CaseIterable {
        /// Every group commit is synced before it is acknowledged: an acknowledged event survives
        /// a power cut.
        case everyCommit = "every_commit"
        /// Appends are acknowledged once written to the operating system: they survive a crash of
        /// c360 but a power cut can lose the last second or so of them. Erasures, snapshots and
        /// metadata stay synced.
        case none
    }
    /// Default `.everyCommit`.
    public var walSync = WALSync.everyCommit
    /// When projections built by another fold (another `ProjectionFold.version`, or other fold
    /// settings) are rebuilt from the log.
    public enum ProjectionRebuild: Sendable {
        /// Before the store opens: every lookup sees the new fold, and nothing can be served
        /// until the rebuild is done. For commands that open, work and close.
        case whenOpening
        /// In the background, into the other projection keyspace, by `buildProjectionVersion`,
        /// while the old projections keep serving and keep being updated; one switch makes the
        /// new ones current. For a server.
        case whileServing
    }
    /// Default `.whenOpening`; `c360 serve` builds while serving.
    public var projectionRebuild = ProjectionRebuild.whenOpening

    public init() {}
}
