import Foundation
public import C360Core
public import C360Model
import RocksDB
import CoreMetrics
import SwiftProtobuf
import Synchronization

extension EventStore {
    /// Erases a customer (GDPR right to erasure).
    ///
    /// Appends a tombstone that carries only a keyed hash of the customer id; deletes the
    /// customer's events, log entries, identities, dedup entries, projection and snapshot entry in
    /// the same synced write; then flushes and compacts so that the deleted data is on no file any
    /// more, and (by default) proves it by searching every file under the data directory. Events for
    /// the customer id are refused from then on. Erasing an erased customer again returns the
    /// first erasure's tombstone and removes nothing.
    ///
    /// Only the synced write holds the writer: the flush, the compactions and the search run after
    /// it, one erasure at a time, while appends go on. Nothing an append writes meanwhile can hold
    /// the customer's data, since from the synced write on every event for the customer, or naming
    /// one of its identities, is refused.
    ///
    /// A customer id the store has never seen is tombstoned all the same, so that events still on
    /// their way are refused; the receipt then shows nothing removed.
    ///
    /// Each erasure, a repeated one too, is recorded in the audit log with `actor` (who asked:
    /// an access token's name, or `local` for a command on the data directory) and `peer`; the
    /// record is synced before the receipt is returned, and a failure to write it is an error
    /// (erasing again is safe and records it again).
    public func erase(
        customerID: String, requestID: String, at time: Instant = .now, actor: String = "local", peer: String? = nil
    ) async throws(C360Error) -> C360_V1_EraseReceipt {
        guard !customerID.isEmpty else { throw .invalid("customer_id", "is required") }
        guard !requestID.isEmpty else { throw .invalid("request_id", "is required") }
        guard requestID.utf8.count <= 128, !requestID.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw .invalid("request_id", "must be at most 128 bytes of printable text")
        }
        return try await erase(hash: pseudonyms.customerHash(customerID), customerID: customerID, requestID: requestID, at: time, actor: actor, peer: peer)
    }

    /// The erasure of the customer whose keyed hash is `hash`; `customerID` when known (a restore
    /// applying a backup set's ledger knows only the hash). A restore does not record in the
    /// backup sets the erasures it takes from one.
    func erase(
        hash: [UInt8], customerID: String?, requestID: String, at time: Instant, actor: String, peer: String?,
        recordingInBackupSets: Bool = true
    ) async throws(C360Error) -> C360_V1_EraseReceipt {
        let committed = try await exclusively { () throws(C360Error) -> CommittedErasure in
            try self.commitErasure(hash: hash, customerID: customerID, requestID: requestID, at: time)
        }
        let receipt = try await physicalErasures.remove(committed)
        if committed.deleted { StoreMetrics.erasures.increment() }
        var entry = AuditLog.Entry(action: "erase", actor: actor, peer: peer)
        entry.requestID = requestID
        entry.customerHash = receipt.tombstone.customerHash
        entry.tombstoneSeq = receipt.tombstone.seq
        entry.eventsRemoved = receipt.eventsRemoved
        entry.filesVerified = receipt.filesVerified
        entry.filesWithPersonalData = receipt.filesWithPersonalData
        do throws(C360Error) {
            try audit.record(entry, durably: true)
        } catch {
            throw C360Error(.io, "the customer was erased (tombstone seq \(receipt.tombstone.seq)), but the audit log could not record it: \(error.message)")
        }
        // A repeated erasure records it again too: that is how a set missed once catches up.
        if recordingInBackupSets { try recordInBackupSets(receipt.tombstone) }
        return receipt
    }

    /// An erasure committed by the writer, before its data is removed from the files.
    /// The synced write of an erasure, on the writer: tombstone in, the customer's entries out, and
    /// the caches told.
    private func commitErasure(hash: [UInt8], customerID knownID: String?, requestID: String, at time: Instant) throws(C360Error) -> CommittedErasure {
        if writer.state.erasedCustomerHashes.contains(IndexKey(hash)), let tombstone = try tombstone(hash: hash) {
            var receipt = C360_V1_EraseReceipt()
            receipt.tombstone = tombstone
            return CommittedErasure(receipt: receipt, deleted: false)
        }
        // The erasure reads the customer's projections as last committed and deletes the stored
        // ones while the write behind waits, so that none is written back after the delete; those
        // waiting to be written are dropped once it is committed (`advanced`). It wrote every
        // waiting projection first, which cost each erasure up to the write behind's whole window
        // (128 MiB since step 81): in the reliability suite's soak, the erasures' p99 grew from
        // 4.4 s in its first minute to 77 s in its last.
        return try projections.holdingWriteBehind { () throws(C360Error) in
            try commitErasureHoldingWriteBehind(hash: hash, customerID: knownID, requestID: requestID, at: time)
        }
    }

    private func commitErasureHoldingWriteBehind(hash: [UInt8], customerID knownID: String?, requestID: String, at time: Instant) throws(C360Error) -> CommittedErasure {
        var receipt = C360_V1_EraseReceipt()
        let customerKey = PseudonymKey.indexKey(customerHash: hash)
        let subject = try identityIndex.value(at: customerKey)
        // Erasing by hash, the id is the customer's projection's.
        var customerID = knownID ?? ""
        if knownID == nil, let subject, let projection = try projections.projection(of: subject) {
            customerID = projection.customerID
        }
        var needles: [[UInt8]] = customerID.isEmpty ? [] : [Self.encodedString(customerID)]
        var compactions: [(ColumnFamily, [UInt8], [UInt8])] = []
        let seq = writer.state.lastSeq + 1
        var eventsRemoved: UInt64 = 0
        var leftSegments: [String] = []
        var erasedIdentityKeys: Set<[UInt8]> = []
        var erasedSubjects: [UInt64] = []
        do {
            let batch = WriteBatch(for: database)
            if let subject {
                // The anonymous histories merged into the customer are the customer's data too.
                let subjects = [subject] + (try storedMembers(of: subject))
                erasedSubjects = subjects
                // Identities the customer held (searched for afterwards), and every identity its
                // events named (removed from the index where they point at the customer; an
                // identity of another customer named in a refused link is not the customer's).
                var owned: [C360_V1_Identity] = []
                var identities: [C360_V1_Identity] = []
                var eventIDs: [[UInt8]] = []
                for erased in subjects {
                    let range = (StoreKeys.event(subject: erased, seq: 0), StoreKeys.eventsEnd(subject: erased))
                    for entry in try history(of: erased) {
                        batch.delete(StoreKeys.logEntry(seq: entry.seq), in: families.log)
                        eventIDs.append(Array(entry.event.eventID.utf8))
                        identities += Self.identitiesLinked(by: entry.event)
                        if case .identityUnlinked(let unlink) = entry.event.payload { identities.append(unlink.identity) }
                        if let resolution = entry.resolution {
                            owned += resolution.linked + resolution.merged.flatMap(\.identities)
                        }
                        eventsRemoved += 1
                    }
                    for family in [families.events, families.resolutions] {
                        batch.deleteRange(from: range.0, to: range.1, in: family)
                        compactions.append((family, range.0, range.1))
                    }
                    let subjectKey = StoreKeys.subject(erased)
                    if let projection = try projections.projection(of: erased) {
                        owned += projection.identities.map(\.identity)
                        receipt.projectionRemoved = true
                    }
                    // Both keyspaces: the other may hold a new fold's projections being built.
                    for keyspace in projections.keyspaces {
                        batch.delete(subjectKey, in: keyspace)
                        compactions.append((keyspace, subjectKey, StoreKeys.subject(erased + 1)))
                    }
                    if erased != subject {
                        batch.delete(StoreKeys.mergedInto(anonymous: erased), in: families.merges)
                        batch.delete(StoreKeys.member(customer: subject, anonymous: erased), in: families.merges)
                    }
                    if let snapshot = try snapshotInfo() {
                        let entry = StoreKeys.snapshotEntry(snapshotSeq: snapshot.seq, subject: erased)
                        if try read(entry, in: families.snapshots) != nil {
                            batch.delete(entry, in: families.snapshots)
                            receipt.snapshotEntriesRemoved += 1
                        }
                        compactions.append((families.snapshots, entry, entry + [0]))
                    }
                    batch.put(StoreKeys.tombstoneBySubject(erased), hash, in: families.tombstones)
                }
                for segment in configuration.segments {
                    let key = StoreKeys.segmentMember(segment.name, subject: subject)
                    if try read(key, in: families.segments) != nil {
                        batch.delete(key, in: families.segments)
                        leftSegments.append(segment.name)
                    }
                    compactions.append((families.segments, key, key + [0]))
                }
                // The merges index holds subject numbers only: no compaction needed for it.

                for eventID in eventIDs {
                    appendedEventIDs.delete(eventID, in: batch)
                    compactions.append((appendedEventIDs.family, eventID, eventID + [0]))
                }
                receipt.dedupEntriesRemoved = UInt64(eventIDs.count)

                var removedKeys: Set<[UInt8]> = []
                for identity in identities + owned {
                    let key = pseudonyms.identityIndexKey(identity)
                    guard !removedKeys.contains(key), let owner = try identityIndex.value(at: key),
                          subjects.contains(owner) else { continue }
                    identityIndex.delete(key, in: batch)
                    removedKeys.insert(key)
                    compactions.append((families.identities, key, key + [0]))
                    owned.append(identity)
                }
                for identity in owned {
                    needles.append(Self.encodedString(identity.value))
                    let normalized = IdentityKey.normalized(identity).value
                    if normalized != identity.value { needles.append(Self.encodedString(normalized)) }
                }
                for key in removedKeys {
                    batch.put(StoreKeys.tombstoneByIdentity(key), [], in: families.tombstones)
                }
                erasedIdentityKeys = removedKeys
                receipt.identitiesRemoved = UInt64(removedKeys.count)
                identityIndex.delete(customerKey, in: batch)
                compactions.append((families.identities, customerKey, customerKey + [0]))
            }

            var tombstone = C360_V1_Tombstone()
            tombstone.customerHash = hash.hexString
            tombstone.requestID = requestID
            tombstone.erasedAt = time.timestamp
            tombstone.seq = seq
            let tombstoneBytes: [UInt8] = try tombstone.serializedBytes()
            batch.put(StoreKeys.logEntry(seq: seq), [StoreKeys.LogEntryKind.tombstone.rawValue] + tombstoneBytes, in: families.log)
            batch.put(StoreKeys.tombstoneByHash(hash), tombstoneBytes, in: families.tombstones)
            let eventCount = writer.state.eventCount - min(eventsRemoved, writer.state.eventCount)
            batch.put(StoreKeys.Meta.lastSeq, StoreKeys.bigEndian(seq), in: families.meta)
            batch.put(StoreKeys.Meta.eventCount, StoreKeys.bigEndian(eventCount), in: families.meta)
            // While no build of a new fold writes: one that read the customer's events before this
            // commit finds the tombstone when it writes, or has written before this deletes.
            try projections.excludingBuiltWrites { () throws(C360Error) in
                do throws(RocksDBError) {
                    try database.write(batch, sync: true)
                } catch {
                    throw C360Error(storage: error, doing: "commit the erasure")
                }
            }

            physicalErasures.committed()
            writer.erased(
                seq: seq, eventCount: eventCount, customerHash: hash, identityKeys: erasedIdentityKeys,
                removedIndexKeys: erasedIdentityKeys.union([customerKey]), subjects: erasedSubjects)
            projections.advanced(through: seq, removing: erasedSubjects)
            customerSubjects.remove(customerID)
            changes.publish(customerID.isEmpty ? [] : [StoreChange(seq: seq, customerID: customerID, erased: true)], lastSeq: seq)
            if !customerID.isEmpty {
                segmentChanges.forget(customerID: customerID)
                segmentChanges.publish(leftSegments.map { ($0, customerID, .leave) }, seq: seq)
            }
            receipt.tombstone = tombstone
            receipt.eventsRemoved = eventsRemoved
        } catch {
            throw C360Error(error, doing: "erase the customer")
        }
        return CommittedErasure(receipt: receipt, needles: needles, compactions: compactions)
    }

    /// A string as protobuf writes it: its length as a varint, then its bytes. Searching for this
    /// form finds "cust_1" without also matching inside "cust_12".
    static func encodedString(_ value: String) -> [UInt8] {
        var length = UInt64(value.utf8.count)
        var prefix: [UInt8] = []
        repeat {
            prefix.append(UInt8(length & 0x7F) | (length > 0x7F ? 0x80 : 0))
            length >>= 7
        } while length > 0
        return prefix + Array(value.utf8)
    }

    /// The tombstone of an erased customer id, or `nil` if it was never erased.
    public func tombstone(customerID: String) throws(C360Error) -> C360_V1_Tombstone? {
        try tombstone(hash: pseudonyms.customerHash(customerID))
    }

    func tombstone(hash: [UInt8]) throws(C360Error) -> C360_V1_Tombstone? {
        guard let bytes = try read(StoreKeys.tombstoneByHash(hash), in: families.tombstones) else {
            return nil
        }
        do {
            return try C360_V1_Tombstone(serializedBytes: bytes)
        } catch {
            throw C360Error(.corruption, "a tombstone could not be decoded: \(error)")
        }
    }
}
