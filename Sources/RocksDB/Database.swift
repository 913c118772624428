import CRocksDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An open RocksDB database and its column families.
///
/// ```swift
/// let db = try Database(path: "/var/lib/c360", columnFamilies: ["events", "meta"])
/// let events = try db.columnFamily("events")
/// let batch = WriteBatch()
/// batch.put([1], [2], in: events)
/// try db.write(batch, sync: true)
/// ```
///
/// The database closes when the last reference to it goes away (iterators and snapshots keep it
/// open), or earlier with `close()`, after which every call fails with `RocksDBError.Code.aborted`.
// @unchecked Sendable: RocksDB's DB object is safe for concurrent reads and writes from any thread;
// every stored property is immutable after init but `closed`, which is atomic.
public final class Database: @unchecked Sendable {
    let handle: OpaquePointer
    private let options: OpaquePointer
    /// Copies of `options` for the column families with a memtable of their own or without filters.
    private let familyOptions: [OpaquePointer]
    private let tableOptions: OpaquePointer
    private let unfilteredTableOptions: OpaquePointer
    private let blockCache: OpaquePointer
    private let columnFamilyHandles: [OpaquePointer]
    private let columnFamiliesByName: [String: ColumnFamily]
    private let syncWriteOptions: OpaquePointer
    private let asyncWriteOptions: OpaquePointer
    private let unloggedWriteOptions: OpaquePointer
    private let defaultReadOptions: OpaquePointer
    private let closed = Atomic<Bool>(false)

    /// The directory the database lives in.
    public let path: String

