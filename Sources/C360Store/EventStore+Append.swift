import C360Core
import C360Codec
import C360Model
import Foundation
import RocksDB
import SwiftProtobuf
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension EventStore: GroupCommitTarget {
    var maximumEventsPerCommit: Int { configuration.maximumEventsPerCommit }

    /// Everything one commit has read or decided so far, so that events of the same commit see
    /// each other (a duplicate within the batch, a customer created two events earlier, a merge).
    fileprivate struct CommitContext {
        var state: WriterState
        /// The commit staged before this one, being written while this one is staged (`LogWriter`
        /// pipelines them): what it decided is not in RocksDB or the writer's caches yet, so this
        /// commit reads it here first. Cleared once this commit is staged.
        var earlier: StagedCommit?
        var eventIDs: [String: UInt64] = [:]
        var index: [IndexKey: UInt64?] = [:]
        /// The entries of `index` read from RocksDB or written by this commit: for the writer's
        /// cache, which holds the rest already (re-inserting every entry a commit used was 4% of the
        /// writer's time in bulk ingest, `perf`).
        var indexLearned: [IndexKey: UInt64?] = [:]
        var projections: [UInt64: Projection] = [:]
        /// Projections this commit folded in their stored bytes (`ProjectionWireFold`), never
        /// decoded; a subject is here or in `projections`, not both.
        var foldedInStoredBytes: [UInt64: FoldedProjection] = [:]
        /// Projections of anonymous histories merged away in this commit.
        var removedProjections: Set<UInt64> = []
        var mergedInto: [UInt64: UInt64?] = [:]
        var members: [UInt64: [UInt64]] = [:]
        /// Events staged in this commit, by subject, for a refold that needs them before they are
        /// written. Each holds its prepared event rather than a copy of what the fold reads of it:
        /// only a merge or an unmerge refolds (`perf` of bulk ingest: copying it for every event was
        /// 1–2% of the writer's samples).
        var staged: [UInt64: [StagedEvent]] = [:]
        /// The projections as they were before this commit (`nil`: a new subject), for segment changes.
        var before: [UInt64: Projection?] = [:]
        /// Customers this commit creates, with their subjects.
        var createdCustomers: [(customerID: String, subject: UInt64)] = []

        /// Sized for a commit of `events` events up front: grown from empty, the tables were rehashed
        /// a dozen times in each commit of a thousand events (3% of the writer's time in bulk
        /// ingest, `perf`).
        init(state: WriterState, events: Int, earlier: StagedCommit? = nil) {
            self.state = state
            self.earlier = earlier
            eventIDs.reserveCapacity(events)
            index.reserveCapacity(events)
            indexLearned.reserveCapacity(events)
            projections.reserveCapacity(events)
            staged.reserveCapacity(events)
        }

        /// The stored bytes of `subject`'s projection as this commit folded them in place, or as
        /// the commit staged before it left them; `nil` when neither folded it so.
        func foldedBytes(of subject: UInt64) -> [UInt8]? {
            foldedInStoredBytes[subject]?.bytes ?? earlier?.folded[subject]?.bytes
        }

        /// The events of `subjects` staged in this commit, for a refold.
        func stagedHistory(of subjects: [UInt64]) -> [HistoryEntry<FoldableEvent>] {
            subjects.flatMap { (earlier?.context.staged[$0] ?? []) + (staged[$0] ?? []) }.map {
                HistoryEntry(seq: $0.seq, subject: $0.subject, event: $0.prepared.foldable, resolution: $0.resolution)
            }
        }

        /// Records an index entry read from RocksDB or written by this commit.
        mutating func learn(_ key: IndexKey, _ subject: UInt64?) {
            index[key] = .some(subject)
            indexLearned[key] = .some(subject)
        }
    }

    /// Folds one group of appends into the commit that writes their log as one synced `WriteBatch`:
    /// the events, their log positions, dedup and index entries, identity resolutions and segment
    /// membership changes together, so a crash can never separate them. `positions` (a source's
    /// place in its own log) go in the same batch. `earlier` is the commit being written meanwhile,
    /// whose decisions this one builds on (`LogWriter` stages a commit while the one before it is
    /// written: RocksDB's inserts were a third of the writer's time). Changes nothing outside the
    /// commit: `write` and `publish` do. Runs on the writer's queue only.
    func stage(_ groups: [[Result<PreparedEvent, C360Error>]], positions: [SourcePosition], after earlier: StagedCommit?) -> StagedCommit {
        var context = CommitContext(state: earlier?.context.state ?? writer.state, events: groups.reduce(0) { $0 + $1.count }, earlier: earlier)
        let batch = WriteBatch(for: database)
        var outcomes: [[AppendOutcome]] = []
        outcomes.reserveCapacity(groups.count)
        var appended = false
        for events in groups {
            var group: [AppendOutcome] = []
            group.reserveCapacity(events.count)
            for event in events {
                do throws(C360Error) {
                    let outcome = try stage(try event.get(), into: batch, context: &context)
                    if case .appended = outcome { appended = true }
                    group.append(outcome)
                } catch {
                    group.append(.rejected(error))
                }
            }
            outcomes.append(group)
        }
        let earlierMemberships = context.earlier?.memberships ?? [:]
        context.earlier = nil
        guard appended || !positions.isEmpty else { return StagedCommit(outcomes: outcomes, context: context) }
        if let shortage = diskShortage(writing: batch.byteCount) {
            return StagedCommit(outcomes: AppendOutcome.notWritten(outcomes, failure: shortage), context: context, refused: true)
        }

        let (segmentChanges, memberships) = self.segmentChanges(
            before: context.before, after: context.projections, day: context.state.segmentDay, earlier: earlierMemberships)
        for change in segmentChanges {
            let key = StoreKeys.segmentMember(change.segment, subject: change.subject)
            if change.kind == .enter {
                batch.put(key, Array(change.customerID.utf8), in: families.segments)
            } else {
                batch.delete(key, in: families.segments)
            }
        }
        batch.put(StoreKeys.Meta.lastSeq, StoreKeys.bigEndian(context.state.lastSeq), in: families.meta)
        batch.put(StoreKeys.Meta.nextSubject, StoreKeys.bigEndian(context.state.nextSubject), in: families.meta)
        batch.put(StoreKeys.Meta.eventCount, StoreKeys.bigEndian(context.state.eventCount), in: families.meta)
        for position in positions {
            batch.put(StoreKeys.Meta.sourcePosition(position.source), position.value, in: families.meta)
        }
        // Encoded once here: the projection store holds them so until they are written behind,
        // and the commit staged over this one decodes from these bytes the parts it changes.
        var folded: [UInt64: FoldedProjection] = [:]
        folded.reserveCapacity(context.projections.count)
        for subject in Array(context.projections.keys) {
            if let projection = context.projections.removeValue(forKey: subject) {
                folded[subject] = FoldedProjection(seq: projection.seq, customerID: projection.customerID, bytes: ProjectionWireCodec.encode(projection))
            }
        }
        folded.merge(context.foldedInStoredBytes) { decoded, _ in decoded }
        context.foldedInStoredBytes = [:]
        return StagedCommit(
            outcomes: outcomes, context: context, folded: folded, batch: batch,
            // A source's position is synced whatever the policy: it is what the source may forget up to.
            sync: configuration.walSync == .everyCommit || !positions.isEmpty,
            segmentChanges: segmentChanges, memberships: memberships)
    }

    /// Writes a staged commit's batch. Runs on the writer's second thread, while the writer stages
    /// the next commit; nothing of the commit is shown until `publish`.
    func writeCommit(_ commit: StagedCommit) throws(C360Error) {
        guard let batch = commit.batch else { return }
        do {
            try database.write(batch, sync: commit.sync)
        } catch {
            throw C360Error(error, doing: "append")
        }
    }

    /// Shows a written commit to readers: the projections it folded (handed to the projection
    /// store, which writes them behind the log; recovery folds them again after a crash), its
    /// customers' subjects, the change and segment streams. Runs on the writer's second thread once
    /// `writeCommit` returned, while the writer may be staging the next commit over this one: it
    /// only reads the commit.
    func publish(_ commit: StagedCommit) {
        guard commit.batch != nil else { return }
        let context = commit.context
        // A customer's subject never changes once created (an erasure removes it): its next events
        // find it here instead of reading the index (in bulk ingest, where each customer is created
        // by its first event, those reads were 6% of the server's CPU, `perf`).
        for (customerID, subject) in context.createdCustomers {
            customerSubjects.store(subject, for: customerID)
        }
        var published: [StoreChange] = []
        published.reserveCapacity(commit.folded.count)
        var changed: [UInt64: ProjectionStore.Change] = [:]
        changed.reserveCapacity(commit.folded.count + context.removedProjections.count)
        for (subject, folded) in commit.folded {
            published.append(StoreChange(seq: folded.seq, customerID: folded.customerID, erased: false))
            changed[subject] = .encoded(folded.bytes)
        }
        published.sort { $0.seq < $1.seq }
        for subject in context.removedProjections where changed[subject] == nil {
            changed[subject] = .removed
        }
        projections.committed(changed, through: context.state.lastSeq)
        changes.publish(published, lastSeq: context.state.lastSeq)
        self.segmentChanges.publish(commit.segmentChanges.map { ($0.segment, $0.customerID, $0.kind) }, seq: context.state.lastSeq)
    }

    /// Makes a written commit's state and what it read or decided of the index, merges and
    /// segment memberships the writer's own. Runs on the writer's queue, before it stages a commit
    /// that is not staged over this one.
    func applyToWriter(_ commit: StagedCommit) {
        guard commit.batch != nil else { return }
        let context = commit.context
        writer.committed(
            context.state, eventIDs: context.eventIDs.keys, index: context.indexLearned, mergedInto: context.mergedInto,
            memberships: commit.memberships)
    }

    /// Validates and encodes events and computes their keyed hashes: everything about an append
    /// that does not depend on the log, done on the caller's thread so that the single writer
    /// does not (validation, encoding and hashing were a fifth of its time).
    /// `encoded`, when given, holds each event's wire form as it was received (`encoded[i]` decodes
    /// to `events[i]`), stored as it is: encoding the event again was 8% of bulk ingest's event
    /// loop (`perf`).
    func prepare(_ events: [C360_V1_Event], encoded received: [[UInt8]]?) -> [Result<PreparedEvent, C360Error>] {
        // The dedup entries are read here rather than by the writer, which every commit waits for:
        // the writer checks only the commits since (`LogWriter.recentSeq`). Read as one batch: one
        // read per event searched each SST file's filter partitions again for every id (`perf` of
        // bulk ingest: 8% of the event loop finding and fetching partitions, 1% probing them).
        let readThrough = writer.committedThrough.load(ordering: .acquiring)
        let checked: [Result<[UInt8], C360Error>] = events.indices.map { index in
            do throws(C360Error) {
                try configuration.validator.validate(events[index])
                if let received { return .success(received[index]) }
                return .success(try Self.encoded(events[index]))
            } catch {
                return .failure(error)
            }
        }
        // By index, not over `zip(events, checked)`: the zip copied every event out once more,
        // retaining and releasing each string and array in it.
        let dedupKeys = events.indices.compactMap { index in
            (try? checked[index].get()).map { _ in Array(events[index].eventID.utf8) }
        }
        let storedSeqs: Result<[UInt64?], C360Error>
        do throws(C360Error) {
            storedSeqs = .success(try appendedEventIDs.values(at: dedupKeys))
        } catch {
            storedSeqs = .failure(error)
        }
        var nextRead = 0
        return events.indices.map { index in
            do throws(C360Error) {
                let encoded = try checked[index].get()
                let storedSeq = try storedSeqs.get()[nextRead]
                nextRead += 1
                return .success(prepared(events[index], encoded: encoded, dedupRead: .init(through: readThrough, seq: storedSeq)))
            } catch {
                return .failure(error)
            }
        }
    }

    /// The rest of preparing an event validated, encoded and checked against the dedup entries.
    private func prepared(_ event: C360_V1_Event, encoded: [UInt8], dedupRead: PreparedEvent.DedupRead) -> PreparedEvent {
        // Each identity hashed once: those an event carries are both where an anonymous event's
        // subject is found and among the ones it links.
        let carried = event.identities.map(IdentityKey.normalized)
        let identityKeys = carried.map { pseudonyms.identityIndexKey(normalized: $0) }
        var seen: Set<[UInt8]> = []
        var linked: [(identity: C360_V1_Identity, key: [UInt8])] = []
        for (identity, key) in zip(carried, identityKeys) where seen.insert(key).inserted {
            linked.append((identity, key))
        }
        for identity in Self.identitiesLinked(besidesCarriedBy: event).map(IdentityKey.normalized) {
            let key = pseudonyms.identityIndexKey(normalized: identity)
            if seen.insert(key).inserted { linked.append((identity, key)) }
        }
        var unlinking: (identity: C360_V1_Identity, key: [UInt8])?
        if case .identityUnlinked(let unlinked) = event.payload {
            let identity = IdentityKey.normalized(unlinked.identity)
            unlinking = (identity, pseudonyms.identityIndexKey(normalized: identity))
        }
        let parts = partsToFold(event, linking: !linked.isEmpty || unlinking != nil)
        let customer = event.customerID.isEmpty ? nil : preparedCustomer(event.customerID)
        let foldable = FoldableEvent(event)
        // Tying an identity may merge histories and changes the identities; segment membership
        // compares whole decoded projections; an anonymous event's projection is its customer's
        // only once the writer resolves it.
        let foldsInStoredBytes = linked.isEmpty && configuration.segments.isEmpty && customer != nil && ProjectionWireFold.takes(foldable)
        return PreparedEvent(
            foldable: foldable, partsToFold: parts, encoded: encoded, dedupRead: dedupRead,
            customer: customer, identityKeys: identityKeys, linked: linked, unlinking: unlinking, foldsInStoredBytes: foldsInStoredBytes)
    }

    /// The event's customer as far as the store knows it now: its subject if known — from the cache
    /// without hashing its id (the keyed hash was 3% of bulk ingest's samples, `perf`), else from
    /// the index by the hash — or, for a customer not known yet, the hash the writer needs.
    private func preparedCustomer(_ customerID: String) -> PreparedEvent.Customer {
        let subject: UInt64
        if let cached = customerSubjects.value(for: customerID) {
            subject = cached
        } else {
            let hash = pseudonyms.customerHash(customerID)
            // A failed read is left to the writer, which looks the customer up again by its hash.
            guard let indexed = try? indexedSubject(customerID: customerID, customerHash: hash) else { return .unknown(hash: hash) }
            subject = indexed
        }
        warmProjection(of: subject)
        return .known(subject: subject)
    }

    private static func encoded(_ event: C360_V1_Event) throws(C360Error) -> [UInt8] {
        do {
            return try event.serializedBytes()
        } catch {
            throw C360Error(.internalError, "could not encode the event: \(error)")
        }
    }

    /// Reads a known customer's stored projection into memory, on the calling thread, so that the
    /// writer folding the event finds its bytes there instead of reading them from RocksDB: with
    /// customers at random, that read was 15% of the writer's time (`perf` of small appends), and
    /// the writer is the one thread every commit waits for. Best effort: the cache keeps a read only
    /// if no commit changed the projection meanwhile.
    private func warmProjection(of subject: UInt64) {
        try? projections.warm(subject)
    }

    /// The parts of its subject's projection that folding `event` reads or changes: the others stay
    /// in their stored bytes. `linking`: the event ties identities to its subject or unties one,
    /// so identity resolution may change the projection's identities. All of them when segments
    /// are defined: membership is evaluated over the whole projection before and after.
    private func partsToFold(_ event: C360_V1_Event, linking: Bool) -> Projection.Parts {
        if !configuration.segments.isEmpty { return .all }
        var parts = ProjectionFold.parts(changedBy: event)
        if linking { parts.formUnion(ProjectionFold.resolutionParts) }
        return parts
    }

    /// Why `bytes` more may not be written now: the data directory's filesystem would be left with
    /// less than the configured reserve. `nil` when there is room (or the space cannot be read).
    func diskShortage(writing bytes: Int) -> C360Error? {
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return nil }
        let free = UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
        let reserve = configuration.reservedDiskBytes
        guard free < reserve + UInt64(bytes) else { return nil }
        return C360Error(.resourceExhausted,
            "the disk holding the data directory is full: \(free >> 20) MiB free, \(reserve >> 20) MiB are kept in reserve; free some space (appending resumes by itself)")
    }

    /// Resolves one prepared event's identities, folds it and adds its writes to `batch`.
    ///
    /// Everything that can fail (reads, decoding) happens before the first change to `batch` or
    /// `context`, so a rejected event leaves no trace in the commit.
    private func stage(_ prepared: PreparedEvent, into batch: WriteBatch, context: inout CommitContext) throws(C360Error) -> AppendOutcome {
        let eventID = prepared.foldable.eventID
        if let seq = context.eventIDs[eventID] ?? context.earlier?.context.eventIDs[eventID] {
            return .duplicate(seq: seq)
        }
        let eventIDKey = Array(eventID.utf8)
        let appendedAt: UInt64?
        if let known = writer.recentSeq(of: eventID, readThrough: prepared.dedupRead.through, read: prepared.dedupRead.seq) {
            appendedAt = known
        } else {
            appendedAt = try appendedEventIDs.value(at: eventIDKey)
        }
        if let seq = appendedAt {
            context.eventIDs[eventID] = seq
            return .duplicate(seq: seq)
        }
        let erased = switch prepared.customer {
        // Known when prepared: erased since, if at all (an erased customer's subject is not found).
        case .known(let subject): context.state.erasedSubjects.contains(subject)
        case .unknown(let hash): context.state.erasedCustomerHashes.contains(IndexKey(hash))
        case nil: false
        }
        if erased {
            throw C360Error(.erased, "customer \(prepared.foldable.customerID) was erased; no events are accepted for it", field: "customer_id")
        }
        if prepared.customer == nil, let index = prepared.identityKeys.firstIndex(where: { context.state.erasedIdentityKeys.contains(IndexKey($0)) }) {
            // Only the erased person's device or address can still be sending it, and there is no
            // customer to attach it to: storing it would start collecting their data again. Under
            // a customer id, the identity is accepted: that is a new relationship (a new sign-up).
            throw C360Error(.erased, "this identity belonged to an erased customer; anonymous events naming it are not accepted", field: "identities[\(index)]")
        }

        // The subject that stores the event, and the one whose projection folds it.
        let existingSubject = try findSubject(of: prepared, context: &context)
        let subject = existingSubject ?? nextSubject(anonymous: prepared.customer == nil, context: context)
        let target = try StoreKeys.isAnonymous(subject) ? (mergedInto(subject, context: &context) ?? subject) : subject
        if existingSubject != nil, let folded = try foldedInStoredBytes(prepared, of: target, context: context) {
            context.foldedInStoredBytes[target] = folded
            recordAppended(prepared, eventIDKey: eventIDKey, subject: subject, seq: folded.seq, resolution: nil, into: batch, context: &context)
            return .appended(seq: folded.seq)
        }
        var projection: Projection
        if existingSubject == nil {
            projection = ProjectionFold.emptyProjection(customerID: prepared.foldable.customerID)
        } else {
            projection = try currentProjection(of: target, context: context, toFold: true, parts: prepared.partsToFold)
        }
        // Only segment membership compares a projection with what it was before the commit.
        let before: Projection?? = configuration.segments.isEmpty || context.before[target] != nil ? nil
            : .some(existingSubject == nil ? nil : projection)
        let seq = context.state.lastSeq + 1
        let (decision, unmergedProjections) = try resolve(prepared, subject: subject, target: target, projection: projection, context: &context)
        if let members = decision.members {
            projection = try refold(subjects: [target] + members, extra: context.stagedHistory(of: [target] + members), by: context.state.fold)
        }

        // Nothing below can fail.
        if let before { context.before[target] = before }
        if existingSubject == nil {
            context.state.nextSubject += 1
            if case .unknown(let hash) = prepared.customer {
                let customerKey = PseudonymKey.indexKey(customerHash: hash)
                identityIndex.put(customerKey, subject, in: batch)
                context.learn(IndexKey(customerKey), subject)
                context.createdCustomers.append((prepared.foldable.customerID, subject))
            }
        }
        for key in decision.linkKeys {
            identityIndex.put(key, subject, in: batch)
            context.learn(IndexKey(key), subject)
        }
        for key in decision.unlinkKeys {
            identityIndex.delete(key, in: batch)
            context.learn(IndexKey(key), nil)
        }
        for history in decision.resolution.merged {
            batch.put(StoreKeys.mergedInto(anonymous: history.subject), StoreKeys.subject(target), in: families.merges)
            batch.put(StoreKeys.member(customer: target, anonymous: history.subject), [], in: families.merges)
            context.mergedInto[history.subject] = target
            context.projections[history.subject] = nil
            context.foldedInStoredBytes[history.subject] = nil
            context.removedProjections.insert(history.subject)
        }
        for history in decision.resolution.unmerged {
            batch.delete(StoreKeys.mergedInto(anonymous: history.subject), in: families.merges)
            batch.delete(StoreKeys.member(customer: target, anonymous: history.subject), in: families.merges)
            context.mergedInto[history.subject] = .some(nil)
            context.projections[history.subject] = unmergedProjections[history.subject]
            context.foldedInStoredBytes[history.subject] = nil
        }
        if let members = decision.members { context.members[target] = members }
        let resolution = decision.isEmpty ? nil : decision.resolution
        if let resolution {
            batch.put(StoreKeys.event(subject: subject, seq: seq), ResolutionWireWriter.encode(resolution), in: families.resolutions)
        }
        context.state.fold.apply(prepared.foldable, seq: seq, resolution: resolution, to: &projection)
        // Moved, not copied (as above in `commit`): this is the last use of `projection`.
        context.projections[target] = consume projection
        context.foldedInStoredBytes[target] = nil
        recordAppended(prepared, eventIDKey: eventIDKey, subject: subject, seq: seq, resolution: resolution, into: batch, context: &context)
        return .appended(seq: seq)
    }

    /// Adds an appended event's own writes to `batch` — the event, its log entry, its dedup entry —
    /// and records it in the commit, once its projection is folded.
    private func recordAppended(
        _ prepared: PreparedEvent, eventIDKey: [UInt8], subject: UInt64, seq: UInt64, resolution: C360_Store_V1_Resolution?,
        into batch: WriteBatch, context: inout CommitContext
    ) {
        batch.put(StoreKeys.event(subject: subject, seq: seq), prepared.encoded, in: families.events)
        batch.put(StoreKeys.logEntry(seq: seq), [StoreKeys.LogEntryKind.event.rawValue] + StoreKeys.subject(subject), in: families.log)
        appendedEventIDs.put(eventIDKey, seq, in: batch)
        context.staged[subject, default: []].append(StagedEvent(seq: seq, subject: subject, prepared: prepared, resolution: resolution))
        context.eventIDs[prepared.foldable.eventID] = seq
        context.state.lastSeq = seq
        context.state.eventCount += 1
    }

    /// `target`'s projection with `prepared` folded in at the next log position, folded in its
    /// stored bytes without decoding them (`ProjectionWireFold`: byte for byte what the decoded fold
    /// gives, in about a third of its time, `c360 bench codec`). `nil` when the event is not one it
    /// folds, the projection is not in memory as bytes (decoded by this commit or in the cache of
    /// decoded ones, or not held), or the wire fold declines its bytes: the decoded fold folds it.
    private func foldedInStoredBytes(_ prepared: PreparedEvent, of target: UInt64, context: CommitContext) throws(C360Error) -> FoldedProjection? {
        guard prepared.foldsInStoredBytes, context.projections[target] == nil else { return nil }
        let bytes: [UInt8]
        if let folded = context.foldedBytes(of: target) {
            bytes = folded
        } else if context.earlier?.context.removedProjections.contains(target) == true {
            return nil
        } else if let held = projections.bytesToFold(of: target) {
            bytes = held
        } else {
            return nil
        }
        let seq = context.state.lastSeq + 1
        guard let folded = ProjectionWireFold.folding(prepared.foldable, seq: seq, into: bytes, by: context.state.fold) else { return nil }
        return FoldedProjection(seq: seq, customerID: prepared.foldable.customerID, bytes: folded)
    }

    /// Identity resolution's decision for one event (`IdentityResolution`, in C360Core), over the
    /// index as this commit sees it; with the anonymous histories it takes out of their customer,
    /// folded on their own again.
    private func resolve(_ prepared: PreparedEvent, subject: UInt64, target: UInt64, projection: Projection,
                         context: inout CommitContext) throws(C360Error) -> (decision: IdentityDecision<[UInt8]>, unmerged: [UInt64: Projection]) {
        let unlinking = prepared.unlinking
        // Most events tie no identity to their subject: nothing to read or decide.
        if prepared.linked.isEmpty && unlinking == nil { return (IdentityDecision(), [:]) }
        // The index reads through the commit's context and records what it read there; moved in
        // and back rather than copied, so that its tables stay uniquely referenced (swapping in an
        // empty context instead made one for every such event: 1% of bulk ingest's samples, `perf`).
        var index = CommitIdentityIndex(store: self, context: consume context)
        let decision = Result { () throws(C360Error) in
            try IdentityResolution.decide(
                linking: prepared.linked, unlinking: unlinking, subject: subject, target: target,
                identityCount: projection.identities.count, limits: configuration.identityLimits, index: &index)
        }
        let foldedAlone = index.foldedAlone
        // The index's last use, so the context is moved back, not copied.
        context = index.takeContext()
        return (try decision.get(), foldedAlone)
    }

    /// The identity index as one commit sees it: RocksDB and the writer's caches under what the
    /// commit's earlier events decided.
    private struct CommitIdentityIndex: IdentityIndex {
        let store: EventStore
        var context: CommitContext
        /// Anonymous histories folded on their own again, to be taken out of their customer.
        var foldedAlone: [UInt64: Projection] = [:]

        /// The commit's context, moved out: this index is not used after.
        consuming func takeContext() -> CommitContext { context }

        func isAnonymous(_ subject: UInt64) -> Bool { StoreKeys.isAnonymous(subject) }

        mutating func owner(of key: [UInt8]) throws(C360Error) -> UInt64? {
            try store.owner(of: key, context: &context)
        }

        mutating func mergedInto(_ subject: UInt64) throws(C360Error) -> UInt64? {
            try store.mergedInto(subject, context: &context)
        }

        mutating func members(of customer: UInt64) throws(C360Error) -> [UInt64] {
            try store.members(of: customer, context: &context)
        }

        mutating func identities(ofHistory subject: UInt64) throws(C360Error) -> [C360_V1_Identity] {
            try store.currentProjection(of: subject, context: context, parts: [.identities]).identities.map(\.identity)
        }

        mutating func identities(ofHistoryAlone subject: UInt64) throws(C360Error) -> [C360_V1_Identity] {
            let alone = try store.refold(subjects: [subject], extra: context.stagedHistory(of: [subject]), by: context.state.fold)
            foldedAlone[subject] = alone
            return alone.identities.map(\.identity)
        }
    }

    /// The subject an event belongs to, if it has one yet: its customer's, else that of the first
    /// of its identities already known. `nil` means a new subject (a new customer, or a new
    /// anonymous visitor known by the event's identities).
    private func findSubject(of prepared: PreparedEvent, context: inout CommitContext) throws(C360Error) -> UInt64? {
        switch prepared.customer {
        case .known(let subject):
            // A customer id's index entry is written once, when the writer creates the customer,
            // and deleted only by its erasure: a subject found while preparing the event is current
            // unless the customer was erased since, which is refused before this (an erased
            // customer is never created again). So the writer need not look it up again (reading
            // it was 3.5% of the server's CPU under small appends, looking it up in
            // `customerSubjects` 7% of the writer's time in bulk ingest, `perf`).
            return subject
        case .unknown(let hash):
            // Not known then: it may have been created since, by this commit (staged in `context`)
            // or an earlier one (in the writer's index cache).
            return try owner(of: PseudonymKey.indexKey(customerHash: hash), context: &context)
        case nil:
            for key in prepared.identityKeys {
                if let subject = try owner(of: key, context: &context) { return subject }
            }
            return nil
        }
    }

    private func nextSubject(anonymous: Bool, context: CommitContext) -> UInt64 {
        anonymous ? context.state.nextSubject | StoreKeys.anonymousBit : context.state.nextSubject
    }

    /// `toFold`: for the commit to replace, so a cached projection is taken out of the cache. Of
    /// its parts, at least `parts` are decoded.
    private func currentProjection(of subject: UInt64, context: CommitContext, toFold: Bool = false, parts: Projection.Parts) throws(C360Error) -> Projection {
        if var staged = context.projections[subject] {
            try ProjectionStore.decodeRetained(parts, in: &staged)
            return staged
        }
        if let folded = context.foldedBytes(of: subject) {
            return try ProjectionStore.decode(folded, parts: parts)
        }
        // Merged into a customer by the commit being written: the projection store still holds it
        // until that commit is published.
        if context.earlier?.context.removedProjections.contains(subject) == true {
            return ProjectionFold.emptyProjection(customerID: "")
        }
        let stored = try toFold ? projections.projectionToFold(of: subject, parts: parts) : projections.projection(of: subject, parts: parts)
        return stored ?? ProjectionFold.emptyProjection(customerID: "")
    }

    /// The subject an index key points at, as of this commit. Caches what it reads.
    private func owner(of key: [UInt8], context: inout CommitContext) throws(C360Error) -> UInt64? {
        let indexKey = IndexKey(key)
        if let cached = context.index[indexKey] { return cached }
        if let earlier = context.earlier?.context.index[indexKey] {
            context.index[indexKey] = earlier
            return earlier
        }
        if let cached = writer.cachedOwner(of: indexKey) {
            context.index[indexKey] = cached
            return cached
        }
        let subject = try identityIndex.value(at: key)
        context.learn(indexKey, subject)
        return subject
    }

    /// The customer an anonymous subject is merged into, as of this commit.
    private func mergedInto(_ anonymous: UInt64, context: inout CommitContext) throws(C360Error) -> UInt64? {
        if let known = context.mergedInto[anonymous] { return known }
        if let earlier = context.earlier?.context.mergedInto[anonymous] {
            context.mergedInto[anonymous] = earlier
            return earlier
        }
        if let cached = writer.cachedMergedInto(anonymous) {
            context.mergedInto[anonymous] = cached
            return cached
        }
        let customer = try storedMergedInto(anonymous)
        context.mergedInto[anonymous] = .some(customer)
        return customer
    }

    private func members(of customer: UInt64, context: inout CommitContext) throws(C360Error) -> [UInt64] {
        if let known = context.members[customer] ?? context.earlier?.context.members[customer] {
            context.members[customer] = known
            return known
        }
        let stored = try storedMembers(of: customer)
        context.members[customer] = stored
        return stored
    }

    /// The identities an event ties to its subject: those it carries, the email and phone it
    /// upserts, and the one it links.
    static func identitiesLinked(by event: C360_V1_Event) -> [C360_V1_Identity] {
        event.identities + identitiesLinked(besidesCarriedBy: event)
    }

    /// The identities an event ties to its subject other than those it carries.
    static func identitiesLinked(besidesCarriedBy event: C360_V1_Event) -> [C360_V1_Identity] {
        var identities: [C360_V1_Identity] = []
        switch event.payload {
        case .customerUpserted(let customer):
            if customer.hasEmail, !customer.email.isEmpty { identities.append(.init(type: .email, value: customer.email)) }
            if customer.hasPhone, !customer.phone.isEmpty { identities.append(.init(type: .phone, value: customer.phone)) }
        case .identityLinked(let link):
            identities.append(link.identity)
        default:
            break
        }
        return identities
    }

    func read(_ key: [UInt8], in family: ColumnFamily) throws(C360Error) -> [UInt8]? {
        do {
            return try database.get(key, in: family)
        } catch {
            throw C360Error(storage: error, doing: "read \(family)")
        }
    }

    func decodeProjection(_ bytes: [UInt8]) throws(C360Error) -> Projection {
        try ProjectionStore.decode(bytes)
    }
}

