import C360Core
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
    private let written: FamilyKeyFilter
    private let storageReadCount = Atomic<Int>(0)

    init(database: Database, family: ColumnFamily) {
        self.database = database
        self.family = family
        written = FamilyKeyFilter(database: database, family: family, name: "identity-index")
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
        written.startFilling()
    }

    /// Stops the filling under way: before the database closes.
    func stopFillingFilter() {
        written.stopFilling()
    }

    /// Waits for the filling started by `startFillingFilter` to end.
    func waitForFilling() {
        written.waitForFilling()
    }

    /// Reads that reached RocksDB, for the tests that prove the filter spares them.
    var storageReads: Int { storageReadCount.load(ordering: .relaxed) }

    /// Whether the filter answers yet (the keys stored before it was made are in it).
    var isFilterFilled: Bool { written.isFilled }
}
