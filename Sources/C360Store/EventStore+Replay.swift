import C360Codec
public import C360Core
import C360Model
import Foundation
import RocksDB
import CoreMetrics
import Synchronization

extension EventStore {
    /// Rebuilds every projection from the log, from the start or from the newest snapshot plus the
    /// events after it, stores the result and reports how it compares with what was served.
    ///
    /// Appends wait while it runs.
    /// - Parameters:
    ///   - threads: threads folding a full replay's ranges (default: one per core), to measure how it scales.
    ///   - progress: called now and then with the number of events folded so far.
    /// - Throws: `C360Error` `.notFound` for `fromSnapshot` without a snapshot; storage errors.
    public func replay(fromSnapshot: Bool, threads: Int? = nil, progress: (@Sendable (UInt64) -> Void)? = nil) async throws(C360Error) -> ReplayReport {
        try await exclusively { () throws(C360Error) -> ReplayReport in
            // Replay rewrites the stored projections directly: none may be waiting to be written,
            // and the writer and lookups must read them afresh.
            try self.projections.writeAll()
            self.writer.forgetCaches()
            // Lookups during the rebuild may have cached projections it was rewriting.
            defer { self.projections.rewritten(through: self.writer.state.lastSeq) }
            let counted: @Sendable (UInt64) -> Void = { folded in
                StoreMetrics.replayEvents.set(Int64(clamping: folded))
                progress?(folded)
            }
            defer { StoreMetrics.replayEvents.set(0) }
            var report = fromSnapshot ? try self.rebuildFromSnapshot(progress: counted) : try self.rebuildAllProjections(threads: threads, progress: counted)
            // Membership follows the rebuilt projections, evaluated as of the same day as before.
            let refresh = try self.refreshSegmentsOnWriter(day: self.writer.state.segmentDay)
            report.segmentMembershipChanges = refresh.entered + refresh.left
            return report
        }
    }

    /// Which anonymous histories are merged into which customer, from the resolutions in the log,
    /// taken in log order: a history taken out of one customer can later be merged into another.
    struct Membership {
        var mergedInto: [UInt64: UInt64] = [:]
        var members: [UInt64: [UInt64]] = [:]
        /// Subjects whose resolutions after `seq` merged or unmerged anything (customers and histories alike).
        var changedAfter: Set<UInt64> = []
    }

    func membershipFromLog(changedAfter seq: UInt64 = .max) throws -> Membership {
        // The resolutions are keyed by subject: the merges and unmerges are collected first, then
        // applied in log order.
        var moves: [(seq: UInt64, customer: UInt64, merged: [UInt64], unmerged: [UInt64])] = []
        try database.forEachEntry(in: families.resolutions) { key, value in
            guard let customer = StoreKeys.uint64(key, at: 0), let eventSeq = StoreKeys.uint64(key, at: 8) else {
                throw C360Error(.corruption, "a resolution key of \(key.count) bytes is not subject ‖ seq")
            }
            let moved: ResolutionWireReader.MovedHistories
            do {
                moved = try ResolutionWireReader.movedHistories(value)
            } catch {
                throw C360Error(.corruption, "a stored identity resolution could not be decoded: \(error)")
            }
            if !moved.merged.isEmpty || !moved.unmerged.isEmpty {
                moves.append((eventSeq, customer, moved.merged, moved.unmerged))
            }
        }
        var membership = Membership()
        for move in moves.sorted(by: { $0.seq < $1.seq }) {
            for history in move.merged {
                membership.mergedInto[history] = move.customer
                if move.seq > seq { membership.changedAfter.formUnion([move.customer, history]) }
            }
            for history in move.unmerged where membership.mergedInto[history] == move.customer {
                membership.mergedInto[history] = nil
                if move.seq > seq { membership.changedAfter.formUnion([move.customer, history]) }
            }
        }
        for (anonymous, customer) in membership.mergedInto.sorted(by: { $0.key < $1.key }) {
            membership.members[customer, default: []].append(anonymous)
        }
        return membership
    }

