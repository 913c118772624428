import C360Core
import C360Model
import Foundation
import Synchronization

/// What the writer knows between commits. Only the writer's queue reads or changes it.
struct WriterState: Sendable {
    var lastSeq: UInt64 = 0
    var nextSubject: UInt64 = 1
    var eventCount: UInt64 = 0
    /// The hashed ids of erased customers: their events are refused.
    var erasedCustomerHashes: Set<IndexKey> = []
    /// Customers' subjects erased since the store was opened (each with the anonymous histories
    /// merged into it): an event prepared for one before its erasure is refused by it. A subject
    /// looked up after an erasure is never an erased one: its index entry is gone.
    var erasedSubjects: Set<UInt64> = []
    /// Index keys of the identities erased customers held: an anonymous event naming one is refused.
    var erasedIdentityKeys: Set<IndexKey> = []
    /// The UTC day (days since 1970) segment membership is evaluated as of, at its end.
    var segmentDay: Int64 = 0
    /// The fold of the projections served, which commits fold into: the stored projections'
    /// (from their fingerprint) until a build of the configured fold switches to it.
    var fold = ProjectionFold()
}

/// What the writer has recently read or written, so that an active customer's index entries are
/// not read back from RocksDB on every commit (its projection is in the store's shared
/// `projectionCache`). Only the writer changes the data they mirror, and it updates them only after
/// a write succeeds.
struct WriterCaches {
    /// Index key (hashed customer id or identity) to subject, `nil` for a key known to be absent.
    var index: IndexEntryCache
    /// Anonymous subject to the customer subject it is merged into, `nil` when it is not.
    var mergedInto: RecentlyUsedCache<UInt64, UInt64?>
    /// Customer subject to the segments it was in after its last commit, and the day evaluated.
    var memberships: RecentlyUsedCache<UInt64, (day: Int64, names: Set<String>)>

    init(customers: Int, indexEntries: Int) {
        self.index = IndexEntryCache(capacity: indexEntries)
        self.mergedInto = RecentlyUsedCache(capacity: indexEntries)
        self.memberships = RecentlyUsedCache(capacity: customers)
    }

    mutating func removeAll() {
        index.removeAll()
        mergedInto.removeAll()
        memberships.removeAll()
    }
}

/// The event ids of the last commits, so that the writer need not read RocksDB's dedup entry of
/// an event whose caller read it already (`EventStore.prepare`): an id absent there when the
/// caller read it, and not among the ids committed since, was not appended (`perf` of bulk
/// ingest: the writer's dedup reads were 14% of its time). The ids are held as hashes, a few
/// bytes each whatever their length: one that matches is read from RocksDB again, which also
/// settles a collision. Two generations of a few thousand each, so that every event from
/// `coveredFrom` on is held; an erasure, which deletes dedup entries, forgets them all and moves
/// `coveredFrom` past itself, so that a caller's read from before it is read again.
struct RecentEventIDs {
    private var current: Set<Int> = []
    private var previous: Set<Int> = []
    /// The first seq of the events in `current`.
    private var currentFrom: UInt64
    /// Every event appended at this seq or after is in `current` or `previous`.
    private(set) var coveredFrom: UInt64
    private let idsPerGeneration: Int

    init(after lastSeq: UInt64, idsPerGeneration: Int) {
        self.currentFrom = lastSeq + 1
        self.coveredFrom = lastSeq + 1
        self.idsPerGeneration = idsPerGeneration
    }

    /// Whether `id` may have been appended since `coveredFrom`; `false` means it was not.
    func mayHold(_ id: String) -> Bool {
        let hash = id.hashValue
        return current.contains(hash) || previous.contains(hash)
    }

    /// A commit appended (or found as duplicates) `ids`; the first it appended has `firstSeq`.
    mutating func committed(_ ids: some Collection<String>, firstSeq: UInt64) {
        if current.count + ids.count > idsPerGeneration, !current.isEmpty {
            previous = current
            coveredFrom = currentFrom
            current = []
            current.reserveCapacity(idsPerGeneration)
            currentFrom = firstSeq
        }
        for id in ids { current.insert(id.hashValue) }
    }

