import C360Codec
import C360Core
import C360Model
import CoreMetrics
import Foundation
import RocksDB
import Synchronization

/// The projections of a store, written behind the log.
///
/// A commit is acknowledged once its events are synced in the log; the projections it changed are
/// handed here (`committed`) and held in memory, *dirty*, until a background step writes them,
/// the last batch with a checkpoint — "the stored projections reflect the log through seq S" —
/// into their keyspace, past RocksDB's write-ahead log: the log rebuilds them anyway, and their
/// bytes in it made every commit's sync write them too. Readers (and the writer folding the next
/// events) see the dirty projection first, so nothing waits for the write behind. After a crash
/// the store folds the log after the checkpoint that survived (`EventStore.recoverProjections`):
/// the dirty set is bounded in bytes and in age, and what RocksDB holds unflushed by a memtable's
/// size, so that this stays short.
///
/// Clean projections of recently active or looked-up customers stay decoded in a bounded cache,
/// and the profiles lookups answered, evaluated and encoded, in another: until the customer's
/// projection changes here, or time passes the instant until which the evaluation holds.
///
/// The writer folds an event into a projection with only the parts the event changes decoded
/// (`Projection.retained`): the others stay in the stored bytes it was read from, shared with the
/// cache of stored bytes, and are written back from there as they are. A commit hands each
/// projection it changed over as its stored bytes, encoded once per commit: what waits to be
/// written costs its encoding's size in memory and is written as it is, and the next event decodes
/// the parts it changes from it as from a stored projection. Handing over the decoded value instead
/// shared it with readers and the write behind, so the next fold copied each array it changed and
/// the commit after destroyed the old value: more CPU per event than encoding and decoding, at about
/// three times the memory (README, step 79). Readers always get a projection with every part decoded.
///
/// Projections live in one of two keyspaces (column families). A new fold's projections are built
/// into the other one while this one keeps serving (`EventStore.buildProjectionVersion`): this store
/// records which subjects commits changed meanwhile, so that the build can fold them again, and
/// keeps the build's writes and erasures apart, so that an erased customer's projection is never
/// written back. One switch makes the built keyspace current.
final class ProjectionStore: Sendable {
    /// How much may wait to be written, and for how long.
    struct Limits: Sendable {
        /// The dirty set's encoded size (estimated from the last write behind) that makes the
        /// writer wait for a write behind.
        var bytes: Int
        /// The longest a committed projection waits to be written.
        var seconds: Double
    }

    private let database: Database
    /// The two keyspaces, `Pending.keyspace` naming the current one.
    let keyspaces: [ColumnFamily]
    private let meta: ColumnFamily
    private let limits: Limits
    /// Decoded clean projections (equal to what RocksDB holds), recently used.
    private let cache: SharedCache<UInt64, SharedProjection>
    /// The stored bytes of clean projections (equal to what RocksDB holds), about a third of a
    /// decoded one's memory: a projection not decoded in `cache` is decoded from here rather than
    /// read from RocksDB, whose `Get` was the largest part of an append to a customer not in memory.
    /// Filled by warming and by reads until full, then kept current but not changed in membership:
    /// `cache` follows what is used now, and evicting here for every read of a customer not held
    /// (every append, with customers at random over more than it holds) freed and allocated a
    /// projection's bytes each time, which the allocator kept as dirty pages (peak RSS 523 MiB at
    /// 1,000,000 customers, against 384 without this cache). Bounded in bytes, not entries: with
    /// few events a customer projections are small, with many large, and memory is what the
    /// bound is for.
    private let stored: SharedCache<UInt64, StoredEntry>
    /// Set when the store closes: a warming pass under way stops at its next chunk.
    private let warmingStopped = Atomic<Bool>(false)
    /// Profiles as lookups answered them, evaluated and encoded.
    private let profiles: SharedCache<EvaluatedProfile.Key, EvaluatedProfile>
    private let pending: Mutex<Pending>
    /// Runs the write behind, one at a time.
    private let queue = DispatchQueue(label: "c360.projection-writer", qos: .utility)
    /// A new fold's projections being built into the other keyspace, `nil` when none is.
    private let build = Mutex<Build?>(nil)
    /// Held while the build writes and while an erasure commits, so that the build never writes a
    /// projection of a customer erased meanwhile (it checks for the tombstone while holding it).
    private let builtWrites = Mutex(())

    private struct Build {
        let keyspace: Int
        /// Subjects whose projection commits changed or removed since the build began.
        var touched: Set<UInt64> = []
    }

