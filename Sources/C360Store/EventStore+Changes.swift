public import C360Core
import C360Model
import RocksDB
import SwiftProtobuf

extension EventStore {
    /// The changes logged after `seq`, up to and including `throughSeq`, one per customer at its
    /// latest log position, in log order: what a change stream resuming from `seq` has missed.
    /// Erasures come with only the tombstone's hash of the customer id.
    public func changes(after seq: UInt64, through throughSeq: UInt64) throws(C360Error) -> [StoreChange] {
        guard throughSeq > seq else { return [] }
        var latestBySubject: [UInt64: UInt64] = [:]
        var erasures: [StoreChange] = []
        do {
            try database.forEachEntry(in: families.log, from: StoreKeys.logEntry(seq: seq + 1), to: StoreKeys.logEntry(seq: throughSeq + 1)) { key, value in
                guard let entrySeq = StoreKeys.uint64(key) else { return }
                if value.first == StoreKeys.LogEntryKind.event.rawValue, let subject = StoreKeys.uint64(value, at: 1) {
                    latestBySubject[subject] = entrySeq
                } else if value.first == StoreKeys.LogEntryKind.tombstone.rawValue,
                          let tombstone = try? C360_V1_Tombstone(serializedBytes: Array(value.dropFirst())) {
                    erasures.append(StoreChange(seq: entrySeq, customerID: "", erased: true, tombstoneHash: tombstone.customerHash))
                }
            }
        } catch {
            throw C360Error(error, doing: "read the log")
        }
        var changes = erasures
        for (subject, latest) in latestBySubject {
            guard let projection = try projections.projection(of: subject) else { continue }
            changes.append(StoreChange(seq: latest, customerID: projection.customerID, erased: false))
        }
        return changes.sorted { $0.seq < $1.seq }
    }

    /// The keyed hash of a customer id that its tombstone carries, in hex.
    public func customerHash(_ customerID: String) -> String {
        pseudonyms.customerHash(customerID).hexString
    }
}
