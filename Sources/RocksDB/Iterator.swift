import CRocksDB

/// A cursor over one column family in key order.
///
/// ```swift
/// let iterator = db.makeIterator(events, lowerBound: prefix, upperBound: end)
/// iterator.seekToFirst()
/// while iterator.isValid {
///     use(iterator.key, iterator.value)
///     iterator.next()
/// }
/// try iterator.checkStatus()
/// ```
public final class Iterator {
    private let database: Database
    private let snapshot: Snapshot?
    /// `nil` when the database was closed before the iterator was made: it is then empty, and
    /// `checkStatus()` says why.
    private let handle: OpaquePointer?
    private let readOptions: OpaquePointer
    // RocksDB keeps pointers to the bounds: they must live as long as the iterator.
    private let lowerBound: UnsafeMutableBufferPointer<CChar>?
    private let upperBound: UnsafeMutableBufferPointer<CChar>?

    init(database: Database, family: ColumnFamily, lowerBound: [UInt8]?, upperBound: [UInt8]?, snapshot: Snapshot?, fillCache: Bool) {
        self.database = database
        self.snapshot = snapshot
        let readOptions = rocksdb_readoptions_create()!
        if let snapshot {
            // The snapshot's own read options carry the snapshot pointer; copy that setting.
            rocksdb_readoptions_set_snapshot(readOptions, snapshot.snapshotHandle)
        }
        self.lowerBound = lowerBound.map(Iterator.copy)
        self.upperBound = upperBound.map(Iterator.copy)
        if let bound = self.lowerBound {
            rocksdb_readoptions_set_iterate_lower_bound(readOptions, bound.baseAddress, bound.count)
        }
        if let bound = self.upperBound {
            rocksdb_readoptions_set_iterate_upper_bound(readOptions, bound.baseAddress, bound.count)
        }
        if !fillCache { rocksdb_readoptions_set_fill_cache(readOptions, 0) }
        // A column family with a hash memtable would otherwise iterate one prefix only.
        rocksdb_readoptions_set_total_order_seek(readOptions, 1)
        self.readOptions = readOptions
        self.handle = database.isClosed ? nil : rocksdb_create_iterator_cf(database.handle, readOptions, database.cfHandle(family))
    }

    private static func copy(_ bytes: [UInt8]) -> UnsafeMutableBufferPointer<CChar> {
        let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: max(bytes.count, 1))
        for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<bytes.count])
    }

    deinit {
        if let handle { rocksdb_iter_destroy(handle) }
        rocksdb_readoptions_destroy(readOptions)
        lowerBound?.deallocate()
        upperBound?.deallocate()
    }

    /// Whether the iterator is positioned at an entry.
    public var isValid: Bool { handle.map { rocksdb_iter_valid($0) != 0 } ?? false }

    public func seekToFirst() { if let handle { rocksdb_iter_seek_to_first(handle) } }
    public func seekToLast() { if let handle { rocksdb_iter_seek_to_last(handle) } }

    /// Moves to the first key at or after `key`.
    public func seek(_ key: [UInt8]) {
        guard let handle else { return }
        withOptionalBytes(key) { rocksdb_iter_seek(handle, $0, $1) }
    }

    /// Moves to the last key at or before `key`.
    public func seekForPrevious(_ key: [UInt8]) {
        guard let handle else { return }
        withOptionalBytes(key) { rocksdb_iter_seek_for_prev(handle, $0, $1) }
    }

    public func next() { if let handle { rocksdb_iter_next(handle) } }
    public func previous() { if let handle { rocksdb_iter_prev(handle) } }

    /// The current key. Only valid while `isValid`.
    public var key: [UInt8] {
        var length = 0
        guard let handle, let pointer = rocksdb_iter_key(handle, &length) else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// The current value. Only valid while `isValid`.
    public var value: [UInt8] {
        var length = 0
        guard let handle, let pointer = rocksdb_iter_value(handle, &length) else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// Calls `body` with the current value's bytes without copying them. The buffer is only valid inside `body`.
    public func withValueBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var length = 0
        guard let handle, let pointer = rocksdb_iter_value(handle, &length) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// Throws the error that stopped the iteration, if one did. Call it once `isValid` turns false.
    public func checkStatus() throws(RocksDBError) {
        guard let handle else { return try database.checkOpen() }
        try withErrorPointer { rocksdb_iter_get_error(handle, $0) }
    }
}

extension Database {
    /// Calls `body` with every entry of `family` whose key is in `[lower, upper)` (either bound
    /// absent: the start or the end of the family), in key order, then checks the iterator's
    /// status: a scan either visits every entry in its range or throws, it cannot end early
    /// unnoticed. For paging (a limit, a reverse order) use `makeIterator`.
    public func forEachEntry(
        in family: ColumnFamily, from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, snapshot: Snapshot? = nil,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Void
    ) throws {
        let iterator = makeIterator(family, lowerBound: lower, upperBound: upper, snapshot: snapshot)
        iterator.seekToFirst()
        while iterator.isValid {
            try body(iterator.key, iterator.value)
            iterator.next()
        }
        try iterator.checkStatus()
    }
}