    /// Rewrites the `merges` index to `membership`, the log's account of it.
    private func storeMembership(_ membership: Membership) throws {
        let batch = WriteBatch(for: database)
        batch.deleteRange(from: StoreKeys.allMerges.from, to: StoreKeys.allMerges.to, in: families.merges)
        for (anonymous, customer) in membership.mergedInto {
            batch.put(StoreKeys.mergedInto(anonymous: anonymous), StoreKeys.subject(customer), in: families.merges)
            batch.put(StoreKeys.member(customer: customer, anonymous: anonymous), [], in: families.merges)
        }
        try database.write(batch, sync: true)
    }

    /// Rebuilds from the first event. Runs on the writer's queue, or in `init` before anyone else
    /// can reach the store.
    ///
    /// A customer's projection depends only on its own events and those of the histories merged
    /// into it, so the subjects are folded in ranges on every core, a few ranges at a time, and the
    /// results taken in subject order by one `ProjectionRebuilder`.
    func rebuildAllProjections(threads: Int? = nil, progress: (@Sendable (UInt64) -> Void)?) throws(C360Error) -> ReplayReport {
        let started = ContinuousClock.now
        var report = ReplayReport()
        do {
            let membership = try membershipFromLog()
            // The merges index is rewritten while the ranges are folded, which read the log's
            // account of it (`membership`), never the index: done first, it kept a core idle.
            let stored = Mutex<Result<Void, any Error>?>(nil)
            let storing = DispatchGroup()
            DispatchQueue.global(qos: .userInitiated).async(group: storing) {
                let result = Result { try self.storeMembership(membership) }
                stored.withLock { $0 = result }
            }
            defer { storing.wait() }
            let rebuilder = try ProjectionRebuilder(database: database, projections: projections.family)
            let ranges = Self.replayRanges(nextSubject: writer.state.nextSubject)
            try foldRanges(ranges, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, membership: membership) { folded in
                report.eventsFolded += folded.events
                for (subject, bytes) in folded.projections {
                    try rebuilder.add(subject: subject, bytes: bytes)
                    report.projectionsRebuilt += 1
                }
                progress?(report.eventsFolded)
            }
            (report.liveDigest, report.rebuiltDigest) = try rebuilder.finish()
            report.projectionsChanged = rebuilder.changed
            report.projectionsRemoved = rebuilder.removed
            storing.wait()
            try stored.withLock { $0 }?.get()
            try recordRebuild(eventCount: report.eventsFolded)
        } catch {
            throw C360Error(error, doing: "replay")
        }
        report.seconds = Self.seconds(since: started)
        return report
    }

    /// Folds `ranges` on `threads` threads and hands each range's projections to `take` in the
    /// ranges' order (so in subject order), on the calling thread, while the next ones are folded.
    func foldRanges(_ ranges: [ReplayRange], threads: Int, membership: Membership, _ take: (FoldedRange) throws -> Void) throws {
        try OrderedParallelMap.run(
            ranges, workers: threads, ahead: max(1, threads) * 4,
            transform: { range in try self.fold(range: range, membership: membership) },
            consume: take)
    }

    /// A range of event keys: subjects from `lower` (inclusive) to `upper` (exclusive; `nil`: the end).
    struct ReplayRange: Sendable {
        let lower: UInt64
        let upper: UInt64?
    }

    /// The projections folded from one range's events, encoded, in subject order.
    struct FoldedRange: Sendable {
        var events: UInt64 = 0
        var projections: [(subject: UInt64, bytes: [UInt8])] = []
    }

    /// Every subject key, customers' then anonymous ones', cut into ranges of a few thousand
    /// subjects; the last range runs to the end, so that no event is ever left out.
    static func replayRanges(nextSubject: UInt64, subjectsPerRange: UInt64 = 4_096) -> [ReplayRange] {
        var ranges: [ReplayRange] = []
        for base in [UInt64(0), StoreKeys.anonymousBit] {
            var lower = base
            while lower < base | nextSubject {
                ranges.append(ReplayRange(lower: lower, upper: min(lower + subjectsPerRange, base | nextSubject)))
                lower += subjectsPerRange
            }
            // Subjects numbered beyond the counter (none, unless the store is damaged) are still read.
            ranges.append(ReplayRange(lower: base | nextSubject, upper: base == 0 ? StoreKeys.anonymousBit : nil))
        }
        return ranges
    }

