import C360Core
import C360Model
import RocksDB
import SwiftProtobuf

extension EventStore {
    /// Everything one commit has read or decided so far, so that events of the same commit see
    /// each other (a duplicate within the batch, a customer created two events earlier).
    private struct CommitContext {
        var state: WriterState
        var eventIDs: [String: UInt64] = [:]
        var index: [[UInt8]: UInt64?] = [:]
        var projections: [UInt64: C360_Store_V1_Projection] = [:]
        var newCustomers: UInt64 = 0
    }

    /// Folds and writes one group of appends as one synced `WriteBatch`: the events, their index
    /// entries and the updated projections together, so a crash can never separate them.
    /// Runs on the writer's queue only.
    func commit(_ groups: [[C360_V1_Event]]) -> [[AppendOutcome]] {
        var context = CommitContext(state: writer.state)
        let batch = WriteBatch(for: database)
        var outcomes: [[AppendOutcome]] = []
        outcomes.reserveCapacity(groups.count)
        var appended = false
        for events in groups {
            var group: [AppendOutcome] = []
            group.reserveCapacity(events.count)
            for event in events {
                do throws(C360Error) {
                    let outcome = try stage(event, into: batch, context: &context)
                    if case .appended = outcome { appended = true }
                    group.append(outcome)
                } catch {
                    group.append(.rejected(error))
                }
            }
            outcomes.append(group)
        }
        guard appended else { return outcomes }

        do {
            for (subject, projection) in context.projections {
                batch.put(StoreKeys.subject(subject), try projection.serializedBytes(), in: families.projections)
            }
            batch.put(StoreKeys.Meta.lastSeq, StoreKeys.bigEndian(context.state.lastSeq), in: families.meta)
            batch.put(StoreKeys.Meta.nextSubject, StoreKeys.bigEndian(context.state.nextSubject), in: families.meta)
            batch.put(StoreKeys.Meta.eventCount, StoreKeys.bigEndian(context.state.eventCount), in: families.meta)
            try database.write(batch, sync: true)
        } catch {
            let failure = (error as? RocksDBError).map { C360Error(storage: $0, doing: "append") }
                ?? C360Error(.internalError, "could not encode a projection: \(error)")
            return outcomes.map { group in
                group.map { outcome in
                    if case .appended = outcome { return .rejected(failure) }
                    return outcome
                }
            }
        }
        writer.state = context.state
        for (subject, projection) in context.projections {
            writer.caches.projections.insert(projection, for: subject)
        }
        for (key, subject) in context.index {
            writer.caches.index.insert(subject, for: key)
        }
        let published = context.projections.values
            .map { StoreChange(seq: $0.seq, customerID: $0.customerID, erased: false) }
            .sorted { $0.seq < $1.seq }
        changes.publish(published, lastSeq: context.state.lastSeq)
        return outcomes
    }