    /// What a commit did to a subject's projection.
    enum Change: Sendable {
        /// Changed: its new stored bytes.
        case encoded([UInt8])
        /// Deleted: an anonymous history merged into a customer.
        case removed

        static func encoding(_ projection: Projection) -> Change { .encoded(ProjectionWireCodec.encode(projection)) }

        var bytes: [UInt8]? {
            if case .encoded(let bytes) = self { return bytes }
            return nil
        }
    }

    /// A committed projection, handed from the dirty set to the write behind and the cache without
    /// copying it: a `Projection` copy retains each of its arrays and strings, and bulk ingest made
    /// several per event (`perf`: copying and destroying them, a tenth of its CPU).
    final class SharedProjection: Sendable {
        let projection: Projection
        init(_ projection: consuming Projection) { self.projection = consume projection }

        /// This projection with `parts` decoded: itself when they are, else a copy that decodes
        /// those it holds in their stored bytes.
        func decoding(_ parts: Projection.Parts) throws(C360Error) -> SharedProjection {
            try copyDecoding(parts).map { SharedProjection($0) } ?? self
        }

        /// A copy of the projection with those of `parts` decoded that it holds in their stored
        /// bytes; `nil` when it holds none of them.
        func copyDecoding(_ parts: Projection.Parts) throws(C360Error) -> Projection? {
            guard let retained = projection.retained, !retained.parts.isDisjoint(with: parts) else { return nil }
            var decoded = projection
            try ProjectionStore.decodeRetained(parts, in: &decoded)
            return decoded
        }
    }

    private struct Pending: ~Copyable {
        var dirty: [UInt64: Change] = [:]
        /// The entries being written now: still what readers must see until the write is done.
        var writing: [UInt64: Change] = [:]
        /// The log position the dirty set reflects (the last committed).
        var through: UInt64
        /// The log position the stored projections reflect.
        var checkpoint: UInt64
        /// Whether a write behind is scheduled (by age) and not yet run.
        var scheduled = false
        /// Whether a write behind was asked for by size (at half the limit) and has not started.
        var requested = false
        /// Average encoded bytes of a projection, from the last write behind.
        var bytesPerProjection = 1_024
        /// The current keyspace's index in `keyspaces`.
        var keyspace: Int

        var estimatedBytes: Int { dirty.count * bytesPerProjection }
    }

    init(
        database: Database, keyspaces: [ColumnFamily], current: Int, meta: ColumnFamily, checkpoint: UInt64,
        cachedProjections: Int, cachedStoredProjectionBytes: Int, cachedProfiles: Int, limits: Limits
    ) {
        self.database = database
        self.keyspaces = keyspaces
        self.meta = meta
        self.limits = limits
        self.cache = SharedCache(capacity: cachedProjections)
        self.stored = SharedCache(budget: cachedStoredProjectionBytes, cost: \.cost)
        self.profiles = SharedCache(capacity: cachedProfiles)
        self.pending = Mutex(Pending(through: checkpoint, checkpoint: checkpoint, keyspace: current))
        ProjectionMetrics.dirty.record(0)
    }

    /// The log position the stored projections reflect: recovery folds the log after it.
    var checkpoint: UInt64 { pending.withLock { $0.checkpoint } }

    /// The current keyspace: what lookups, snapshots and segment evaluation read. Stable on the
    /// writer (only a switch on the writer changes it).
    var family: ColumnFamily { keyspaces[pending.withLock { $0.keyspace }] }

    /// The keyspace that is not current: empty, or holding a build.
    var otherFamily: ColumnFamily { keyspaces[1 - pending.withLock { $0.keyspace }] }

    /// Projections committed and not yet written.
    var dirtyCount: Int { pending.withLock { $0.dirty.count + $0.writing.count } }

    /// The projection of `subject` as last committed, `nil` when it has none; of its parts, at
    /// least `parts` decoded (`Projection.retained`).
    func projection(of subject: UInt64, parts: Projection.Parts = .all) throws(C360Error) -> Projection? {
        try shared(of: subject, parts: parts)?.projection
    }