    /// Dedup entries were deleted by the commit at `seq` (an erasure): nothing before it is vouched for.
    mutating func forgetAll(through seq: UInt64) {
        current = []
        previous = []
        currentFrom = seq + 1
        coveredFrom = seq + 1
    }
}

/// What a group commit is written through: the store, which stages each event in its key layout,
/// writes the commit's one synced batch and then shows what it changed. The writer decides which
/// appends go together, in what order, and which commit is staged while which is written; it
/// knows nothing of the layout.
protocol GroupCommitTarget: AnyObject, Sendable {
    associatedtype Staged: StagedGroupCommit
    /// Most events in one commit.
    var maximumEventsPerCommit: Int { get }
    /// Stages one commit over `earlier`, the commit being written meanwhile (not applied to the
    /// writer yet), and changes nothing outside it. On the writer's queue.
    func stage(_ groups: [[Result<PreparedEvent, C360Error>]], positions: [SourcePosition], after earlier: Staged?) -> Staged
    /// Writes a staged commit (one with `needsWrite`); on the writer's second thread.
    func writeCommit(_ staged: Staged) throws(C360Error)
    /// Shows a written commit to readers; on the writer's second thread, right after its write.
    func publish(_ staged: Staged)
    /// Makes a written commit's state the writer's; on the writer's queue.
    func applyToWriter(_ staged: Staged)
}

/// A staged commit as the writer sees it.
protocol StagedGroupCommit: AnyObject, Sendable {
    /// The outcomes of its appends' events, group by group, as staged.
    var outcomes: [[AppendOutcome]] { get }
    /// Whether it has a batch to write.
    var needsWrite: Bool { get }
    /// For one with nothing to write: whether it counts as written (`false`: refused whole, no
    /// position moved).
    var writtenWithoutWrite: Bool { get }
    /// The log position of its last event.
    var lastSeq: UInt64 { get }
}

/// The single writer of a store. Appends that arrive while a commit is being synced wait together
/// and are written by the next commit as one synced `WriteBatch`: group commit, so durability
/// costs one fsync per commit, not one per event.
///
/// Its state and caches change only through the methods below, each named for what the store has
/// just written (a commit, an erasure, a rebuild, a new segment day), and only on `queue`.
// @unchecked Sendable: `state` and `caches` are read and written only on `queue`, a serial queue; the waiting
// appends are behind a Mutex.
final class LogWriter: @unchecked Sendable {
    let queue = DispatchQueue(label: "c360.log-writer", qos: .userInitiated)
    /// Where a commit's batch is written, shown and acknowledged while `queue` stages the next.
    private let writes = DispatchQueue(label: "c360.log-writes", qos: .userInitiated)
    /// The commit handed to `writes` and not yet applied to `state` (on `queue` only).
    private var writing: CommitBeingWritten?
    private(set) var state: WriterState
    private var caches: WriterCaches
    private var recentEventIDs: RecentEventIDs
    /// The last seq whose commit is written: what RocksDB's dedup entries reflect at least, for a
    /// caller that reads one before handing the event over (`recentSeq(of:readThrough:read:)`).
    let committedThrough: Atomic<UInt64>
    /// `state.segmentDay`, for readers off the writer's queue.
    let segmentDay: Atomic<Int64>
    private let waiting = Mutex(Waiting())
    /// Most bytes of events (as encoded) the waiting appends may hold (`StoreConfiguration.appendQueueBytes`).
    private let queueBytes: Int

    private struct Waiting: ~Copyable {
        var appends: [PendingAppend] = []
        var commitScheduled = false
        /// The waiting appends' events, in bytes as encoded.
        var bytes = 0
    }

    struct PendingAppend {
        let events: [Result<PreparedEvent, C360Error>]
        /// Its events' bytes as encoded, counted in `Waiting.bytes`.
        let bytes: Int
        /// Stored in the same commit as the events.
        var position: SourcePosition?
        /// The outcomes, and whether the commit was written (the position with it).
        let completion: @Sendable ([AppendOutcome], Bool) -> Void
    }