    /// Folds the events of the subjects in `range`. Reads only; safe on any thread.
    func fold(range: ReplayRange, membership: Membership) throws(C360Error) -> FoldedRange {
        var folded = FoldedRange()
        do {
            let lower = StoreKeys.subject(range.lower)
            let upper = range.upper.map(StoreKeys.subject)
            let events = database.makeIterator(families.events, lowerBound: lower, upperBound: upper)
            let resolutions = database.makeIterator(families.resolutions, lowerBound: lower, upperBound: upper)
            events.seekToFirst()
            resolutions.seekToFirst()
            var current: (subject: UInt64, projection: Projection)?
            // The events of a customer with merged histories, folded with theirs at the end.
            var withMembers: [HistoryEntry<FoldableEvent>] = []
            var memberHistories: StoredHistories<FoldableEvent>?
            func finishCurrent() throws {
                // Moved out, not copied: a copy retained and released every part of the projection.
                guard let finished = current.take() else { return }
                var projection = finished.projection
                if let members = membership.members[finished.subject] {
                    // Its events interleave with those of the histories merged into it: fold them all in log order.
                    memberHistories = memberHistories ?? .foldable(self)
                    projection = try refold(subjects: members, extra: withMembers, by: configuration.fold, histories: memberHistories)
                    withMembers.removeAll(keepingCapacity: true)
                }
                folded.projections.append((finished.subject, ProjectionWireCodec.encode(projection)))
            }
            // The key of the resolution the iterator is on, read once per resolution.
            var resolutionKey: [UInt8]? = resolutions.isValid ? resolutions.key : nil
            while events.isValid {
                let key = events.key
                guard let subject = StoreKeys.uint64(key, at: 0), let seq = StoreKeys.uint64(key, at: 8) else {
                    throw C360Error(.corruption, "an event key of \(key.count) bytes is not subject ‖ seq")
                }
                while let pending = resolutionKey, pending.lexicographicallyPrecedes(key) {
                    resolutions.next()
                    resolutionKey = resolutions.isValid ? resolutions.key : nil
                }
                folded.events += 1
                if membership.mergedInto[subject] != nil {
                    // Folded with the customer it is merged into.
                    events.next()
                    continue
                }
                let resolution = resolutionKey == key ? try decodeResolution(resolutions.value) : nil
                // Decoded where RocksDB holds it, without copying the value into an array first.
                let event = try events.withValueBytes { bytes throws(C360Error) in try decodeFoldableEvent(bytes) }
                if current?.subject != subject {
                    try finishCurrent()
                    current = (subject, ProjectionFold.emptyProjection(customerID: event.customerID))
                }
                if membership.members[subject] == nil {
                    configuration.fold.apply(event, seq: seq, resolution: resolution, to: &current!.projection)
                } else {
                    withMembers.append(HistoryEntry(seq: seq, subject: subject, event: event, resolution: resolution))
                }
                events.next()
            }
            try events.checkStatus()
            try resolutions.checkStatus()
            try finishCurrent()
        } catch {
            throw C360Error(error, doing: "replay")
        }
        return folded
    }