    /// The projection of `subject` as last committed, for the writer to fold the next event into.
    /// A cached one is taken out of the cache: the commit replaces it anyway (readers find the new
    /// one among the dirty projections), and once no reader holds the cache's copy either, the
    /// arrays and strings of the one returned are its alone, so the fold changes them in place
    /// instead of copying each one it changes while the cache keeps the old one until it evicts
    /// it. Of its parts, at least `parts` are decoded: those the events to fold change (the others
    /// stay in their stored bytes and are written back as they are). Run on the writer only.
    func projectionToFold(of subject: UInt64, parts: Projection.Parts) throws(C360Error) -> Projection? {
        switch try find(subject, parts: parts, takingFromCache: true) {
        case .shared(let shared): shared.projection
        case .decoded(let projection): projection
        case nil: nil
        }
    }

    /// The stored bytes of `subject`'s projection as last committed, for the writer to fold an event
    /// into without decoding them; `nil` when it has none, or when it is not in memory as bytes (held
    /// decoded, or not held): `projectionToFold` then finds it. Run on the writer only.
    func bytesToFold(of subject: UInt64) -> [UInt8]? {
        if let waiting = pending.withLock({ $0.dirty[subject] ?? $0.writing[subject] }) { return waiting.bytes }
        // One held decoded goes to the decoded fold, which takes it out of its cache now rather
        // than leave an outdated copy there until the write behind.
        guard !cache.contains(subject) else { return nil }
        return storedBytes(of: subject)
    }

    /// Reads the stored bytes of `subject`'s projection into their cache ahead of the writer, unless
    /// they are there, or a decoded one is, or the projection waits to be written: the writer's read
    /// from RocksDB, for an append to a customer not in memory, happens on the caller's thread
    /// instead. Decoding is left to the writer, which decodes only the parts its events change.
    func warm(_ subject: UInt64) throws(C360Error) {
        // The cache of stored bytes first: it holds most customers an append names, or the place of
        // one waiting to be written, so one lookup usually settles it without the dirty set's lock.
        // Deciding not to read needs no order with the writer: nothing is added then.
        guard !stored.contains(subject) else { return }
        let keyspace: Int? = pending.withLock { $0.dirty[subject] != nil || $0.writing[subject] != nil ? nil : $0.keyspace }
        guard let keyspace, !cache.contains(subject) else { return }
        // Taken after the dirty set was checked, as in `find`: a projection committed since is
        // shadowed there until its write behind replaces what is read here.
        let ticket = stored.ticket(for: subject)
        let bytes: [UInt8]?
        do {
            bytes = try database.get(StoreKeys.subject(subject), in: keyspaces[keyspace])
        } catch {
            throw C360Error(storage: error, doing: "read a projection")
        }
        if let bytes { stored.add(.bytes(bytes), for: subject, readWith: ticket, evicting: false) }
    }

    /// The projection of `subject` as last committed, shared with the dirty set or the cache, with
    /// at least `parts` decoded.
    private func shared(of subject: UInt64, parts: Projection.Parts) throws(C360Error) -> SharedProjection? {
        switch try find(subject, parts: parts, takingFromCache: false) {
        case .shared(let shared): shared
        case .decoded(let projection): SharedProjection(projection)
        case nil: nil
        }
    }

    /// A projection found for a reader, shared with the dirty set or the cache; or one decoded for
    /// the writer alone, which it folds without copying (a `Projection` copy retains each of its
    /// arrays and strings: copying the one decoded out of its box and destroying the box was 2.4%
    /// of bulk ingest's writer, `perf`).
    private enum Found {
        case shared(SharedProjection)
        case decoded(Projection)
    }

    /// The projection of `subject` as last committed, with at least `parts` decoded.
    /// `takingFromCache` (the writer's) removes a cached one and leaves one read from RocksDB
    /// uncached; one it decodes further is `.decoded`.
    private func find(_ subject: UInt64, parts: Projection.Parts, takingFromCache: Bool) throws(C360Error) -> Found? {
        while true {
            let ticket = cache.ticket(for: subject)
            let (waiting, keyspace): (Change?, Int) = pending.withLock { ($0.dirty[subject] ?? $0.writing[subject], $0.keyspace) }
            // A dirty projection is the writer's: one decoded is not put in the cache.
            if let waiting {
                guard let bytes = waiting.bytes else { return nil }
                if takingFromCache { return .decoded(try Self.decode(bytes, parts: parts)) }
                return .shared(SharedProjection(try Self.decode(bytes)))
            }
            // Taking bumps the shard's epoch, so the `add` below is refused for the ticket above.
            if takingFromCache {
                if let cached = cache.take(subject) { return try Self.forWriter(cached, parts) }
            } else if let cached = cache.value(for: subject) {
                let decoded = try cached.decoding(parts)
                if decoded !== cached { cache.add(decoded, for: subject, readWith: ticket) }
                return .shared(decoded)
            }
            // Taken after the dirty set was checked: a projection committed since is shadowed there
            // until its write behind replaces what is read here.
            let storedTicket = stored.ticket(for: subject)
            var bytes = storedBytes(of: subject)
            if bytes == nil {
                do {
                    bytes = try database.get(StoreKeys.subject(subject), in: keyspaces[keyspace])
                } catch {
                    throw C360Error(storage: error, doing: "read a projection")
                }
                // A switch of keyspaces meanwhile may have cleared the one read: read the new one.
                if bytes == nil, pending.withLock({ $0.keyspace }) != keyspace { continue }
                if let bytes { stored.add(.bytes(bytes), for: subject, readWith: storedTicket, evicting: false) }
            }
            guard let bytes else { return nil }
            let decoded = try Self.decode(bytes, parts: parts)
            if takingFromCache { return .decoded(decoded) }
            let shared = SharedProjection(decoded)
            cache.add(shared, for: subject, readWith: ticket)
            return .shared(shared)
        }
    }