    init(state: WriterState, caches: WriterCaches, queueBytes: Int = StoreConfiguration().appendQueueBytes, recentEventIDsPerGeneration: Int = 16_384) {
        self.queueBytes = queueBytes
        self.state = state
        self.caches = caches
        self.recentEventIDs = RecentEventIDs(after: state.lastSeq, idsPerGeneration: recentEventIDsPerGeneration)
        self.committedThrough = Atomic(state.lastSeq)
        self.segmentDay = Atomic(state.segmentDay)
    }

    // MARK: What the store has written (on `queue`, once the write succeeded)

    /// A commit of appends was written: `state` is the writer's state after it, and what it read
    /// or decided of the index, of merges and of segment memberships is cached for the next.
    /// `eventIDs` are the ids it appended or found stored.
    func committed(
        _ state: WriterState, eventIDs: some Collection<String>, index: [IndexKey: UInt64?], mergedInto: [UInt64: UInt64?],
        memberships: [UInt64: Set<String>]
    ) {
        recentEventIDs.committed(eventIDs, firstSeq: self.state.lastSeq + 1)
        self.state = state
        for (key, subject) in index {
            caches.index.insert(subject, for: key)
        }
        for (anonymous, customer) in mergedInto {
            caches.mergedInto.insert(customer, for: anonymous)
        }
        for (subject, names) in memberships {
            caches.memberships.insert((state.segmentDay, names), for: subject)
        }
    }

    /// A commit's batch was written through `seq`: callers' reads of the dedup entries made from
    /// now on reflect it (`recentSeq(of:readThrough:read:)`). On the writer's second thread, before
    /// the commit is shown; `committed` applies the rest of it on `queue` later.
    func written(through seq: UInt64) {
        committedThrough.store(seq, ordering: .releasing)
    }

    /// An erasure was written at `seq`: its customer's hash and identities are refused from now on,
    /// and exactly what the write removed is forgotten (the rest of the caches still mirrors RocksDB).
    func erased(
        seq: UInt64, eventCount: UInt64, customerHash: [UInt8], identityKeys: Set<[UInt8]>, removedIndexKeys: Set<[UInt8]>,
        subjects: [UInt64]
    ) {
        state.lastSeq = seq
        state.eventCount = eventCount
        recentEventIDs.forgetAll(through: seq)
        committedThrough.store(seq, ordering: .releasing)
        state.erasedCustomerHashes.insert(IndexKey(customerHash))
        state.erasedSubjects.formUnion(subjects)
        state.erasedIdentityKeys.formUnion(identityKeys.lazy.map(IndexKey.init))
        for key in removedIndexKeys {
            caches.index.remove(IndexKey(key))
        }
        for subject in subjects {
            caches.mergedInto.remove(subject)
            caches.memberships.remove(subject)
        }
    }

    /// The projections were rebuilt by `fold` (a replay, or a build of a new fold switched to):
    /// commits fold by it from now on, and nothing cached from the old projections is kept.
    func rebuilt(by fold: ProjectionFold, eventCount: UInt64? = nil) {
        state.fold = fold
        if let eventCount { state.eventCount = eventCount }
        caches.removeAll()
    }

    /// The projections are about to be rewritten outside commits: nothing cached from them is kept.
    func forgetCaches() {
        caches.removeAll()
    }

    /// Segment membership is now evaluated as of the end of `day`: the memberships cached for
    /// another day are forgotten.
    func movedSegmentDay(to day: Int64) {
        state.segmentDay = day
        segmentDay.store(day, ordering: .relaxed)
        caches.memberships.removeAll()
    }

    // MARK: What it has cached (on `queue`)

    /// The subject an index key points at (`.some(nil)`: known to be absent), if cached.
    func cachedOwner(of key: IndexKey) -> UInt64?? {
        caches.index.value(for: key)
    }

