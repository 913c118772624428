import CRocksDB

/// A consistent read-only view of a database at one moment. Reads through it see no later write.
// @unchecked Sendable: a RocksDB snapshot is immutable and may be read from any thread; the
// read options that carry it are never changed after init.
public final class Snapshot: @unchecked Sendable {
    private let database: Database
    let snapshotHandle: OpaquePointer
    let readOptions: OpaquePointer

    init(database: Database) {
        self.database = database
        self.snapshotHandle = rocksdb_create_snapshot(database.handle)!
        self.readOptions = rocksdb_readoptions_create()!
        rocksdb_readoptions_set_snapshot(readOptions, snapshotHandle)
    }

    deinit {
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_release_snapshot(database.handle, snapshotHandle)
    }
}