    /// `shared` for the writer: as is when `parts` of it are decoded, else a copy of its projection
    /// with them decoded, unboxed.
    private static func forWriter(_ shared: SharedProjection, _ parts: Projection.Parts) throws(C360Error) -> Found {
        try shared.copyDecoding(parts).map { .decoded($0) } ?? .shared(shared)
    }

    /// The profile of `subject` at `asOf`, with or without the personal fields: one evaluated
    /// earlier when it still holds at `asOf`, otherwise `evaluate`'s of the projection as last
    /// committed, kept for the lookups that follow when `keep` (a lookup as of now; one as of
    /// another time would push out the profiles that now's lookups use). `nil` when the subject
    /// has no projection.
    func profile(
        of subject: UInt64, redacted: Bool, asOf: Instant, keep: Bool, evaluate: (Projection) -> EvaluatedProfile
    ) throws(C360Error) -> EvaluatedProfile? {
        let key = EvaluatedProfile.Key(subject: subject, redacted: redacted)
        if let kept = profiles.value(for: key), kept.holds(at: asOf) { return kept }
        // Taken before the projection is read: a commit that changes it meanwhile forgets the
        // subject's profiles after readers can see the new projection, so this one is dropped.
        let ticket = profiles.ticket(for: key)
        guard let shared = try shared(of: subject, parts: .all) else { return nil }
        let evaluated = evaluate(shared.projection)
        if keep { profiles.add(evaluated, for: key, readWith: ticket) }
        return evaluated
    }

    private func forgetProfiles<Subjects: Collection<UInt64>>(of subjects: Subjects) {
        profiles.remove(subjects.lazy.map { EvaluatedProfile.Key(subject: $0, redacted: false) })
        profiles.remove(subjects.lazy.map { EvaluatedProfile.Key(subject: $0, redacted: true) })
    }

    /// Takes the projections a commit changed or removed, once the commit's log entries are
    /// synced through `seq`. Called by the writer only. At half the limit in bytes a write behind
    /// starts; at the limit the writer waits for one, so memory stays bounded however fast appends
    /// arrive (and the writer rarely waits: waiting for every write was most of small appends'
    /// p99.9, 113 ms).
    func committed(_ changes: [UInt64: Change], through seq: UInt64) {
        build.withLock { build in
            if build != nil { build!.touched.formUnion(changes.keys) }
        }
        let (schedule, request, full) = pending.withLock { pending in
            let wasEmpty = pending.dirty.isEmpty
            pending.dirty.merge(changes) { _, new in new }
            pending.through = max(pending.through, seq)
            ProjectionMetrics.dirty.record(pending.dirty.count)
            let schedule = wasEmpty && !pending.dirty.isEmpty && !pending.scheduled
            if schedule { pending.scheduled = true }
            let request = !pending.requested && pending.estimatedBytes >= limits.bytes / 2
            if request { pending.requested = true }
            return (schedule, request, pending.estimatedBytes >= limits.bytes)
        }
        // After the dirty set holds the new projections: see `profile(of:redacted:asOf:keep:evaluate:)`.
        forgetProfiles(of: changes.keys)
        // The stored bytes cached of these are shadowed by the dirty set until the write behind
        // stores the new ones (`cacheWritten`): freed now, so that a write behind that coalesces
        // does not hold each waiting customer's projection twice. Replaced by the place of the
        // waiting one (costing its bytes) rather than removed: a place given up here went to the
        // next customer read ahead, and the write behind found no room to put this one back (3-4
        // µs more per event in bulk ingest, which then read those customers from RocksDB again).
        // A changed projection the cache does not hold takes a place too, freeing the bytes of
        // ones not used recently: so what waits to be written and what the cache holds together
        // stay within the cache's bytes, plus those beyond it waiting, however many customers the
        // appends spread over.
        for (subject, change) in changes {
            if let bytes = change.bytes {
                stored.store(.waiting(bytes: bytes.count), for: subject)
            } else {
                stored.replace(.waiting(bytes: 0), for: subject)
            }
        }
        if full {
            queue.sync { try? writeDirty() }
        } else if request {
            queue.async { [weak self] in try? self?.writeDirty() }
        }
        if schedule {
            // Weak: a store that was dropped meanwhile must close its database now, not then.
            queue.asyncAfter(deadline: .now() + limits.seconds) { [weak self] in
                guard let self else { return }
                pending.withLock { $0.scheduled = false }
                try? writeDirty()
            }
        }
    }