/// A commit staged by the writer and not yet shown: its outcomes, its batch and what it decided.
/// `@unchecked Sendable`: nothing changes it once staged; the writer and its second thread only read it.
final class StagedCommit: @unchecked Sendable, StagedGroupCommit {
    let outcomes: [[AppendOutcome]]
    /// `nil`: nothing to write (every event a duplicate or rejected), or refused whole.
    let batch: WriteBatch?
    let sync: Bool
    /// Refused whole before writing (the disk's reserve): no position moved.
    let refused: Bool
    fileprivate let context: EventStore.CommitContext
    /// The projections it folded, moved out of `context` once it is staged.
    let folded: [UInt64: FoldedProjection]
    let segmentChanges: [MembershipChange]
    /// Every customer's segments after the commit, for the writer's cache and the next commit.
    let memberships: [UInt64: Set<String>]

    var needsWrite: Bool { batch != nil }
    var writtenWithoutWrite: Bool { !refused }
    var lastSeq: UInt64 { context.state.lastSeq }

    fileprivate init(
        outcomes: [[AppendOutcome]], context: EventStore.CommitContext, folded: [UInt64: FoldedProjection] = [:],
        batch: WriteBatch? = nil, sync: Bool = true, refused: Bool = false,
        segmentChanges: [MembershipChange] = [], memberships: [UInt64: Set<String>] = [:]
    ) {
        self.outcomes = outcomes
        self.context = context
        self.folded = folded
        self.batch = batch
        self.sync = sync
        self.refused = refused
        self.segmentChanges = segmentChanges
        self.memberships = memberships
    }
}

