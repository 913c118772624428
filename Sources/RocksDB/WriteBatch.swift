import CRocksDB

/// Operations applied together by `Database.write(_:sync:)`: all of them or none.
public final class WriteBatch {
    let handle: OpaquePointer
    private let database: Database

    /// A new, empty batch for `database`'s column families.
    public init(for database: Database) {
        self.handle = rocksdb_writebatch_create()!
        self.database = database
    }

    deinit {
        rocksdb_writebatch_destroy(handle)
    }

    /// The number of operations in the batch.
    public var count: Int { Int(rocksdb_writebatch_count(handle)) }

    /// The batch's size in bytes as it goes to the write-ahead log.
    public var byteCount: Int {
        var size = 0
        _ = rocksdb_writebatch_data(handle, &size)
        return size
    }

    /// Stores `value` under `key`, replacing any value already there.
    public func put(_ key: [UInt8], _ value: [UInt8], in family: ColumnFamily) {
        key.withUnsafeBufferPointer { keyBuffer in
            value.withUnsafeBufferPointer { valueBuffer in
                keyBuffer.withMemoryRebound(to: CChar.self) { keyChars in
                    valueBuffer.withMemoryRebound(to: CChar.self) { valueChars in
                        rocksdb_writebatch_put_cf(
                            handle, database.cfHandle(family),
                            keyChars.baseAddress, keyChars.count, valueChars.baseAddress, valueChars.count)
                    }
                }
            }
        }
    }

    /// Removes `key`.
    public func delete(_ key: [UInt8], in family: ColumnFamily) {
        key.withUnsafeBufferPointer { keyBuffer in
            keyBuffer.withMemoryRebound(to: CChar.self) { keyChars in
                rocksdb_writebatch_delete_cf(handle, database.cfHandle(family), keyChars.baseAddress, keyChars.count)
            }
        }
    }

    /// Removes every key in `[begin, end)`.
    public func deleteRange(from begin: [UInt8], to end: [UInt8], in family: ColumnFamily) {
        withOptionalBytes(begin) { beginPointer, beginCount in
            withOptionalBytes(end) { endPointer, endCount in
                rocksdb_writebatch_delete_range_cf(
                    handle, database.cfHandle(family), beginPointer, beginCount, endPointer, endCount)
            }
        }
    }

    /// Empties the batch so it can be filled again.
    public func clear() {
        rocksdb_writebatch_clear(handle)
    }
}