    /// Records that the log advanced to `seq` without changing a projection kept here (an
    /// erasure, which deletes its customer's projections itself), and forgets `removed`.
    func advanced(through seq: UInt64, removing removed: [UInt64]) {
        build.withLock { build in
            if build != nil { build!.touched.formUnion(removed) }
        }
        pending.withLock { pending in
            pending.through = max(pending.through, seq)
            for subject in removed { pending.dirty[subject] = nil }
        }
        for subject in removed {
            cache.remove(subject)
            stored.remove(subject)
        }
        forgetProfiles(of: removed)
    }

    /// Writes every dirty projection now and waits for it: for a clean close, and before work that
    /// reads or rewrites the stored projections directly (erasure, snapshot, replay, segment
    /// re-evaluation). Run on the writer (or with no writer running) so that nothing is committed
    /// meanwhile.
    func writeAll() throws(C360Error) {
        let result: Result<Void, C360Error> = queue.sync { Result { () throws(C360Error) in try writeDirty() } }
        try result.get()
    }

    /// Runs `body` while no write behind runs (none starts before it returns): for an erasure,
    /// which reads its customer's projections as last committed and deletes the stored ones, so
    /// that a write behind under way cannot write one back after the delete. Run on the writer, so
    /// that nothing is committed meanwhile.
    func holdingWriteBehind<Value>(_ body: () throws(C360Error) -> Value) throws(C360Error) -> Value {
        let result: Result<Value, C360Error> = queue.sync { Result { () throws(C360Error) in try body() } }
        return try result.get()
    }

    /// Forgets every cached projection: after the stored ones were rewritten directly (a replay).
    /// The dirty set must be empty (`writeAll` first); the checkpoint moves to `seq`.
    func rewritten(through seq: UInt64) {
        pending.withLock { pending in
            pending.through = max(pending.through, seq)
            pending.checkpoint = pending.through
        }
        cache.removeAll()
        stored.removeAll()
        profiles.removeAll()
    }

    // MARK: Warming

    /// Reads the current keyspace's projections in key order into the cache of stored bytes until
    /// it is full, and each customer's subject into `customerSubjects` — for a server just started,
    /// whose first appends and lookups would otherwise read each customer's index entry and
    /// projection from RocksDB one at a time. Runs on the write behind's queue in chunks, so a
    /// write behind waits at most one chunk; each chunk adds only what no writer changed since the
    /// chunk began (`SharedCache`'s tickets, taken before its reads), so an erasure meanwhile is
    /// never undone.
    func warm(customerSubjects: SharedCache<String, UInt64>) {
        queue.async { [weak self] in self?.warmChunk(after: nil, room: self?.stored.budget ?? 0, customerSubjects: customerSubjects) }
    }

    /// Stops a warming pass under way: before the database closes.
    func stopWarming() {
        warmingStopped.store(true, ordering: .relaxed)
        queue.sync {}
    }

    private static let projectionsPerWarmingChunk = 1_000

