import C360Core
import C360Model
import Foundation
import RocksDB
import Synchronization

/// What opening a store after a crash folded again.
public struct Recovery: Sendable {
    /// The projections' checkpoint the log was folded after.
    public var fromSeq: UInt64
    public var throughSeq: UInt64
    public var events: Int
    /// Projections written.
    public var projections: Int
    public var seconds: Double
}

extension EventStore {
    /// What opening the store folded again after a crash, `nil` when it had nothing to recover
    /// (the last close was clean).
    public var recovery: Recovery? { recoveryFigures.withLock { $0 } }

    /// Brings the stored projections up to the log after a crash: folds the events logged after
    /// the projections' checkpoint into them and writes them with a new checkpoint. Runs in `init`,
    /// before anyone else can reach the store.
    ///
    /// The log, the identity index and the merges are synced with every commit; only projections
    /// are written behind. So each customer the log's tail touched is brought forward from its
    /// stored projection by the tail's events, skipping those it already holds (a projection's `seq`
    /// is the last event folded into it, and a projection folds its events in log order). A
    /// customer whose merged histories changed in the tail is folded afresh from all of its events.
    func recoverProjections() throws(C360Error) {
        let started = ContinuousClock.now
        let checkpoint = projections.checkpoint
        do {
            // The tail's events by the subject whose projection folds them now, in log order.
            var tail: [UInt64: [(subject: UInt64, seq: UInt64)]] = [:]
            // The tail's resolutions, read once here for the regrouping and again by the fold.
            var resolutions: [UInt64: C360_Store_V1_Resolution] = [:]
            var regrouped: Set<UInt64> = []
            var target: [UInt64: UInt64] = [:]
            func targetOf(_ subject: UInt64) throws(C360Error) -> UInt64 {
                if let known = target[subject] { return known }
                let found = try projectionSubject(of: subject)
                target[subject] = found
                return found
            }
            var events = 0
            try database.forEachEntry(in: families.log, from: StoreKeys.logEntry(seq: checkpoint + 1)) { key, value in
                guard value.first == StoreKeys.LogEntryKind.event.rawValue, let subject = StoreKeys.uint64(value, at: 1),
                      let seq = StoreKeys.uint64(key) else { return }
                tail[try targetOf(subject), default: []].append((subject, seq))
                events += 1
                if let bytes = try database.get(StoreKeys.event(subject: subject, seq: seq), in: families.resolutions) {
                    let resolution = try decodeResolution(bytes)
                    resolutions[seq] = resolution
                    let moved = resolution.merged.map(\.subject) + resolution.unmerged.map(\.subject)
                    if !moved.isEmpty { regrouped.formUnion([subject] + moved) }
                }
            }

            var changes: [UInt64: ProjectionStore.Change] = [:]
            // Histories merged or taken out in the tail: their customers (and themselves, when
            // alone now) are folded afresh; those merged now have no projection of their own.
            for subject in regrouped {
                let now = try targetOf(subject)
                if now != subject { changes[subject] = .removed }
                if changes[now] == nil, try !isErased(subject: now) {
                    let members = try storedMembers(of: now)
                    let refolded = try refold(subjects: [now] + members, by: writer.state.fold)
                    changes[now] = refolded.seq == 0 ? .removed : .encoding(refolded)
                }
            }
            for (subject, entries) in tail where changes[subject] == nil {
                var projection = try projections.projection(of: subject)
                // The log is read in seq order, so each subject's entries already are.
                try fold(logged: entries, into: &projection, resolutions: resolutions, by: writer.state.fold)
                if let projection { changes[subject] = .encoding(projection) }
            }
            projections.committed(changes, through: writer.state.lastSeq)
            try projections.writeAll()
            recoveryFigures.withLock {
                $0 = Recovery(fromSeq: checkpoint, throughSeq: writer.state.lastSeq, events: events, projections: changes.count,
                              seconds: Self.seconds(since: started))
            }
        } catch {
            throw C360Error(error, doing: "fold the log after the projections' checkpoint (recovery after a crash)")
        }
    }
}
