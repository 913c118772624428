import RocksDB

/// RocksDB's tuning, in the store's terms: what the configuration file's `rocksdb` section sets,
/// without its callers depending on the RocksDB wrapper. The defaults are `DatabaseOptions`'s.
public struct StorageSettings: Sendable {
    /// Block compression for SST files.
    public enum Compression: String, Sendable, CaseIterable {
        case none, snappy, lz4, zstd
    }

    /// What the store opens RocksDB with. The events (a customer's range is scanned; a key is
    /// read only once the log named it), the log (scanned) and the snapshots (scanned; an erasure
    /// checks a key) need no Bloom filters: at 3,000,000 events theirs were 9 of the 28 MB of
    /// indexes and filters in the SST files, which no read of theirs would use.
    var options: DatabaseOptions = {
        var options = DatabaseOptions()
        options.familiesWithoutFilters = ["events", "log", "snapshots"]
        return options
    }()

    public init() {}

    /// Compression of SST blocks. Default `.none`, so that every byte on disk is what was written:
    /// the erasure proofs search files byte for byte.
    public var compression: Compression {
        get { Compression(rawValue: options.compression.rawValue) ?? .none }
        set { options.compression = DatabaseOptions.Compression(rawValue: newValue.rawValue) ?? .none }
    }

    /// The shared cache of SST blocks, in bytes. Default 64 MiB.
    public var blockCacheBytes: Int {
        get { options.blockCacheBytes }
        set { options.blockCacheBytes = newValue }
    }

    /// Memtable per column family, in bytes. Default 32 MiB.
    public var writeBufferBytes: Int {
        get { options.writeBufferBytes }
        set { options.writeBufferBytes = newValue }
    }

    /// All memtables together, in bytes. Default 128 MiB.
    public var totalWriteBufferBytes: Int {
        get { options.totalWriteBufferBytes }
        set { options.totalWriteBufferBytes = newValue }
    }

    /// Keep the SST files' indexes and Bloom filters in the block cache, so that RocksDB's memory
    /// is the block cache and the memtables however much data there is. Off, they are held beside
    /// the cache for every open file: lookups that read RocksDB take less CPU (31 against 46 µs of
    /// server CPU per lookup at 1,000,000 customers and 10,000,000 events), for memory that grows
    /// with the data (50 MB there). Default `true`.
    public var indexesAndFiltersInBlockCache: Bool {
        get { options.indexesAndFiltersInBlockCache }
        set { options.indexesAndFiltersInBlockCache = newValue }
    }

    /// Background flush and compaction threads. Default 2.
    public var backgroundJobs: Int {
        get { Int(options.backgroundJobs) }
        set { options.backgroundJobs = Int32(clamping: newValue) }
    }

    /// Count RocksDB's tickers (block cache hits and misses among them) for the store's figures;
    /// costs a few per cent of throughput. Default `false`; `c360 serve` turns it on when it
    /// exports metrics.
    public var collectStatistics: Bool {
        get { options.collectStatistics }
        set { options.collectStatistics = newValue }
    }
}