    /// Validates one event, finds its subject, folds it and adds its writes to `batch`.
    ///
    /// Everything that can fail (validation, reads, decoding) happens before the first change to
    /// `batch` or `context`, so a rejected event leaves no trace in the commit.
    private func stage(_ event: C360_V1_Event, into batch: WriteBatch, context: inout CommitContext) throws(C360Error) -> AppendOutcome {
        try configuration.validator.validate(event)
        if let seq = context.eventIDs[event.eventID] {
            return .duplicate(seq: seq)
        }
        let eventIDKey = Array(event.eventID.utf8)
        if let stored = try read(eventIDKey, in: families.dedup), let seq = StoreKeys.uint64(stored) {
            context.eventIDs[event.eventID] = seq
            return .duplicate(seq: seq)
        }
        let customerHash = event.customerID.isEmpty ? nil : pseudonyms.customerHash(event.customerID)
        if let customerHash, context.state.erasedCustomerHashes.contains(customerHash) {
            throw C360Error(.erased, "customer \(event.customerID) was erased; no events are accepted for it", field: "customer_id")
        }
        let customerKey = customerHash.map { PseudonymKey.indexKey(customerHash: $0) }
        let encoded: [UInt8]
        do {
            encoded = try event.serializedBytes()
        } catch {
            throw C360Error(.internalError, "could not encode the event: \(error)")
        }
        let existingSubject = try findSubject(of: event, customerKey: customerKey, context: &context)
        var projection: C360_Store_V1_Projection
        if let existingSubject, let cached = context.projections[existingSubject] {
            projection = cached
        } else if let existingSubject, let cached = writer.caches.projections.value(for: existingSubject) {
            projection = cached
        } else if let existingSubject, let stored = try read(StoreKeys.subject(existingSubject), in: families.projections) {
            projection = try decodeProjection(stored)
        } else {
            projection = ProjectionFold.emptyProjection(customerID: event.customerID)
        }
        let (linkKeys, unlinkKeys) = try indexChanges(of: event, subject: existingSubject, context: &context)

        // Nothing below can fail.
        let subject = existingSubject ?? allocateSubject(context: &context)
        if existingSubject == nil, let customerKey {
            batch.put(customerKey, StoreKeys.subject(subject), in: families.identities)
            context.index[customerKey] = subject
        }
        for key in linkKeys where context.index[key] == .some(nil) {
            batch.put(key, StoreKeys.subject(subject), in: families.identities)
            context.index[key] = subject
        }
        for key in unlinkKeys {
            batch.delete(key, in: families.identities)
            context.index[key] = .some(nil)
        }
        let seq = context.state.lastSeq + 1
        configuration.fold.apply(event, seq: seq, to: &projection)
        batch.put(StoreKeys.event(subject: subject, seq: seq), encoded, in: families.events)
        batch.put(StoreKeys.logEntry(seq: seq), [StoreKeys.LogEntryKind.event.rawValue] + StoreKeys.subject(subject), in: families.log)
        batch.put(eventIDKey, StoreKeys.bigEndian(seq), in: families.dedup)
        context.projections[subject] = projection
        context.eventIDs[event.eventID] = seq
        context.state.lastSeq = seq
        context.state.eventCount += 1
        return .appended(seq: seq)
    }

    /// The subject an event belongs to, if it has one yet: its customer's, else that of the first
    /// of its identities already known. `nil` means a new subject (a new customer, or a new
    /// anonymous visitor known by the event's identities).
    private func findSubject(of event: C360_V1_Event, customerKey: [UInt8]?, context: inout CommitContext) throws(C360Error) -> UInt64? {
        if let customerKey {
            return try owner(of: customerKey, context: &context)
        }
        for identity in event.identities {
            if let subject = try owner(of: pseudonyms.identityIndexKey(identity), context: &context) { return subject }
        }
        return nil
    }

    private func allocateSubject(context: inout CommitContext) -> UInt64 {
        let subject = context.state.nextSubject
        context.state.nextSubject += 1
        return subject
    }

    /// The subject an index key points at, as of this commit. Caches what it reads.
    private func owner(of key: [UInt8], context: inout CommitContext) throws(C360Error) -> UInt64? {
        if let cached = context.index[key] { return cached }
        if let cached = writer.caches.index.value(for: key) {
            context.index[key] = cached
            return cached
        }
        let subject = try read(key, in: families.identities).flatMap { StoreKeys.uint64($0) }
        context.index[key] = .some(subject)
        return subject
    }

    /// The identity index keys the event links to its subject (those that point nowhere yet; an
    /// identity that points at another subject keeps pointing there, links never move silently)
    /// and the ones it unlinks.
    private func indexChanges(of event: C360_V1_Event, subject: UInt64?, context: inout CommitContext) throws(C360Error) -> (link: [[UInt8]], unlink: [[UInt8]]) {
        var unlink: [[UInt8]] = []
        if case .identityUnlinked(let unlinked) = event.payload {
            let key = pseudonyms.identityIndexKey(unlinked.identity)
            if let subject, try owner(of: key, context: &context) == subject { unlink.append(key) }
        }
        var link: [[UInt8]] = []
        for identity in Self.identitiesLinked(by: event) {
            let key = pseudonyms.identityIndexKey(identity)
            if try owner(of: key, context: &context) == nil { link.append(key) }
        }
        return (link, unlink)
    }

    /// The identities an event ties to its subject: those it carries, the email and phone it
    /// upserts, and the one it links.
    static func identitiesLinked(by event: C360_V1_Event) -> [C360_V1_Identity] {
        var identities = event.identities
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

    func decodeProjection(_ bytes: [UInt8]) throws(C360Error) -> C360_Store_V1_Projection {
        do {
            return try C360_Store_V1_Projection(serializedBytes: bytes)
        } catch {
            throw C360Error(.corruption, "a stored projection could not be decoded: \(error)")
        }
    }
}