    /// The seq the event `id` was appended at, as far as a read of RocksDB's dedup entries made
    /// after commits through `readThrough` were written, and the commits since, tell: `.some(nil)`
    /// when it was not appended, `nil` when they cannot tell (a commit since may hold it, or not all
    /// commits since are held): read it again.
    func recentSeq(of id: String, readThrough: UInt64, read: UInt64?) -> UInt64?? {
        guard readThrough + 1 >= recentEventIDs.coveredFrom else { return nil }
        if let read { return .some(read) }
        return recentEventIDs.mayHold(id) ? nil : .some(nil)
    }

    /// The customer an anonymous subject is merged into (`.some(nil)`: it is not), if cached.
    func cachedMergedInto(_ anonymous: UInt64) -> UInt64?? {
        caches.mergedInto.value(for: anonymous)
    }

    /// The segments a customer was in after its last commit, if that was evaluated as of `day`.
    func cachedMemberships(of subject: UInt64, day: Int64) -> Set<String>? {
        caches.memberships.value(for: subject).flatMap { $0.day == day ? $0.names : nil }
    }

    // MARK: Appending

    /// Calls `completion` on the writer's queue once the events are durable (or rejected), or at
    /// once on the calling thread when the queue is full (every event rejected).
    func append(_ events: [Result<PreparedEvent, C360Error>], into target: some GroupCommitTarget, completion: @escaping @Sendable ([AppendOutcome]) -> Void) {
        if events.isEmpty { return completion([]) }
        append(events, position: nil, into: target) { outcomes, _ in completion(outcomes) }
    }

    /// Appends `events` and stores `position` in the same commit; `completion` learns whether
    /// that commit was written. Refused whole, at once, when it would take the events waiting past
    /// `queueBytes` while others wait.
    func append(
        _ events: [Result<PreparedEvent, C360Error>], position: SourcePosition?, into target: some GroupCommitTarget,
        completion: @escaping @Sendable ([AppendOutcome], Bool) -> Void
    ) {
        let bytes = events.reduce(0) { total, event in total + ((try? event.get())?.encoded.count ?? 0) }
        let (taken, scheduleCommit, waitingBytes) = waiting.withLock { waiting in
            if !waiting.appends.isEmpty, waiting.bytes + bytes > queueBytes { return (false, false, waiting.bytes) }
            waiting.appends.append(PendingAppend(events: events, bytes: bytes, position: position, completion: completion))
            waiting.bytes += bytes
            if waiting.commitScheduled { return (true, false, 0) }
            waiting.commitScheduled = true
            return (true, true, 0)
        }
        guard taken else {
            let refusal = C360Error(.resourceExhausted,
                "the store's writer is behind: \(waitingBytes >> 10) KiB of appends wait for it, and this one would pass storage.append_queue_mb (\(queueBytes >> 20) MiB)")
            let outcomes: [AppendOutcome] = events.map { event in
                if case .failure(let error) = event { return .rejected(error) }
                return .rejected(refusal)
            }
            StoreMetrics.recordRefused(outcomes)
            return completion(outcomes, false)
        }
        if scheduleCommit {
            queue.async { self.commitWaiting(into: target) }
        }
    }

    /// Runs `work` on the writer's queue once the commit being written, if any, is written and
    /// applied: for any work there but committing (erasures, snapshots, rebuilds, closing).
    func async(_ work: @escaping @Sendable () -> Void) {
        queue.async {
            self.retireWriting()
            work()
        }
    }

    /// `async`, waiting for `work`'s result.
    func sync<Value>(_ work: () throws -> Value) rethrows -> Value {
        try queue.sync {
            retireWriting()
            return try work()
        }
    }

