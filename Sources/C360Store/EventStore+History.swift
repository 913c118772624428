import C360Core
public import C360Model
import RocksDB
import SwiftProtobuf

/// One stored event (the whole event, or what the fold reads of it: `FoldableEvent`) with what
/// identity resolution decided for it.
struct HistoryEntry<Event> {
    let seq: UInt64
    let subject: UInt64
    let event: Event
    let resolution: C360_Store_V1_Resolution?
}

extension EventStore {
    /// The stored events of `subject` in log order, each with its resolution.
    func history(of subject: UInt64) throws(C360Error) -> [HistoryEntry<C360_V1_Event>] {
        var entries: [HistoryEntry<C360_V1_Event>] = []
        try StoredHistories(self) { bytes throws(C360Error) in try self.decodeEvent(bytes) }.append(subject, to: &entries)
        return entries
    }

    func decodeResolution(_ bytes: [UInt8]) throws(C360Error) -> C360_Store_V1_Resolution {
        do {
            return try C360_Store_V1_Resolution(serializedBytes: bytes)
        } catch {
            throw C360Error(.corruption, "a stored identity resolution could not be decoded: \(error)")
        }
    }

    /// The projection of a customer and the anonymous histories merged into it, folded afresh
    /// from their events in log order. `extra` are events already read or not yet written (staged
    /// in the same commit). The customer id comes from the customer's own events, as in any fold.
    /// `histories`: where the subjects' events are read (`nil`: a reader for this refold alone).
    func refold(
        subjects: [UInt64], extra: [HistoryEntry<FoldableEvent>] = [], by fold: ProjectionFold, histories: StoredHistories<FoldableEvent>? = nil
    ) throws(C360Error) -> Projection {
        var entries = extra
        let histories = histories ?? .foldable(self)
        for subject in subjects {
            try histories.append(subject, to: &entries)
        }
        entries.sort { $0.seq < $1.seq }
        var projection = ProjectionFold.emptyProjection(customerID: "")
        // A commit staged while the one before it is written passes that one's events in `extra`,
        // and the write may land while the histories are read: each seq is folded once.
        var last: UInt64 = 0
        for entry in entries where entry.seq != last {
            last = entry.seq
            fold.apply(entry.event, seq: entry.seq, resolution: entry.resolution, to: &projection)
        }
        return projection
    }

    /// Brings `projection` (`nil`: none yet) forward by the events of `subjects` logged after
    /// `checkpoint`, in log order, skipping those it holds already (its `seq` is the last event
    /// folded into it; an event erased since it was logged is no longer stored). `entries` is a
    /// buffer the caller keeps between calls. Returns the events folded, and the subjects whose
    /// events merged histories into them or took histories out, with the histories moved: their
    /// customer's projection must be folded afresh.
    /// What recovery and a replay from a snapshot both do with the log after their starting point.
    func foldForward(
        _ projection: inout Projection?, subjects: [UInt64], after checkpoint: UInt64, by fold: ProjectionFold,
        histories: StoredHistories<FoldableEvent>, entries: inout [HistoryEntry<FoldableEvent>]
    ) throws(C360Error) -> (events: Int, regrouped: Set<UInt64>) {
        entries.removeAll(keepingCapacity: true)
        for subject in subjects {
            try histories.append(subject, from: checkpoint + 1, to: &entries)
        }
        if subjects.count > 1 { entries.sort { $0.seq < $1.seq } }
        var folded = 0
        var regrouped: Set<UInt64> = []
        for entry in entries {
            if let resolution = entry.resolution, !(resolution.merged.isEmpty && resolution.unmerged.isEmpty) {
                regrouped.insert(entry.subject)
                regrouped.formUnion(resolution.merged.map(\.subject) + resolution.unmerged.map(\.subject))
            }
            guard entry.seq > (projection?.seq ?? 0) else { continue }
            if projection == nil { projection = ProjectionFold.emptyProjection(customerID: entry.event.customerID) }
            fold.apply(entry.event, seq: entry.seq, resolution: entry.resolution, to: &projection!)
            folded += 1
        }
        return (folded, regrouped)
    }