    /// Starts from the newest snapshot's projections and folds the events logged after it. A
    /// customer whose merged histories changed after the snapshot is folded afresh from the log.
    ///
    /// The subjects are cut into the full replay's ranges, brought forward on every core and
    /// handed to the rebuilder in key order: one thread seeking each subject's events in turn
    /// made a replay from a snapshot slower than one from the start (a tail of 1,000,000 events
    /// over 100,000 customers: 4.1 s, the whole log of 2,000,000 on both cores 1.9 s).
    private func rebuildFromSnapshot(progress: (@Sendable (UInt64) -> Void)?) throws(C360Error) -> ReplayReport {
        let started = ContinuousClock.now
        guard let info = try snapshotInfo() else {
            throw C360Error(.notFound, "there is no snapshot to replay from; take one with `c360 snapshot`")
        }
        var report = ReplayReport()
        report.snapshotSeq = info.seq
        do {
            let membership = try membershipFromLog(changedAfter: info.seq)
            try storeMembership(membership)
            // The tail: for each subject whose projection folds events logged after the snapshot,
            // the subjects that logged them and how many.
            var tail: [UInt64: SnapshotTail] = [:]
            try database.forEachEntry(in: families.log, from: StoreKeys.logEntry(seq: info.seq + 1)) { _, value in
                if value.first == StoreKeys.LogEntryKind.event.rawValue, let subject = StoreKeys.uint64(value, at: 1) {
                    let target = membership.mergedInto[subject] ?? subject
                    if !(tail[target]?.subjects.contains(subject) ?? false) { tail[target, default: SnapshotTail()].subjects.append(subject) }
                    tail[target]!.events += 1
                }
            }
            let bringing = SnapshotForward(
                snapshotSeq: info.seq, tail: tail, tailSubjects: Set(tail.keys).union(membership.changedAfter).sorted(),
                membership: membership, fold: writer.state.fold)

            let rebuilder = try ProjectionRebuilder(database: database, projections: projections.family)
            let threads = ProcessInfo.processInfo.activeProcessorCount
            try OrderedParallelMap.run(
                Self.replayRanges(nextSubject: writer.state.nextSubject), workers: threads, ahead: threads * 4,
                transform: { range in try self.bringForward(range, bringing) },
                consume: { brought in
                    for (subject, bytes) in brought.projections { try rebuilder.add(subject: subject, bytes: bytes) }
                    report.projectionsRebuilt += UInt64(brought.projections.count)
                    report.projectionsFromSnapshot += brought.fromSnapshot
                    let before = report.eventsFolded
                    report.eventsFolded += brought.events
                    if before / 100_000 != report.eventsFolded / 100_000 { progress?(report.eventsFolded) }
                })
            (report.liveDigest, report.rebuiltDigest) = try rebuilder.finish()
            report.projectionsChanged = rebuilder.changed
            report.projectionsRemoved = rebuilder.removed
        } catch {
            throw C360Error(error, doing: "replay")
        }
        report.seconds = Self.seconds(since: started)
        return report
    }

    /// The events logged after a snapshot that one projection folds.
    struct SnapshotTail: Sendable {
        /// The subjects that logged them.
        var subjects: [UInt64] = []
        var events = 0
    }

    /// What a replay from a snapshot brings each range of subjects forward by.
    struct SnapshotForward: Sendable {
        let snapshotSeq: UInt64
        let tail: [UInt64: SnapshotTail]
        /// Subjects with events after the snapshot or whose merged histories changed after it, in key order.
        let tailSubjects: [UInt64]
        let membership: Membership
        let fold: ProjectionFold

        /// The part of `tailSubjects` in `range`.
        func tailSubjects(in range: ReplayRange) -> ArraySlice<UInt64> {
            tailSubjects[firstIndex(notBelow: range.lower)..<(range.upper.map(firstIndex(notBelow:)) ?? tailSubjects.endIndex)]
        }

