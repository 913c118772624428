import C360Core
import RocksDB
import Synchronization

/// A column family of keys to 64-bit numbers with a filter of the keys ever written to it
/// (`FamilyKeyFilter`), so that reading a key never written does not reach RocksDB. Two of the
/// store's parts are one: the identity index (each identity's and customer id's keyed hash to its
/// subject) and the dedup entries (each appended event's id to its log position). In bulk ingest
/// nearly every read of either is of a key never written — a new customer's id and identities, a
/// new event's id — and those reads were 5% and 3-4% of the server's samples (`perf`).
///
/// Every write of the family goes through `put` and `delete` here, or the filter would answer "not
/// there" for a key written past it. Reads may come from any thread.
final class FilteredIndex: Sendable {
    private let database: Database
    /// Where the entries are: an erasure compacts the ranges of those it deleted.
    let family: ColumnFamily
    private let name: String
    private let written: FamilyKeyFilter
    private let storageReadCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - name: what the entries are, for errors ("the identity index").
    ///   - label: a short name for the filter's filling thread ("identity-index").
    init(database: Database, family: ColumnFamily, name: String, label: String) {
        self.database = database
        self.family = family
        self.name = name
        written = FamilyKeyFilter(database: database, family: family, name: label)
    }

    /// The number at `key`, or `nil`.
    func value(at key: [UInt8]) throws(C360Error) -> UInt64? {
        guard written.mayContain(key) else { return nil }
        storageReadCount.add(1, ordering: .relaxed)
        let value: [UInt8]?
        do {
            value = try database.get(key, in: family)
        } catch {
            throw C360Error(storage: error, doing: "read \(name)")
        }
        return value.flatMap { StoreKeys.uint64($0) }
    }

    /// The numbers at `keys`, in order, `nil` for each key not there. Only the keys the filter may
    /// hold are read, as one batch.
    func values(at keys: [[UInt8]]) throws(C360Error) -> [UInt64?] {
        var values = [UInt64?](repeating: nil, count: keys.count)
        let toRead = keys.indices.filter { written.mayContain(keys[$0]) }
        guard !toRead.isEmpty else { return values }
        storageReadCount.add(toRead.count, ordering: .relaxed)
        let stored: [[UInt8]?]
        do {
            stored = try database.get(toRead.map { keys[$0] }, in: family)
        } catch {
            throw C360Error(storage: error, doing: "read \(name)")
        }
        for (index, bytes) in zip(toRead, stored) {
            values[index] = bytes.flatMap { StoreKeys.uint64($0) }
        }
        return values
    }

    /// Sets `key` to `value` in `batch`. The key enters the filter now, before the batch is
    /// committed: a reader that finds it in RocksDB finds it in the filter too.
    func put(_ key: [UInt8], _ value: UInt64, in batch: WriteBatch) {
        written.insert(key)
        batch.put(key, StoreKeys.bigEndian(value), in: family)
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

    /// Keys read from RocksDB, for the tests that prove the filter spares those reads.
    var storageReads: Int { storageReadCount.load(ordering: .relaxed) }

    /// Whether the filter answers yet (the keys stored before it was made are in it).
    var isFilterFilled: Bool { written.isFilled }

    /// Whether the filter may hold `key`: `false` means never written. For the tests.
    func filterMayContain(_ key: [UInt8]) -> Bool {
        written.mayContain(key)
    }
}