    /// Commits the appends waiting now, a few commits in a turn, then schedules itself again if
    /// more arrived meanwhile: rescheduling lets other work queued meanwhile (erasures,
    /// snapshots) run between turns.
    ///
    /// Commits are pipelined: while the writer's second thread (`writes`) writes and syncs one
    /// commit, shows it and acknowledges its appends, this queue stages the next over it (RocksDB's
    /// memtable inserts were a third of the writer's time in bulk ingest, `perf`). One commit is
    /// written at a time, in order. A failed write fails the commit staged over it as well: that
    /// one's decisions assumed it.
    private func commitWaiting<Target: GroupCommitTarget>(into target: Target) {
        let limit = target.maximumEventsPerCommit
        for _ in 0..<Self.commitsPerTurn {
            let taken = takeWaiting(upTo: limit)
            if taken.isEmpty { break }
            let staged = target.stage(taken.map(\.events), positions: taken.compactMap(\.position), after: writing?.staged as? Target.Staged)
            if let failure = retireWriting() {
                complete(taken, outcomes: Self.rejecting(staged.outcomes, stagedOver: failure), written: false)
                continue
            }
            if staged.needsWrite {
                writing = startWriting(staged, of: taken, into: target)
            } else {
                complete(taken, outcomes: staged.outcomes, written: staged.writtenWithoutWrite)
            }
        }
        let more = waiting.withLock { waiting in
            if waiting.appends.isEmpty {
                waiting.commitScheduled = false
                return false
            }
            return true
        }
        if more {
            queue.async { self.commitWaiting(into: target) }
        }
    }

    /// Commits in one turn of `commitWaiting`.
    static let commitsPerTurn = 8

    /// The appends waiting, oldest first, up to `limit` events (at least one append).
    private func takeWaiting(upTo limit: Int) -> [PendingAppend] {
        waiting.withLock { waiting in
            var taken: [PendingAppend] = []
            var events = 0
            while let next = waiting.appends.first, taken.isEmpty || events + next.events.count <= limit {
                taken.append(waiting.appends.removeFirst())
                events += next.events.count
                waiting.bytes -= next.bytes
            }
            return taken
        }
    }

    /// A commit handed to `writes` and not yet applied to the writer's state.
    // @unchecked Sendable: `failure` is set on `writes` before `done` is signalled, and read after.
    private final class CommitBeingWritten: @unchecked Sendable {
        let staged: any StagedGroupCommit
        let applyToWriter: () -> Void
        let done = DispatchSemaphore(value: 0)
        var failure: C360Error?

        init(staged: any StagedGroupCommit, applyToWriter: @escaping () -> Void) {
            self.staged = staged
            self.applyToWriter = applyToWriter
        }
    }

    private func startWriting<Target: GroupCommitTarget>(
        _ staged: Target.Staged, of appends: [PendingAppend], into target: Target
    ) -> CommitBeingWritten {
        // Weak: the store holds its writer, which holds this until its next work; a store dropped
        // without closing must go (and close its database) all the same.
        let writing = CommitBeingWritten(staged: staged) { [weak target] in target?.applyToWriter(staged) }
        writes.async {
            do throws(C360Error) {
                try target.writeCommit(staged)
            } catch {
                writing.failure = error
                self.complete(appends, outcomes: AppendOutcome.notWritten(staged.outcomes, failure: error), written: false)
                writing.done.signal()
                return
            }
            self.written(through: staged.lastSeq)
            target.publish(staged)
            self.complete(appends, outcomes: staged.outcomes, written: true)
            // Last: once the writer has waited for it, nothing of this commit runs any more (the
            // store may close).
            writing.done.signal()
        }
        return writing
    }

    /// Waits for the commit being written, if any, and makes its state the writer's. Returns its
    /// failure (nothing of it was written, shown or applied).
    @discardableResult
    private func retireWriting() -> C360Error? {
        guard let retiring = writing else { return nil }
        writing = nil
        retiring.done.wait()
        if let failure = retiring.failure { return failure }
        retiring.applyToWriter()
        return nil
    }

    /// The outcomes of a commit staged over one whose write failed: nothing of it is written, and
    /// what it found appended may have been that commit's.
    static func rejecting(_ outcomes: [[AppendOutcome]], stagedOver failure: C360Error) -> [[AppendOutcome]] {
        outcomes.map { group in
            group.map { outcome in
                if case .rejected = outcome { return outcome }
                return .rejected(failure)
            }
        }
    }

    private func complete(_ appends: [PendingAppend], outcomes: [[AppendOutcome]], written: Bool) {
        StoreMetrics.record(outcomes)
        for (append, outcome) in zip(appends, outcomes) {
            append.completion(outcome, written)
        }
    }
}