/// A projection a commit folded, as its stored bytes, with what the change stream shows of it.
struct FoldedProjection {
    let seq: UInt64
    let customerID: String
    let bytes: [UInt8]
}

/// An event staged in a commit (`CommitContext.staged`).
private struct StagedEvent {
    let seq: UInt64
    let subject: UInt64
    let prepared: PreparedEvent
    let resolution: C360_Store_V1_Resolution?
}

/// An append's event once its caller has validated, encoded and hashed it (`EventStore.prepare`).
///
/// A class: the writer takes each out of its `Result` for staging, and as a struct that copied it
/// field by field, retaining and releasing every array in it (`perf` of bulk ingest: 2% of the
/// writer's samples).
///
/// It keeps what the writer reads of the event, not the generated message: holding a copy of that
/// retained every string and array in it, and destroying it released them again (`perf` of bulk
/// ingest: 2% of the server's samples).
final class PreparedEvent: Sendable {
    /// What the fold reads of the event (its id and customer id too), converted here rather than
    /// by the writer, which every commit waits for (`perf` of bulk ingest: 1.9% of the writer's
    /// samples).
    let foldable: FoldableEvent
    /// The parts of its subject's projection that folding it reads or changes.
    let partsToFold: Projection.Parts
    let encoded: [UInt8]
    /// Its dedup entry as read before it was handed to the writer.
    let dedupRead: DedupRead
    /// Its customer, `nil` for an anonymous event.
    let customer: Customer?
    /// Index keys of the identities it carries, in order: where an anonymous event's subject is found.
    let identityKeys: [[UInt8]]
    /// The identities it ties to its subject (normalized, each once) with their index keys.
    let linked: [(identity: C360_V1_Identity, key: [UInt8])]
    /// The identity it unties from its customer (normalized), with its index key.
    let unlinking: (identity: C360_V1_Identity, key: [UInt8])?
    /// Whether the writer may fold it in its customer's projection as stored (`ProjectionWireFold`):
    /// a web or email event under a customer id that ties no identity, with no segment defined.
    let foldsInStoredBytes: Bool