    private func warmChunk(after last: [UInt8]?, room: Int, customerSubjects: SharedCache<String, UInt64>) {
        guard room > 0, !warmingStopped.load(ordering: .relaxed) else { return }
        let storedTickets = stored.ticketsForEveryShard()
        let subjectTickets = customerSubjects.ticketsForEveryShard()
        // From the smallest key after the last one read; what it reads is kept here, not in
        // RocksDB's block cache as well (64 MiB of the server's memory).
        let iterator = database.makeIterator(
            family, lowerBound: last.map { $0 + [0] } ?? StoreKeys.allSubjects.from, upperBound: StoreKeys.allSubjects.to,
            fillCache: false)
        iterator.seekToFirst()
        var read = 0
        var room = room
        var lastKey: [UInt8]?
        while iterator.isValid, read < Self.projectionsPerWarmingChunk {
            let key = iterator.key
            lastKey = key
            read += 1
            if let subject = StoreKeys.uint64(key) {
                let bytes = iterator.value
                let entry = StoredEntry.bytes(bytes)
                room -= entry.cost
                stored.add(entry, for: subject, readWithOneOf: storedTickets, evicting: false)
                // A projection that cannot be read is left to the read that needs it, which reports it.
                if let id = try? bytes.withUnsafeBytes({ bytes throws(ProtobufWireError) in try ProjectionWireCodec.customerID(bytes) }), !id.isEmpty {
                    customerSubjects.add(subject, for: id, readWithOneOf: subjectTickets)
                }
            }
            iterator.next()
        }
        guard read == Self.projectionsPerWarmingChunk, let lastKey else { return }
        let rest = room
        queue.async { [weak self] in self?.warmChunk(after: lastKey, room: rest, customerSubjects: customerSubjects) }
    }

    // MARK: Building a new fold's projections

    /// Starts recording the subjects commits change, for a build into the other keyspace, and
    /// returns that keyspace. It must be empty.
    func beginBuild() -> ColumnFamily {
        let other = 1 - pending.withLock { $0.keyspace }
        build.withLock { $0 = Build(keyspace: other) }
        return keyspaces[other]
    }

    /// The subjects commits changed since the last call (or since the build began).
    func takeTouched() -> Set<UInt64> {
        build.withLock { build in
            defer { build?.touched = [] }
            return build?.touched ?? []
        }
    }

    /// Stops recording for a build that was abandoned.
    func endBuild() {
        build.withLock { $0 = nil }
    }

    /// Writes built projections (`nil`: none, delete) into the build's keyspace, leaving out every
    /// subject `isErased` says was erased: checked while erasures wait, so none comes back.
    func writeBuilt(_ entries: [(subject: UInt64, bytes: [UInt8]?)], unlessErased isErased: (UInt64) throws(C360Error) -> Bool) throws(C360Error) {
        guard let keyspace = build.withLock({ $0?.keyspace }) else { return }
        try builtWrites.withLock { _ throws(C360Error) in
            let batch = WriteBatch(for: database)
            for (subject, bytes) in entries {
                if let bytes, try !isErased(subject) {
                    batch.put(StoreKeys.subject(subject), bytes, in: keyspaces[keyspace])
                } else {
                    batch.delete(StoreKeys.subject(subject), in: keyspaces[keyspace])
                }
            }
            do throws(RocksDBError) {
                try database.write(batch, sync: false)
            } catch {
                throw C360Error(storage: error, doing: "write the projections of a new fold")
            }
        }
    }

    /// Runs an erasure's commit (which deletes the customer's projections from both keyspaces)
    /// while no build writes.
    func excludingBuiltWrites<Value>(_ commit: () throws(C360Error) -> Value) throws(C360Error) -> Value {
        try builtWrites.withLock { _ throws(C360Error) in try commit() }
    }

    /// Makes the built keyspace current, as of log position `seq` and built by the fold named
    /// `fold`: one synced write of the metadata, then the dirty projections of the old fold are
    /// dropped and every cached one forgotten. Run on the writer, with the build's projections
    /// complete through `seq`. Returns the old keyspace, to be cleared.
    func switchToBuilt(through seq: UInt64, fold: String, version: UInt32) throws(C360Error) -> ColumnFamily {
        guard let keyspace = build.withLock({ $0?.keyspace }) else {
            throw C360Error(.internalError, "no projection build to switch to")
        }
        // On the write behind's queue, so that no write behind is under way.
        let result: Result<ColumnFamily, C360Error> = queue.sync {
            Result { () throws(C360Error) -> ColumnFamily in
                let batch = WriteBatch(for: database)
                batch.put(StoreKeys.Meta.projectionKeyspace, StoreKeys.bigEndian(UInt64(keyspace)), in: meta)
                batch.put(StoreKeys.Meta.projectionFold, Array(fold.utf8), in: meta)
                batch.put(StoreKeys.Meta.projectionVersion, StoreKeys.bigEndian(UInt64(version)), in: meta)
                batch.put(StoreKeys.projectionsCheckpoint, StoreKeys.bigEndian(seq), in: keyspaces[keyspace])
                do throws(RocksDBError) {
                    try database.write(batch, sync: true)
                } catch {
                    throw C360Error(storage: error, doing: "switch to the new fold's projections")
                }
                let old = pending.withLock { pending in
                    defer {
                        pending.keyspace = keyspace
                        pending.dirty = [:]
                        pending.through = max(pending.through, seq)
                        pending.checkpoint = pending.through
                        ProjectionMetrics.dirty.record(0)
                    }
                    return keyspaces[pending.keyspace]
                }
                build.withLock { $0 = nil }
                cache.removeAll()
                stored.removeAll()
                profiles.removeAll()
                return old
            }
        }
        return try result.get()
    }