    /// The anonymous subjects merged into `customer`, as stored now.
    func storedMembers(of customer: UInt64) throws(C360Error) -> [UInt64] {
        let range = StoreKeys.members(customer: customer)
        var members: [UInt64] = []
        do {
            try database.forEachEntry(in: families.merges, from: range.from, to: range.to) { key, _ in
                if let member = StoreKeys.uint64(key, at: 9) { members.append(member) }
            }
        } catch {
            throw C360Error(error, doing: "read merged histories")
        }
        return members
    }

    /// The customer an anonymous subject is merged into, as stored now.
    func storedMergedInto(_ anonymous: UInt64) throws(C360Error) -> UInt64? {
        try read(StoreKeys.mergedInto(anonymous: anonymous), in: families.merges).flatMap { StoreKeys.uint64($0) }
    }

    /// The subject whose projection holds `subject`'s events: its customer when it is an
    /// anonymous history merged into one, else itself.
    func projectionSubject(of subject: UInt64) throws(C360Error) -> UInt64 {
        guard StoreKeys.isAnonymous(subject) else { return subject }
        return try storedMergedInto(subject) ?? subject
    }
}

extension EventStore {
    /// Calls `body` with every stored event (customers' and anonymous visitors' alike), grouped by
    /// subject, each subject's in log order. For audits and tests of what the log holds.
    public func forEachStoredEvent(_ body: (_ seq: UInt64, _ event: C360_V1_Event) throws -> Void) throws {
        try database.forEachEntry(in: families.events) { key, value in
            try body(StoreKeys.uint64(key, at: 8) ?? 0, try decodeEvent(value))
        }
    }
}

/// Subjects' stored histories, each event decoded by `decode` with its resolution, read through one
/// events iterator and one resolutions iterator kept open: a replay reads the histories of every
/// customer's merged anonymous subjects, and a seek on an open iterator costs less than opening
/// two for each.
final class StoredHistories<Event> {
    private let store: EventStore
    private let decode: (UnsafeRawBufferPointer) throws(C360Error) -> Event
    private let events: Iterator
    private let resolutions: Iterator

    init(_ store: EventStore, decode: @escaping (UnsafeRawBufferPointer) throws(C360Error) -> Event) {
        self.store = store
        self.decode = decode
        events = store.database.makeIterator(store.families.events)
        resolutions = store.database.makeIterator(store.families.resolutions)
    }

    /// What the fold reads of each event.
    static func foldable(_ store: EventStore) -> StoredHistories<FoldableEvent> {
        StoredHistories<FoldableEvent>(store) { bytes throws(C360Error) in try store.decodeFoldableEvent(bytes) }
    }

    /// Appends the stored events of `subject` from log position `firstSeq` on (`0`: all of them),
    /// in log order, each with its resolution.
    func append(_ subject: UInt64, from firstSeq: UInt64 = 0, to entries: inout [HistoryEntry<Event>]) throws(C360Error) {
        do {
            let start = StoreKeys.event(subject: subject, seq: firstSeq)
            var resolved: [UInt64: C360_Store_V1_Resolution] = [:]
            resolutions.seek(start)
            while resolutions.isValid, let seq = Self.seq(of: subject, at: resolutions.key) {
                resolved[seq] = try store.decodeResolution(resolutions.value)
                resolutions.next()
            }
            try resolutions.checkStatus()
            events.seek(start)
            while events.isValid, let seq = Self.seq(of: subject, at: events.key) {
                let event = try events.withValueBytes { bytes throws(C360Error) in try decode(bytes) }
                entries.append(HistoryEntry(seq: seq, subject: subject, event: event, resolution: resolved[seq]))
                events.next()
            }
            try events.checkStatus()
        } catch {
            throw C360Error(error, doing: "read a customer's history")
        }
    }

    /// The seq of an event key (subject ‖ seq) of `subject`; `nil` past its events.
    private static func seq(of subject: UInt64, at key: [UInt8]) -> UInt64? {
        guard StoreKeys.uint64(key, at: 0) == subject else { return nil }
        return StoreKeys.uint64(key, at: 8)
    }
}
