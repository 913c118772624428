import C360Core
import Foundation
import RocksDB
import Synchronization

/// The identity index in RocksDB — each identity's and customer id's keyed hash (`PseudonymKey`)
/// to its subject — with a filter of the keys ever written to it (`WrittenKeyFilter`), so that
/// reading a key never written does not reach RocksDB.
///
/// Every write of the index goes through `put` and `delete` here, or the filter would answer "no
/// one" for a key written past it. Reads may come from any thread.
final class StoredIdentityIndex: Sendable {
    private let database: Database
    private let family: ColumnFamily
    private let written: WrittenKeyFilter
    /// Reads the keys stored before the filter was made into it.
    private let filling = DispatchQueue(label: "c360.identity-index-filter", qos: .utility)
    private let fillingStopped = Atomic<Bool>(false)
    private let storageReadCount = Atomic<Int>(0)

    /// Keys the filter is made for beyond those stored when the store opens: 8 MiB of filter.
    static let filterRoomForNewKeys = 4_000_000

    init(database: Database, family: ColumnFamily) {
        self.database = database
        self.family = family
        let stored = database.property("rocksdb.estimate-num-keys", in: family).flatMap { Int($0) } ?? 0
        written = WrittenKeyFilter(capacity: stored + Self.filterRoomForNewKeys)
    }

    /// The subject `key` points at, or `nil`.
    func subject(at key: [UInt8]) throws(C360Error) -> UInt64? {
        guard written.mayContain(key) else { return nil }
        storageReadCount.add(1, ordering: .relaxed)
        let value: [UInt8]?
        do {
            value = try database.get(key, in: family)
        } catch {
            throw C360Error(storage: error, doing: "read the identity index")
        }
        return value.flatMap { StoreKeys.uint64($0) }
    }

    /// Points `key` at `subject` in `batch`. The key enters the filter now, before the batch is
    /// committed: a reader that finds it in RocksDB finds it in the filter too.
    func put(_ key: [UInt8], subject: UInt64, in batch: WriteBatch) {
        written.insert(key)
        batch.put(key, StoreKeys.subject(subject), in: family)
    }

    /// Removes `key` in `batch`. It stays in the filter: reading it then finds nothing in RocksDB.
    func delete(_ key: [UInt8], in batch: WriteBatch) {
        batch.delete(key, in: family)
    }

    /// Reads the keys stored before the filter was made into it, in the background; until that
    /// is done every read goes to RocksDB. Keys written meanwhile enter it as they are written.
    func startFillingFilter() {
        filling.async { [self] in
            do {
                // Its own view of the index as of now: a key written after this is inserted by
                // its writer, one deleted since only costs a read.
                let iterator = database.makeIterator(family, fillCache: false)
                iterator.seekToFirst()
                var read = 0
                while iterator.isValid {
                    read += 1
                    if read % 4_096 == 0, fillingStopped.load(ordering: .relaxed) { return }
                    written.insert(iterator.key)
                    iterator.next()
                }
                try iterator.checkStatus()
                written.markFilled()
            } catch {
                // Left unfilled: every read goes to RocksDB, as without a filter.
            }
        }
    }

    /// Stops the filling under way: before the database closes.
    func stopFillingFilter() {
        fillingStopped.store(true, ordering: .relaxed)
        filling.sync {}
    }

    /// Waits for the filling started by `startFillingFilter` to end.
    func waitForFilling() {
        filling.sync {}
    }

    /// Reads that reached RocksDB, for the tests that prove the filter spares them.
    var storageReads: Int { storageReadCount.load(ordering: .relaxed) }

    /// Whether the filter answers yet (the keys stored before it was made are in it).
    var isFilterFilled: Bool { written.isFilled }

    /// The memory the filter takes.
    var filterBytes: Int { written.bytes }
}