    /// Deletes everything in a keyspace that is not current and compacts it away.
    func clear(_ family: ColumnFamily) throws(C360Error) {
        let batch = WriteBatch(for: database)
        batch.deleteRange(from: StoreKeys.allSubjects.from, to: StoreKeys.allSubjects.to, in: family)
        batch.delete(StoreKeys.projectionsCheckpoint, in: family)
        do {
            try database.write(batch, sync: false)
        } catch {
            throw C360Error(storage: error, doing: "clear a projection keyspace")
        }
        database.compactRange(family, from: nil, to: nil)
    }

    /// The write behind: the dirty set, then the checkpoint. On failure the projections not yet
    /// written stay dirty (unless committed again meanwhile) and the next write behind tries again.
    ///
    /// Written a chunk at a time, each chunk put in the cache of stored bytes and let go of as being
    /// written before the next is written, so that the cache takes the bytes over as they are written.
    private func writeDirty() throws(C360Error) {
        // Bound directly, with no name for the whole, so that `writing` below is the only copy.
        guard case (var writing, let through, let family)? = pending.withLock({ pending -> ([UInt64: Change], UInt64, ColumnFamily)? in
            pending.requested = false
            guard !pending.dirty.isEmpty || pending.through != pending.checkpoint else { return nil }
            pending.writing = pending.dirty
            pending.dirty = [:]
            return (pending.writing, pending.through, keyspaces[pending.keyspace])
        }) else { return }
        // In descending key order, taken from the end: each chunk in key order (a subject's key
        // is its big-endian number). RocksDB's skip list starts an insert's search from where
        // the last one ended only when no key lies between the two in the memtable; otherwise
        // it searches from the top (sorting the writer's synced batches too took its inserts
        // from 26% to 20% of its time and cost 9% in sorting: tried and kept out, README).
        // Sorted outside the lock: tens of thousands of entries took milliseconds, which every
        // commit's hand-over waited for (small appends' ack p99, the steps table).
        var entries = writing.sorted { $0.key > $1.key }
        // Let go of this copy, so that `cacheWritten` changes the dirty set's own table in place
        // rather than copying it whole under the lock.
        writing = [:]
        let started = DispatchTime.now().uptimeNanoseconds
        let total = entries.count
        var written = 0
        var bytes = 0
        do {
            // Written in batches of a few hundred, the checkpoint after the last: RocksDB applies
            // writes one after another, and a synced commit arriving during one large batch waited
            // for all of it (small appends' ack p99). Without the write-ahead log: a crash keeps
            // what RocksDB had flushed of the keyspace, a prefix of these writes, so the checkpoint
            // that survives is one whose projections did too, and some may be newer than it —
            // recovery folds from that checkpoint, skipping the events a projection already holds.
            while !entries.isEmpty {
                let count = min(Self.projectionsPerChunk, entries.count)
                let chunk = Array(entries[(entries.count - count)...].reversed())
                entries.removeLast(count)
                var batch = WriteBatch(for: database)
                for (index, (subject, change)) in chunk.enumerated() {
                    if let projectionBytes = change.bytes {
                        batch.put(StoreKeys.subject(subject), projectionBytes, in: family)
                        bytes += projectionBytes.count
                        written += 1
                    } else {
                        batch.delete(StoreKeys.subject(subject), in: family)
                    }
                    if (index + 1) % Self.projectionsPerWrite == 0 || index + 1 == chunk.count {
                        try database.writeWithoutLog(batch)
                        batch = WriteBatch(for: database)
                    }
                }
                cacheWritten(chunk)
            }
            let batch = WriteBatch(for: database)
            batch.put(StoreKeys.projectionsCheckpoint, StoreKeys.bigEndian(through), in: family)
            try database.writeWithoutLog(batch)
        } catch {
            let failure = C360Error(error, doing: "write projections behind the log")
            pending.withLock { pending in
                pending.dirty.merge(pending.writing) { newer, _ in newer }
                pending.writing = [:]
            }
            ProjectionMetrics.failures.increment()
            throw failure
        }
        pending.withLock { pending in
            pending.writing = [:]
            pending.checkpoint = through
            if written > 0 { pending.bytesPerProjection = max(64, bytes / written) }
            ProjectionMetrics.dirty.record(pending.dirty.count)
        }
        ProjectionMetrics.writeDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        ProjectionMetrics.written.increment(by: Int64(total))
    }