    /// Opens (and by default creates) the database at `path` with the named column families.
    /// Column families that exist on disk but are not named are opened too, because RocksDB
    /// refuses to open a database without all of them.
    /// - Throws: `RocksDBError`, with code `.lockHeld` when another process has it open.
    public init(path: String, columnFamilies: [String], options databaseOptions: DatabaseOptions = .init()) throws(RocksDBError) {
        self.path = path
        let options = rocksdb_options_create()!
        rocksdb_options_set_create_if_missing(options, databaseOptions.createIfMissing ? 1 : 0)
        rocksdb_options_set_create_missing_column_families(options, 1)
        rocksdb_options_set_compression(options, Int32(databaseOptions.compression.cValue))
        rocksdb_options_set_write_buffer_size(options, databaseOptions.writeBufferBytes)
        rocksdb_options_set_db_write_buffer_size(options, databaseOptions.totalWriteBufferBytes)
        rocksdb_options_set_max_background_jobs(options, databaseOptions.backgroundJobs)
        rocksdb_options_set_target_file_size_base(options, databaseOptions.targetFileBytes)
        if databaseOptions.collectStatistics { rocksdb_options_enable_statistics(options) }
        rocksdb_options_set_keep_log_file_num(options, databaseOptions.keepInfoLogFiles)
        rocksdb_options_set_max_total_wal_size(options, databaseOptions.maximumWALBytes)
        // Obsolete WAL files must be deleted at once, never archived or recycled: an erasure
        // relies on old WALs disappearing after a flush.
        rocksdb_options_set_WAL_ttl_seconds(options, 0)
        rocksdb_options_set_WAL_size_limit_MB(options, 0)
        rocksdb_options_set_recycle_log_file_num(options, 0)
        let blockCache = rocksdb_cache_create_lru(databaseOptions.blockCacheBytes)!
        func makeTableOptions(filterBitsPerKey: Double) -> OpaquePointer {
            let tableOptions = rocksdb_block_based_options_create()!
            rocksdb_block_based_options_set_block_cache(tableOptions, blockCache)
            if filterBitsPerKey > 0 {
                // The table options take ownership of the policy.
                rocksdb_block_based_options_set_filter_policy(tableOptions, rocksdb_filterpolicy_create_bloom_full(filterBitsPerKey))
            }
            if databaseOptions.indexesAndFiltersInBlockCache {
                rocksdb_block_based_options_set_index_type(tableOptions, Int32(rocksdb_block_based_table_index_type_two_level_index_search))
                rocksdb_block_based_options_set_partition_filters(tableOptions, filterBitsPerKey > 0 ? 1 : 0)
                rocksdb_block_based_options_set_metadata_block_size(tableOptions, 4096)
                rocksdb_block_based_options_set_cache_index_and_filter_blocks(tableOptions, 1)
                rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(tableOptions, 1)
                rocksdb_block_based_options_set_pin_top_level_index_and_filter(tableOptions, 1)
            }
            return tableOptions
        }
        let tableOptions = makeTableOptions(filterBitsPerKey: databaseOptions.bloomFilterBitsPerKey)
        // For the families in `familiesWithoutFilters`.
        let unfilteredTableOptions = makeTableOptions(filterBitsPerKey: 0)
        if databaseOptions.bloomFilterBitsPerKey > 0 {
            // A filter over the memtable too, so that looking up a key written nowhere yet (a new
            // event id) does not walk the memtable's skip list.
            rocksdb_options_set_memtable_prefix_bloom_size_ratio(options, 0.02)
            rocksdb_options_set_memtable_whole_key_filtering(options, 1)
        }
        rocksdb_options_set_block_based_table_factory(options, tableOptions)

        var names = columnFamilies
        if !names.contains("default") { names.insert("default", at: 0) }
        do {
            for existing in try Database.listColumnFamilies(path: path, options: options) where !names.contains(existing) {
                names.append(existing)
            }
        } catch {
            // A database that does not exist yet has no column families to list.
        }

        var handles = [OpaquePointer?](repeating: nil, count: names.count)
        let cNames = names.map { strdupOrEmpty($0) }
        defer { cNames.forEach { free($0) } }
        // Hash and vector memtables refuse concurrent inserts; RocksDB checks the database-wide
        // setting when any column family uses one.
        if databaseOptions.memtables.values.contains(where: { $0 != .skipList }) {
            rocksdb_options_set_allow_concurrent_memtable_write(options, 0)
        }
        var familyOptions: [OpaquePointer] = []
        let cfOptions: [OpaquePointer?] = names.map { name in
            let memtable = databaseOptions.memtables[name] ?? .skipList
            let unfiltered = databaseOptions.familiesWithoutFilters.contains(name)
            guard memtable != .skipList || unfiltered else { return options }
            let own = rocksdb_options_create_copy(options)!
            if unfiltered { rocksdb_options_set_block_based_table_factory(own, unfilteredTableOptions) }
            switch memtable {
            case .skipList: break
            case .hashSkipList(let prefixBytes):
                rocksdb_options_set_prefix_extractor(own, rocksdb_slicetransform_create_fixed_prefix(prefixBytes))
                rocksdb_options_set_hash_skip_list_rep(own, 1_000_000, 4, 4)
            case .hashLinkList(let prefixBytes):
                rocksdb_options_set_prefix_extractor(own, rocksdb_slicetransform_create_fixed_prefix(prefixBytes))
                rocksdb_options_set_hash_link_list_rep(own, 1_000_000)
            case .vector:
                rocksdb_options_set_memtable_vector_rep(own)
            }
            familyOptions.append(own)
            return own
        }
        let opened: OpaquePointer?
        do {
            opened = try withErrorPointer { errorPointer in
                cNames.map { UnsafePointer<CChar>?($0) }.withUnsafeBufferPointer { namePointers in
                    cfOptions.withUnsafeBufferPointer { optionPointers in
                        handles.withUnsafeMutableBufferPointer { handlePointers in
                            rocksdb_open_column_families(
                                options, path, Int32(names.count),
                                namePointers.baseAddress, optionPointers.baseAddress,
                                handlePointers.baseAddress, errorPointer)
                        }
                    }
                }
            }
        } catch {
            familyOptions.forEach { rocksdb_options_destroy($0) }
            rocksdb_options_destroy(options)
            rocksdb_block_based_options_destroy(tableOptions)
            rocksdb_block_based_options_destroy(unfilteredTableOptions)
            rocksdb_cache_destroy(blockCache)
            throw error
        }
        guard let opened else {
            familyOptions.forEach { rocksdb_options_destroy($0) }
            rocksdb_options_destroy(options)
            rocksdb_block_based_options_destroy(tableOptions)
            rocksdb_block_based_options_destroy(unfilteredTableOptions)
            rocksdb_cache_destroy(blockCache)
            throw RocksDBError(code: .other, message: "rocksdb_open_column_families returned no handle")
        }
        self.handle = opened
        self.options = options
        self.familyOptions = familyOptions
        self.tableOptions = tableOptions
        self.unfilteredTableOptions = unfilteredTableOptions
        self.blockCache = blockCache
        self.columnFamilyHandles = handles.map { $0! }
        var byName: [String: ColumnFamily] = [:]
        for (index, name) in names.enumerated() {
            byName[name] = ColumnFamily(name: name, index: index)
        }
        self.columnFamiliesByName = byName
        self.syncWriteOptions = rocksdb_writeoptions_create()!
        rocksdb_writeoptions_set_sync(syncWriteOptions, 1)
        self.asyncWriteOptions = rocksdb_writeoptions_create()!
        self.unloggedWriteOptions = rocksdb_writeoptions_create()!
        rocksdb_writeoptions_disable_WAL(unloggedWriteOptions, 1)
        self.defaultReadOptions = rocksdb_readoptions_create()!
    }