        private func firstIndex(notBelow subject: UInt64) -> Int {
            var low = tailSubjects.startIndex, high = tailSubjects.endIndex
            while low < high {
                let middle = (low + high) / 2
                if tailSubjects[middle] < subject { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// One range's projections brought forward from a snapshot, encoded, in subject order.
    struct BroughtForward: Sendable {
        var projections: [(subject: UInt64, bytes: [UInt8])] = []
        /// Of them, those that started from the snapshot's.
        var fromSnapshot: UInt64 = 0
        var events: UInt64 = 0
    }

    /// Brings the projections of the subjects in `range` forward from the snapshot: each the
    /// snapshot's (unless erased, or its merged histories changed after it: then folded afresh)
    /// with its subjects' events after the snapshot folded in. Reads only; safe on any thread.
    private func bringForward(_ range: ReplayRange, _ bringing: SnapshotForward) throws(C360Error) -> BroughtForward {
        var brought = BroughtForward()
        let membership = bringing.membership
        let snapshot = database.makeIterator(
            families.snapshots,
            lowerBound: StoreKeys.snapshotEntry(snapshotSeq: bringing.snapshotSeq, subject: range.lower),
            upperBound: range.upper.map { StoreKeys.snapshotEntry(snapshotSeq: bringing.snapshotSeq, subject: $0) }
                ?? StoreKeys.snapshotEntry(snapshotSeq: bringing.snapshotSeq + 1, subject: 0))
        snapshot.seekToFirst()
        var tailSubjects = bringing.tailSubjects(in: range)
        let histories = StoredHistories<FoldableEvent>.foldable(self)
        var entries: [HistoryEntry<FoldableEvent>] = []
        while true {
            let fromSnapshot = snapshot.isValid ? StoreKeys.uint64(snapshot.key, at: 8) : nil
            let fromTail = tailSubjects.first
            guard let subject = [fromSnapshot, fromTail].compactMap({ $0 }).min() else { break }
            var projection: Projection?
            let refolded = membership.changedAfter.contains(subject)
            if fromSnapshot == subject {
                // A snapshot never brings an erased customer back, even one restored from elsewhere.
                if !refolded, try !isErased(subject: subject) {
                    let stored = try decodeProjection(snapshot.value)
                    guard stored.version == ProjectionFold.version else {
                        throw C360Error(
                            .failedPrecondition,
                            "the snapshot was folded by projection version \(stored.version), this c360 folds version \(ProjectionFold.version): replay from the start, then take a new snapshot")
                    }
                    projection = stored
                    brought.fromSnapshot += 1
                }
                snapshot.next()
            }
            if fromTail == subject {
                tailSubjects.removeFirst()
                if refolded {
                    if membership.mergedInto[subject] == nil, try !isErased(subject: subject) {
                        let members = membership.members[subject] ?? []
                        projection = try refold(subjects: [subject] + members, by: bringing.fold, histories: histories)
                        brought.events += UInt64(bringing.tail[subject]?.events ?? 0)
                    }
                } else {
                    // Who was regrouped after the snapshot is known already, from the log (`membership`).
                    brought.events += UInt64(try foldForward(
                        &projection, subjects: bringing.tail[subject]?.subjects ?? [], after: bringing.snapshotSeq, by: bringing.fold,
                        histories: histories, entries: &entries).events)
                }
            }
            if let projection, membership.mergedInto[subject] == nil {
                brought.projections.append((subject, ProjectionWireCodec.encode(projection)))
            }
        }
        do { try snapshot.checkStatus() } catch { throw C360Error(storage: error, doing: "read the snapshot") }
        return brought
    }

    /// After a full rebuild, the projections are of this fold's version and the event count is exact.
    private func recordRebuild(eventCount: UInt64) throws {
        let batch = WriteBatch(for: database)
        batch.put(StoreKeys.Meta.projectionVersion, StoreKeys.bigEndian(UInt64(ProjectionFold.version)), in: families.meta)
        batch.put(StoreKeys.Meta.projectionFold, Array(configuration.fold.fingerprint.utf8), in: families.meta)
        batch.put(StoreKeys.Meta.eventCount, StoreKeys.bigEndian(eventCount), in: families.meta)
        batch.put(StoreKeys.projectionsCheckpoint, StoreKeys.bigEndian(writer.state.lastSeq), in: projections.family)
        try database.write(batch, sync: true)
        writer.rebuilt(by: configuration.fold, eventCount: eventCount)
        versionRebuiltByReplay()
    }

    func isErased(subject: UInt64) throws(C360Error) -> Bool {
        try read(StoreKeys.tombstoneBySubject(subject), in: families.tombstones) != nil
    }

    /// A stored event, read by the hand-written decoder (C360Codec; what SwiftProtobuf reads, as its
    /// tests and fuzzer check).
    func decodeEvent(_ bytes: UnsafeRawBufferPointer) throws(C360Error) -> C360_V1_Event {
        try decodeStored { () throws(ProtobufWireError) in try EventWireDecoder.event(bytes) }
    }

    func decodeEvent(_ bytes: [UInt8]) throws(C360Error) -> C360_V1_Event {
        try decodeStored { () throws(ProtobufWireError) in try EventWireDecoder.event(bytes) }
    }

    /// What the fold reads of a stored event (`EventWireDecoder.foldableEvent`), for an event
    /// that is only folded, never shown or kept.
    func decodeFoldableEvent(_ bytes: UnsafeRawBufferPointer) throws(C360Error) -> FoldableEvent {
        try decodeStored { () throws(ProtobufWireError) in try EventWireDecoder.foldableEvent(bytes) }
    }

    func decodeFoldableEvent(_ bytes: [UInt8]) throws(C360Error) -> FoldableEvent {
        try decodeStored { () throws(ProtobufWireError) in try EventWireDecoder.foldableEvent(bytes) }
    }

    /// Bytes in the events column family that do not decode are damage.
    private func decodeStored<Event>(_ decode: () throws(ProtobufWireError) -> Event) throws(C360Error) -> Event {
        do {
            return try decode()
        } catch {
            throw C360Error(.corruption, "a stored event could not be decoded: \(error)")
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
