import C360Core
import C360Codec
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
    ///
    /// The log says which subjects the tail touched; their events and projections are then read
    /// in key order, a seek and a few steps of an open iterator each, on every core: reading each
    /// event and resolution by its key in log order, on one thread, folded 50,000-100,000 events
    /// a second, which bounded how much log a write behind may leave to recovery.
    func recoverProjections() throws(C360Error) {
        let started = ContinuousClock.now
        let checkpoint = projections.checkpoint
        let fold = writer.state.fold
        do {
            var target: [UInt64: UInt64] = [:]
            func targetOf(_ subject: UInt64) throws(C360Error) -> UInt64 {
                if let known = target[subject] { return known }
                let found = try projectionSubject(of: subject)
                target[subject] = found
                return found
            }
            var events = 0
            try database.forEachEntry(in: families.log, from: StoreKeys.logEntry(seq: checkpoint + 1)) { _, value in
                guard value.first == StoreKeys.LogEntryKind.event.rawValue, let subject = StoreKeys.uint64(value, at: 1) else { return }
                _ = try targetOf(subject)
                events += 1
            }

            // Each customer the tail touched, with the subjects whose tail it folds, in key order.
            var subjectsOf: [UInt64: [UInt64]] = [:]
            for (subject, customer) in target { subjectsOf[customer, default: []].append(subject) }
            let customers = subjectsOf.keys.sorted()
            let chunks = stride(from: 0, to: customers.count, by: Self.recoveryChunk).map { start in
                customers[start..<min(start + Self.recoveryChunk, customers.count)].map { ($0, subjectsOf[$0]!) }
            }
            var changes: [UInt64: ProjectionStore.Change] = [:]
            var regrouped: Set<UInt64> = []
            let workers = ProcessInfo.processInfo.activeProcessorCount
            try OrderedParallelMap.run(
                chunks, workers: workers, ahead: workers * 4,
                transform: { chunk in try self.recover(chunk, after: checkpoint, by: fold) },
                consume: { folded in
                    for (customer, bytes) in folded.projections { changes[customer] = .encoded(bytes) }
                    regrouped.formUnion(folded.regrouped)
                })

            // Histories merged or taken out in the tail: their customers (and themselves, when
            // alone now) are folded afresh; those merged now have no projection of their own.
            var refolded: Set<UInt64> = []
            for subject in regrouped {
                let now = try targetOf(subject)
                if now != subject { changes[subject] = .removed }
                guard refolded.insert(now).inserted else { continue }
                if try isErased(subject: now) {
                    changes[now] = nil
                } else {
                    let members = try storedMembers(of: now)
                    let projection = try refold(subjects: [now] + members, by: fold)
                    changes[now] = projection.seq == 0 ? .removed : .encoding(projection)
                }
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

    /// Customers per unit of recovery's parallel work.
    private static let recoveryChunk = 1_024

    /// Customers' projections brought forward by the events of their subjects after `checkpoint`.
    private struct FoldedForward: Sendable {
        var projections: [(customer: UInt64, bytes: [UInt8])] = []
        /// Subjects whose tail merged histories or took them out, with the histories moved.
        var regrouped: Set<UInt64> = []
    }

    /// Folds each customer's stored projection forward by its subjects' events after
    /// `checkpoint`, skipping those it holds already. Reads only; safe on any thread.
    private func recover(
        _ customers: [(customer: UInt64, subjects: [UInt64])], after checkpoint: UInt64, by fold: ProjectionFold
    ) throws(C360Error) -> FoldedForward {
        var folded = FoldedForward()
        let stored = database.makeIterator(projections.family)
        let histories = StoredHistories<FoldableEvent>.foldable(self)
        var entries: [HistoryEntry<FoldableEvent>] = []
        for (customer, subjects) in customers {
            let key = StoreKeys.subject(customer)
            stored.seek(key)
            var projection: Projection?
            if stored.isValid, stored.key == key {
                projection = try ProjectionStore.decode(stored.value)
            }
            do { try stored.checkStatus() } catch { throw C360Error(storage: error, doing: "read a stored projection") }
            let (events, regrouped) = try foldForward(
                &projection, subjects: subjects, after: checkpoint, by: fold, histories: histories, entries: &entries)
            folded.regrouped.formUnion(regrouped)
            if events > 0, let projection { folded.projections.append((customer, ProjectionWireCodec.encode(projection))) }
        }
        return folded
    }
}