    deinit {
        closeHandles()
        rocksdb_writeoptions_destroy(syncWriteOptions)
        rocksdb_writeoptions_destroy(asyncWriteOptions)
        rocksdb_writeoptions_destroy(unloggedWriteOptions)
        rocksdb_readoptions_destroy(defaultReadOptions)
        rocksdb_options_destroy(options)
        familyOptions.forEach { rocksdb_options_destroy($0) }
        rocksdb_block_based_options_destroy(tableOptions)
        rocksdb_block_based_options_destroy(unfilteredTableOptions)
        rocksdb_cache_destroy(blockCache)
    }

    /// Closes the database now, waiting for its background work, rather than whenever the last
    /// reference goes: a process should close it before it exits. Later calls fail with `.aborted`.
    /// Call it only when no other thread is using the database.
    public func close() {
        closeHandles()
    }

    /// Whether `close()` was called.
    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    private func closeHandles() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for handle in columnFamilyHandles {
            rocksdb_column_family_handle_destroy(handle)
        }
        rocksdb_close(handle)
    }

    func checkOpen() throws(RocksDBError) {
        if isClosed { throw RocksDBError(code: .aborted, message: "the database at \(path) is closed") }
    }

    private static func listColumnFamilies(path: String, options: OpaquePointer) throws(RocksDBError) -> [String] {
        var count = 0
        var list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        // The list is allocated even when the call fails (an empty one, for a database that does
        // not exist yet), so it is freed before the error is thrown. (Found by the RPC fuzzer's
        // leak check.)
        defer { if let list { rocksdb_list_column_families_destroy(list, count) } }
        try withErrorPointer { list = rocksdb_list_column_families(options, path, &count, $0) }
        guard let list else { return [] }
        return (0..<count).compactMap { list[$0].map { String(cString: $0) } }
    }

    /// The column family named `name`.
    /// - Throws: `RocksDBError` with code `.invalidArgument` if the database was not opened with it.
    public func columnFamily(_ name: String) throws(RocksDBError) -> ColumnFamily {
        guard let family = columnFamiliesByName[name] else {
            throw RocksDBError(code: .invalidArgument, message: "no column family named \(name)")
        }
        return family
    }

    func cfHandle(_ family: ColumnFamily) -> OpaquePointer {
        columnFamilyHandles[family.index]
    }

    /// The value stored under `key`, or `nil`.
    public func get(_ key: [UInt8], in family: ColumnFamily, snapshot: Snapshot? = nil) throws(RocksDBError) -> [UInt8]? {
        try checkOpen()
        let readOptions = snapshot?.readOptions ?? defaultReadOptions
        let slice = try withErrorPointer { errorPointer in
            key.withUnsafeBufferPointer { keyBuffer in
                keyBuffer.withMemoryRebound(to: CChar.self) { keyChars in
                    rocksdb_get_pinned_cf(handle, readOptions, cfHandle(family), keyChars.baseAddress, keyChars.count, errorPointer)
                }
            }
        }
        guard let slice else { return nil }
        defer { rocksdb_pinnableslice_destroy(slice) }
        return Self.bytes(of: slice)
    }

    /// A copy of what a pinnable slice RocksDB returned holds.
    private static func bytes(of slice: OpaquePointer) -> [UInt8] {
        var length = 0
        guard let value = rocksdb_pinnableslice_value(slice, &length) else { return [] }
        return value.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// The values stored under `keys`, in their order (`nil` where a key has none), read as one
    /// batch: RocksDB sorts the keys and looks each file's filter partitions and blocks up once for
    /// all the keys that fall in them, where a `get` per key searches them again for every key.
    public func get(_ keys: [[UInt8]], in family: ColumnFamily) throws(RocksDBError) -> [[UInt8]?] {
        try checkOpen()
        if keys.isEmpty { return [] }
        // One key has nothing to share a search with: a plain read skips the batch's setup.
        if keys.count == 1 { return [try get(keys[0], in: family)] }
        // One buffer for every key, so that their addresses stay valid through the call.
        var offsets: [Int] = []
        offsets.reserveCapacity(keys.count)
        var joined: [UInt8] = []
        joined.reserveCapacity(keys.reduce(0) { $0 + $1.count })
        for key in keys {
            offsets.append(joined.count)
            joined.append(contentsOf: key)
        }
        var sizes = keys.map(\.count)
        var slices = [OpaquePointer?](repeating: nil, count: keys.count)
        var errors = [UnsafeMutablePointer<CChar>?](repeating: nil, count: keys.count)
        joined.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                // Every key empty: RocksDB still wants an address for each, and reads none of it.
                let base = chars.baseAddress ?? UnsafePointer(bitPattern: 1)!
                let pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
                pointers.withUnsafeBufferPointer { keyPointers in
                    rocksdb_batched_multi_get_cf(
                        handle, defaultReadOptions, cfHandle(family), keys.count, keyPointers.baseAddress, &sizes,
                        &slices, &errors, false)
                }
            }
        }
        var firstError: String?
        for case let error? in errors {
            if firstError == nil { firstError = String(cString: error) }
            rocksdb_free(error)
        }
        defer {
            for case let slice? in slices { rocksdb_pinnableslice_destroy(slice) }
        }
        if let firstError { throw RocksDBError(status: firstError) }
        return slices.map { $0.map(Self.bytes(of:)) }
    }

    /// Applies every operation of `batch` atomically.
    /// - Parameter sync: when `true`, the write-ahead log is synced to disk before this returns,
    ///   so the write survives a crash of the machine.
    public func write(_ batch: WriteBatch, sync: Bool) throws(RocksDBError) {
        try checkOpen()
        try withErrorPointer { rocksdb_write(handle, sync ? syncWriteOptions : asyncWriteOptions, batch.handle, $0) }
    }

    /// Applies every operation of `batch` atomically to the memtables only, not to the write-ahead
    /// log: no bytes for the next synced write to carry to disk, but a crash loses the batch unless
    /// RocksDB flushed the column families it wrote first (a memtable filled, `flush`, or closing the
    /// database, which flushes whatever was written this way). Of the writes made this way to one
    /// column family, a crash keeps a prefix: its memtables are flushed, and their files installed,
    /// in the order they were filled.
    public func writeWithoutLog(_ batch: WriteBatch) throws(RocksDBError) {
        try checkOpen()
        try withErrorPointer { rocksdb_write(handle, unloggedWriteOptions, batch.handle, $0) }
    }

    /// An iterator over `family`, optionally bounded to `[lowerBound, upperBound)` and reading as of
    /// `snapshot`. Unless `fillCache`, the blocks it reads are not kept in the block cache (a scan
    /// whose reader keeps what it reads, which would otherwise push out the blocks lookups use).
    public func makeIterator(
        _ family: ColumnFamily, lowerBound: [UInt8]? = nil, upperBound: [UInt8]? = nil, snapshot: Snapshot? = nil,
        fillCache: Bool = true
    ) -> Iterator {
        Iterator(database: self, family: family, lowerBound: lowerBound, upperBound: upperBound, snapshot: snapshot, fillCache: fillCache)
    }

    /// A consistent, read-only view of the database as it is now.
    public func makeSnapshot() -> Snapshot {
        Snapshot(database: self)
    }

    /// Writes the memtable of `family` to an SST file and waits for it.
    public func flush(_ family: ColumnFamily) throws(RocksDBError) {
        try checkOpen()
        let flushOptions = rocksdb_flushoptions_create()!
        defer { rocksdb_flushoptions_destroy(flushOptions) }
        rocksdb_flushoptions_set_wait(flushOptions, 1)
        try withErrorPointer { rocksdb_flush_cf(handle, flushOptions, cfHandle(family), $0) }
    }

    /// Flushes every column family, after which no write-ahead log file written before this call
    /// is needed any more and RocksDB deletes them.
    public func flushAll() throws(RocksDBError) {
        for family in columnFamiliesByName.values.sorted(by: { $0.index < $1.index }) {
            try flush(family)
        }
    }

    /// Compacts the keys in `[begin, end)` of `family` down to the bottom level, rewriting every
    /// file that holds them, including bottom-level files, so deleted entries are dropped from disk.
    /// `nil` bounds mean the start or end of the key space.
    public func compactRange(_ family: ColumnFamily, from begin: [UInt8]?, to end: [UInt8]?) {
        guard !isClosed else { return }
        let compactOptions = rocksdb_compactoptions_create()!
        defer { rocksdb_compactoptions_destroy(compactOptions) }
        // 2 is BottommostLevelCompaction::kForce.
        rocksdb_compactoptions_set_bottommost_level_compaction(compactOptions, 2)
        rocksdb_compactoptions_set_exclusive_manual_compaction(compactOptions, 0)
        withOptionalBytes(begin) { beginPointer, beginCount in
            withOptionalBytes(end) { endPointer, endCount in
                rocksdb_compact_range_cf_opt(handle, cfHandle(family), compactOptions, beginPointer, beginCount, endPointer, endCount)
            }
        }
    }

    /// Whether a flush or a compaction is running, or one is due, in any column family.
    public var hasBackgroundWork: Bool {
        guard !isClosed else { return false }
        func number(_ name: String, _ family: ColumnFamily? = nil) -> UInt64 { property(name, in: family).flatMap { UInt64($0) } ?? 0 }
        if number("rocksdb.num-running-compactions") > 0 || number("rocksdb.num-running-flushes") > 0 { return true }
        return columnFamiliesByName.values.contains { family in
            number("rocksdb.compaction-pending", family) > 0 || number("rocksdb.mem-table-flush-pending", family) > 0
        }
    }

    /// Waits until no flush or compaction is running or due, polling every 20 ms, for at most
    /// `seconds`. Returns whether RocksDB settled in that time.
    public func waitForBackgroundWork(upTo seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, seconds) * 1000))
        while hasBackgroundWork {
            guard ContinuousClock.now < deadline else { return false }
            usleep(20_000)
        }
        return true
    }

    /// A RocksDB property such as `"rocksdb.estimate-num-keys"`, or `nil` if unknown.
    public func property(_ name: String, in family: ColumnFamily? = nil) -> String? {
        guard !isClosed else { return nil }
        let value: UnsafeMutablePointer<CChar>?
        if let family {
            value = rocksdb_property_value_cf(handle, cfHandle(family), name)
        } else {
            value = rocksdb_property_value(handle, name)
        }
        guard let value else { return nil }
        defer { rocksdb_free(value) }
        return String(cString: value)
    }

    /// RocksDB's own figures, summed over every column family, for monitoring.
    public struct Figures: Sendable, Equatable {
        public var memtableBytes: UInt64 = 0
        public var pendingCompactionBytes: UInt64 = 0
        public var sstFiles: UInt64 = 0
        public var sstBytes: UInt64 = 0
        /// Bytes of blocks held in the block cache (at most `DatabaseOptions.blockCacheBytes`).
        public var blockCacheBytes: UInt64 = 0
        /// RocksDB's estimate of the memory its open SST files take outside the block cache: their
        /// indexes and filters too unless `DatabaseOptions.indexesAndFiltersInBlockCache`.
        public var tableReaderBytes: UInt64 = 0
        /// Since the database was opened; `nil` unless `DatabaseOptions.collectStatistics`.
        public var blockCacheHits: UInt64?
        public var blockCacheMisses: UInt64?
    }

    public func figures() -> Figures {
        var figures = Figures()
        guard !isClosed else { return figures }
        func number(_ name: String, _ family: ColumnFamily) -> UInt64 { property(name, in: family).flatMap { UInt64($0) } ?? 0 }
        for family in columnFamiliesByName.values {
            figures.memtableBytes += number("rocksdb.cur-size-all-mem-tables", family)
            figures.pendingCompactionBytes += number("rocksdb.estimate-pending-compaction-bytes", family)
            figures.sstBytes += number("rocksdb.total-sst-files-size", family)
            figures.tableReaderBytes += number("rocksdb.estimate-table-readers-mem", family)
            for level in 0..<7 { figures.sstFiles += number("rocksdb.num-files-at-level\(level)", family) }
        }
        figures.blockCacheBytes = UInt64(rocksdb_cache_get_usage(blockCache))
        if let text = rocksdb_options_statistics_get_string(options) {
            defer { rocksdb_free(text) }
            let tickers = Self.tickers(String(cString: text))
            figures.blockCacheHits = tickers["rocksdb.block.cache.hit"]
            figures.blockCacheMisses = tickers["rocksdb.block.cache.miss"]
        }
        return figures
    }

    /// The `name COUNT : value` lines of RocksDB's statistics text.
    static func tickers(_ text: String) -> [String: UInt64] {
        var tickers: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 4, parts[1] == "COUNT", parts[2] == ":", let value = UInt64(parts[3]) else { continue }
            tickers[String(parts[0])] = value
        }
        return tickers
    }

    /// Writes a consistent copy of the database into `directory`, which must not exist yet
    /// (SST files are hard-linked where the file system allows).
    public func createCheckpoint(at directory: String) throws(RocksDBError) {
        try checkOpen()
        let checkpoint = try withErrorPointer { rocksdb_checkpoint_object_create(handle, $0) }
        guard let checkpoint else { throw RocksDBError(code: .other, message: "could not create a checkpoint object") }
        defer { rocksdb_checkpoint_object_destroy(checkpoint) }
        try withErrorPointer { rocksdb_checkpoint_create(checkpoint, directory, 0, $0) }
    }
}

func withOptionalBytes<Result>(_ bytes: [UInt8]?, _ body: (UnsafePointer<CChar>?, Int) -> Result) -> Result {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress, $0.count) }
    }
}

extension DatabaseOptions.Compression {
    var cValue: Int {
        switch self {
        case .none: Int(rocksdb_no_compression)
        case .snappy: Int(rocksdb_snappy_compression)
        case .lz4: Int(rocksdb_lz4_compression)
        case .zstd: Int(rocksdb_zstd_compression)
        }
    }
}