    /// Puts a written chunk in the caches, then stops holding it as being written: a reader never
    /// misses it (it finds it among those being written until the caches have it).
    private func cacheWritten(_ chunk: [(key: UInt64, value: Change)]) {
        for (subject, change) in chunk {
            // A decoded one cached before this commit is older than these bytes.
            cache.remove(subject)
            if let bytes = change.bytes {
                stored.store(.bytes(bytes), for: subject, evicting: false)
            } else {
                stored.remove(subject)
            }
        }
        pending.withLock { pending in
            for (subject, _) in chunk { pending.writing[subject] = nil }
        }
    }

    /// Projections the cache of stored bytes holds (not counting the places of those waiting).
    var storedProjectionsHeld: Int { stored.count { if case .bytes = $0 { true } else { false } } }

    /// What the cache of stored bytes holds, in bytes as `StoredEntry.cost` counts them.
    var storedProjectionBytesHeld: Int { stored.held }

    /// Whether the cache of stored bytes holds `subject`'s projection.
    func holdsStoredProjection(of subject: UInt64) -> Bool {
        storedBytes(of: subject) != nil
    }

    /// `subject`'s stored projection as the cache of stored bytes holds it: `nil` when it does not,
    /// or holds only the place of one waiting to be written.
    private func storedBytes(of subject: UInt64) -> [UInt8]? {
        if case .bytes(let bytes) = stored.value(for: subject) { return bytes }
        return nil
    }

    /// What the cache of stored bytes holds for a subject.
    enum StoredEntry: Sendable, Equatable {
        /// Its projection's stored bytes, equal to what RocksDB holds.
        case bytes([UInt8])
        /// The place of its projection waiting to be written behind, which takes this many bytes
        /// in the dirty set: counted here, so that what waits and what the cache holds together
        /// stay within the cache's bytes.
        case waiting(bytes: Int)

        /// The memory it stands for: the projection's bytes and about what holding an entry
        /// takes (its slot, its place in the shard's dictionary, the array's header and the
        /// allocator's rounding).
        var cost: Int {
            switch self {
            case .bytes(let bytes): bytes.count + Self.entryBytes
            case .waiting(let bytes): bytes + Self.entryBytes
            }
        }

        static let entryBytes = 96
    }

    /// Projections written before the next ones are taken from those being written.
    static let projectionsPerChunk = 4_096

    /// Projections per write of the write behind.
    static let projectionsPerWrite = 256

    static func decode(_ bytes: [UInt8], parts: Projection.Parts = .all) throws(C360Error) -> Projection {
        do {
            return try ProjectionWireCodec.decode(bytes, parts: parts)
        } catch {
            throw C360Error(.corruption, "a stored projection could not be decoded: \(error)")
        }
    }

    /// Decodes those of `parts` that `projection` holds in their stored bytes.
    static func decodeRetained(_ parts: Projection.Parts, in projection: inout Projection) throws(C360Error) {
        do {
            try ProjectionWireCodec.decodeRetained(parts, in: &projection)
        } catch {
            throw C360Error(.corruption, "a stored projection could not be decoded: \(error)")
        }
    }
}

/// What the write behind reports, through swift-metrics.
enum ProjectionMetrics {
    /// Projections committed and not yet written.
    static let dirty = Gauge(label: "c360_projections_dirty")
    static let written = Counter(label: "c360_projections_written_total")
    static let writeDuration = Timer(label: "c360_projection_write_behind_seconds")
    static let failures = Counter(label: "c360_projection_write_behind_failures_total")
    /// Events folded so far by the build of a new fold's projections; 0 when none runs.
    static let buildEvents = Gauge(label: "c360_projection_build_events")
    /// Builds of a new fold's projections switched to.
    static let buildsSwitched = Counter(label: "c360_projection_builds_switched_total")
}
