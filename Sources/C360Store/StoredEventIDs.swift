import C360Core
import RocksDB

/// The dedup entries in RocksDB — each appended event's id to the log position it was appended at —
/// with a filter of the ids ever written (`FamilyKeyFilter`), so that checking an id never appended
/// does not reach RocksDB: in bulk ingest every id is new, and reading them was 3-4% of the
/// server's samples (`perf`).
///
/// Every write of the entries goes through `record` and `delete` here, or the filter would answer
/// "never appended" for an id written past it. Reads may come from any thread.
final class StoredEventIDs: Sendable {
    private let database: Database
    /// Where the entries are: an erasure compacts the ranges of those it deleted.
    let family: ColumnFamily
    private let written: FamilyKeyFilter

    init(database: Database, family: ColumnFamily) {
        self.database = database
        self.family = family
        written = FamilyKeyFilter(database: database, family: family, name: "event-id")
    }

    /// The log positions the events with ids `keys` were appended at, `nil` for each not appended.
    /// Only the ids the filter may hold are read, as one batch.
    func seqs(of keys: [[UInt8]]) throws(C360Error) -> [UInt64?] {
        var seqs = [UInt64?](repeating: nil, count: keys.count)
        let toRead = keys.indices.filter { written.mayContain(keys[$0]) }
        guard !toRead.isEmpty else { return seqs }
        let values: [[UInt8]?]
        do {
            values = try database.get(toRead.map { keys[$0] }, in: family)
        } catch {
            throw C360Error(storage: error, doing: "read the dedup entries")
        }
        for (index, value) in zip(toRead, values) {
            seqs[index] = value.flatMap { StoreKeys.uint64($0) }
        }
        return seqs
    }

    /// Records in `batch` that the event with id `key` is appended at `seq`. The id enters the
    /// filter now, before the batch is committed: a reader that finds it in RocksDB finds it in
    /// the filter too.
    func record(_ key: [UInt8], seq: UInt64, in batch: WriteBatch) {
        written.insert(key)
        batch.put(key, StoreKeys.bigEndian(seq), in: family)
    }

    /// Removes the entry of `key` in `batch` (an erasure). It stays in the filter: reading it then
    /// finds nothing in RocksDB.
    func delete(_ key: [UInt8], in batch: WriteBatch) {
        batch.delete(key, in: family)
    }

    /// Reads the ids stored before the filter was made into it, in the background; until that is
    /// done every read goes to RocksDB. Ids written meanwhile enter it as they are written.
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

    /// Whether the filter answers yet (the ids stored before it was made are in it).
    var isFilterFilled: Bool { written.isFilled }

    /// Whether the filter may hold `key`: `false` means never appended. For the tests.
    func filterMayContain(_ key: [UInt8]) -> Bool {
        written.mayContain(key)
    }
}
