import C360Core
import C360Model
import Foundation
import RocksDB

extension EventStore {
    /// Rebuilds every projection from the log, from the start or from the newest snapshot plus the
    /// events after it, stores the result and reports how it compares with what was served.
    ///
    /// Appends wait while it runs.
    /// - Parameter progress: called now and then with the number of events folded so far.
    /// - Throws: `C360Error` `.notFound` for `fromSnapshot` without a snapshot; storage errors.
    public func replay(fromSnapshot: Bool, progress: (@Sendable (UInt64) -> Void)? = nil) async throws(C360Error) -> ReplayReport {
        try await exclusively { () throws(C360Error) -> ReplayReport in
            // Replay rewrites projections outside a commit: the writer must read them afresh.
            self.writer.caches.removeAll()
            if fromSnapshot {
                return try self.rebuildFromSnapshot(progress: progress)
            }
            return try self.rebuildAllProjections(progress: progress)
        }
    }

    /// Rebuilds from the first event. Runs on the writer's queue, or in `init` before anyone else
    /// can reach the store.
    func rebuildAllProjections(progress: (@Sendable (UInt64) -> Void)?) throws(C360Error) -> ReplayReport {
        let started = ContinuousClock.now
        var report = ReplayReport()
        do {
            let rebuilder = ProjectionRebuilder(database: database, projections: families.projections)
            let events = database.makeIterator(families.events)
            events.seekToFirst()
            var current: (subject: UInt64, projection: C360_Store_V1_Projection)?
            while events.isValid {
                let key = events.key
                guard let subject = StoreKeys.uint64(key, at: 0), let seq = StoreKeys.uint64(key, at: 8) else {
                    throw C360Error(.corruption, "an event key of \(key.count) bytes is not subject ‖ seq")
                }
                let event = try decodeEvent(events.value)
                if current?.subject != subject {
                    if let finished = current {
                        try rebuilder.add(subject: finished.subject, projection: finished.projection)
                        report.projectionsRebuilt += 1
                    }
                    current = (subject, ProjectionFold.emptyProjection(customerID: event.customerID))
                }
                configuration.fold.apply(event, seq: seq, to: &current!.projection)
                report.eventsFolded += 1
                if report.eventsFolded % 100_000 == 0 { progress?(report.eventsFolded) }
                events.next()
            }
            try events.checkStatus()
            if let finished = current {
                try rebuilder.add(subject: finished.subject, projection: finished.projection)
                report.projectionsRebuilt += 1
            }
            (report.liveDigest, report.rebuiltDigest) = try rebuilder.finish()
            report.projectionsChanged = rebuilder.changed
            report.projectionsRemoved = rebuilder.removed
            try recordRebuild(eventCount: report.eventsFolded)
        } catch {
            throw Self.replayError(error)
        }
        report.seconds = Self.seconds(since: started)
        return report
    }

    /// Starts from the newest snapshot's projections and folds the events logged after it.
    private func rebuildFromSnapshot(progress: (@Sendable (UInt64) -> Void)?) throws(C360Error) -> ReplayReport {
        let started = ContinuousClock.now
        guard let info = try snapshotInfo() else {
            throw C360Error(.notFound, "there is no snapshot to replay from; take one with `c360 snapshot`")
        }
        var report = ReplayReport()
        report.snapshotSeq = info.seq
        do {
            // The tail: every event logged after the snapshot, grouped by subject, in log order.
            var tail: [UInt64: [UInt64]] = [:]
            let log = database.makeIterator(families.log, lowerBound: StoreKeys.logEntry(seq: info.seq + 1))
            log.seekToFirst()
            while log.isValid {
                let value = log.value
                if value.first == StoreKeys.LogEntryKind.event.rawValue, let subject = StoreKeys.uint64(value, at: 1),
                   let seq = StoreKeys.uint64(log.key) {
                    tail[subject, default: []].append(seq)
                }
                log.next()
            }
            try log.checkStatus()
            var tailSubjects = tail.keys.sorted()[...]

            let rebuilder = ProjectionRebuilder(database: database, projections: families.projections)
            let snapshot = database.makeIterator(
                families.snapshots,
                lowerBound: StoreKeys.snapshotEntry(snapshotSeq: info.seq, subject: 0),
                upperBound: StoreKeys.snapshotEntry(snapshotSeq: info.seq + 1, subject: 0))
            snapshot.seekToFirst()
            while true {
                let fromSnapshot = snapshot.isValid ? StoreKeys.uint64(snapshot.key, at: 8) : nil
                let fromTail = tailSubjects.first
                guard let subject = [fromSnapshot, fromTail].compactMap({ $0 }).min() else { break }
                var projection: C360_Store_V1_Projection?
                if fromSnapshot == subject {
                    // A snapshot never brings an erased customer back, even one restored from elsewhere.
                    if try !isErased(subject: subject) {
                        let stored = try decodeProjection(snapshot.value)
                        guard stored.version == ProjectionFold.version else {
                            throw C360Error(
                                .failedPrecondition,
                                "the snapshot was folded by projection version \(stored.version), this c360 folds version \(ProjectionFold.version): replay from the start, then take a new snapshot")
                        }
                        projection = stored
                        report.projectionsFromSnapshot += 1
                    }
                    snapshot.next()
                }
                if fromTail == subject {
                    tailSubjects.removeFirst()
                    for seq in tail[subject] ?? [] {
                        guard let bytes = try database.get(StoreKeys.event(subject: subject, seq: seq), in: families.events) else {
                            continue // erased after it was logged
                        }
                        let event = try decodeEvent(bytes)
                        if projection == nil { projection = ProjectionFold.emptyProjection(customerID: event.customerID) }
                        configuration.fold.apply(event, seq: seq, to: &projection!)
                        report.eventsFolded += 1
                        if report.eventsFolded % 100_000 == 0 { progress?(report.eventsFolded) }
                    }
                }
                if let projection {
                    try rebuilder.add(subject: subject, projection: projection)
                    report.projectionsRebuilt += 1
                }
            }
            try snapshot.checkStatus()
            (report.liveDigest, report.rebuiltDigest) = try rebuilder.finish()
            report.projectionsChanged = rebuilder.changed
            report.projectionsRemoved = rebuilder.removed
        } catch {
            throw Self.replayError(error)
        }
        report.seconds = Self.seconds(since: started)
        return report
    }

    /// After a full rebuild, the projections are of this fold's version and the event count is exact.
    private func recordRebuild(eventCount: UInt64) throws {
        let batch = WriteBatch(for: database)
        batch.put(StoreKeys.Meta.projectionVersion, StoreKeys.bigEndian(UInt64(ProjectionFold.version)), in: families.meta)
        batch.put(StoreKeys.Meta.eventCount, StoreKeys.bigEndian(eventCount), in: families.meta)
        try database.write(batch, sync: true)
        writer.state.eventCount = eventCount
    }

    func isErased(subject: UInt64) throws(C360Error) -> Bool {
        try read(StoreKeys.tombstoneBySubject(subject), in: families.tombstones) != nil
    }

    func decodeEvent(_ bytes: [UInt8]) throws(C360Error) -> C360_V1_Event {
        do {
            return try C360_V1_Event(serializedBytes: bytes)
        } catch {
            throw C360Error(.corruption, "a stored event could not be decoded: \(error)")
        }
    }

    private static func replayError(_ error: any Error) -> C360Error {
        switch error {
        case let error as C360Error: error
        case let error as RocksDBError: C360Error(storage: error, doing: "replay")
        default: C360Error(.internalError, "replay failed: \(error)")
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
