import C360Model
import RocksDB

/// Walks the stored projections alongside rebuilt ones produced in subject order: compares them,
/// digests both sides, writes what changed and deletes stored projections nothing rebuilt.
final class ProjectionRebuilder {
    private let database: Database
    private let projections: ColumnFamily
    private let stored: Iterator
    private let batch: WriteBatch
    private var live = ProjectionDigest.Builder()
    private var rebuilt = ProjectionDigest.Builder()
    private(set) var changed: UInt64 = 0
    private(set) var removed: UInt64 = 0

    /// Flushes `projections` first: the write behind writes past the write-ahead log, and a
    /// projection left unwritten here because it equals one stored only in a memtable would be
    /// lost with it in a crash, under a checkpoint that says it was rebuilt.
    init(database: Database, projections: ColumnFamily) throws(RocksDBError) {
        try database.flush(projections)
        self.database = database
        self.projections = projections
        self.stored = database.makeIterator(projections, lowerBound: StoreKeys.allSubjects.from, upperBound: StoreKeys.allSubjects.to)
        self.batch = WriteBatch(for: database)
        stored.seekToFirst()
    }

    /// Takes the rebuilt projection of `subject`, encoded. Subjects must come in increasing order.
    func add(subject: UInt64, bytes: [UInt8]) throws {
        let key = StoreKeys.subject(subject)
        try skipStored(before: key)
        if stored.isValid, stored.key == key {
            let storedBytes = stored.value
            live.add(subjectKey: key, projection: storedBytes)
            if storedBytes != bytes {
                changed += 1
                batch.put(key, bytes, in: projections)
            }
            stored.next()
        } else {
            changed += 1
            batch.put(key, bytes, in: projections)
        }
        rebuilt.add(subjectKey: key, projection: bytes)
        try flushIfLarge()
    }

    /// Deletes every stored projection not rebuilt, writes the rest, and returns both digests.
    func finish() throws -> (live: ProjectionDigest, rebuilt: ProjectionDigest) {
        try skipStored(before: nil)
        try database.write(batch, sync: true)
        batch.clear()
        return (live.finish(), rebuilt.finish())
    }

    private func skipStored(before key: [UInt8]?) throws {
        while stored.isValid, key.map({ stored.key.lexicographicallyPrecedes($0) }) ?? true {
            live.add(subjectKey: stored.key, projection: stored.value)
            batch.delete(stored.key, in: projections)
            removed += 1
            stored.next()
            try flushIfLarge()
        }
        try stored.checkStatus()
    }

    private func flushIfLarge() throws {
        if batch.count >= 10_000 {
            try database.write(batch, sync: false)
            batch.clear()
        }
    }
}