    init(
        foldable: FoldableEvent, partsToFold: Projection.Parts, encoded: [UInt8], dedupRead: DedupRead, customer: Customer?,
        identityKeys: [[UInt8]], linked: [(identity: C360_V1_Identity, key: [UInt8])],
        unlinking: (identity: C360_V1_Identity, key: [UInt8])?, foldsInStoredBytes: Bool
    ) {
        self.foldable = foldable
        self.partsToFold = partsToFold
        self.encoded = encoded
        self.dedupRead = dedupRead
        self.customer = customer
        self.identityKeys = identityKeys
        self.linked = linked
        self.unlinking = unlinking
        self.foldsInStoredBytes = foldsInStoredBytes
    }

    /// An event's customer as preparing it found it.
    enum Customer: Sendable, Equatable {
        /// Known then: its subject. An erasure since is refused by the subject.
        case known(subject: UInt64)
        /// Not known then: the keyed hash of its id, by which the writer finds it if a commit since
        /// created it, creates it otherwise, and refuses an erased customer.
        case unknown(hash: [UInt8])
    }

    /// What RocksDB's dedup entry of the event said, read once the commits through `through` were written.
    struct DedupRead: Sendable {
        let through: UInt64
        /// The seq it was appended at, `nil` when it was not.
        let seq: UInt64?
    }
}
