/// How a database is opened and tuned. Every property has a default suited to c360's workload.
public struct DatabaseOptions: Sendable {
    /// Block compression for SST files.
    public enum Compression: String, Sendable, CaseIterable {
        case none, snappy, lz4, zstd
    }

    /// Create the database and any missing column family when absent. Default `true`.
    public var createIfMissing = true
    /// Compression of SST blocks. Default `.none`, so that every byte on disk is what was written;
    /// the erasure proofs search files byte for byte.
    public var compression: Compression = .none
    /// Shared LRU block cache size in bytes. Default 64 MiB.
    public var blockCacheBytes = 64 << 20
    /// Memtable size per column family in bytes. Default 32 MiB.
    public var writeBufferBytes = 32 << 20
    /// All column families' memtables together, in bytes; when reached, the largest is flushed.
    /// Without it eleven column families could hold 32 MiB each, twice over while flushing.
    /// Default 128 MiB.
    public var totalWriteBufferBytes = 128 << 20
    /// Target size of an SST file below level 0. A compaction that must drop a few keys (an
    /// erasure's) rewrites every file holding them whole, so smaller files make erasures cheaper;
    /// too small, and there are many files to open and index. Default 8 MiB (RocksDB's is 64 MiB).
    public var targetFileBytes: UInt64 = 8 << 20
    /// Background flush and compaction threads. Default 2.
    public var backgroundJobs: Int32 = 2
    /// Bits per key of the Bloom filters that spare a point lookup of an absent key (an event id
    /// not seen before, say) from reading SST blocks; 0 disables them. Default 10 (about 1% false positives).
    public var bloomFilterBitsPerKey: Double = 10
    /// Column families built without Bloom filters: those read by scans, or only by keys known to
    /// exist, where a filter would say nothing a read does not find out anyway: it would only take
    /// disk, and memory for every open SST file when `indexesAndFiltersInBlockCache` is off.
    /// Default none.
    public var familiesWithoutFilters: Set<String> = []
    /// Keep the SST files' indexes and Bloom filters in the block cache, cut into partitions of
    /// about 4 KiB that are read when a lookup needs them (each file's small top-level index stays
    /// pinned there), instead of whole in memory beside the cache for every open file. Outside the
    /// cache they grow with the data and nothing bounds them: 50 MB at 10,000,000 events over
    /// 1,000,000 customers, of which a lookup touches a few partitions per file. In the cache they
    /// are inserted with high priority, so data blocks do not push them out first. Default `true`.
    public var indexesAndFiltersInBlockCache = true
    /// Once the write-ahead logs add up to this many bytes, the column families still holding
    /// data in the oldest one are flushed so it can be deleted. A column family written little
    /// (metadata) would otherwise keep every log alive. It also bounds what opening the database
    /// after a crash replays: with 256 MiB, starting after `kill -9` during bulk ingest took 5.3 s,
    /// with 64 MiB 1.1-2.3 s (release, by hand). And it sets how full the memtables get between
    /// flushes when writes come in a steady stream: 64 MiB were sized when c360's log carried about
    /// 1,200 bytes per event; with the projections written past it (step 60), about 350, it let
    /// the memtables hold 75 instead of 28 MB after 20 s of small appends at 1,000,000 customers,
    /// which never flushed once the appends stopped. Default 20 MiB, the same events between flushes.
    public var maximumWALBytes: UInt64 = 20 << 20
    /// Count RocksDB's tickers (block cache hits and misses among them) for `Database.figures()`.
    /// Costs a few per cent of throughput; `c360 serve` turns it on when it exports metrics.
    /// Default `false`.
    public var collectStatistics = false
    /// How many of RocksDB's own LOG files to keep. Default 3.
    public var keepInfoLogFiles = 3
    /// The memtable of each named column family; the others use `.skipList`.
    public var memtables: [String: Memtable] = [:]

    /// How a column family's unflushed writes are held in memory.
    public enum Memtable: Sendable, Equatable {
        /// One skip list in key order: RocksDB's default, and the only one that takes concurrent
        /// inserts.
        case skipList
        /// A hash table over the keys' first `prefixBytes` bytes, a skip list in each bucket:
        /// inserting a random key costs a hash and a short list walk instead of a walk down one
        /// skip list of every key. Iterating in key order sorts the memtable first.
        case hashSkipList(prefixBytes: Int)
        /// A hash table over the keys' first `prefixBytes` bytes, a sorted linked list in each
        /// bucket: for keys whose prefixes are nearly all distinct.
        case hashLinkList(prefixBytes: Int)
        /// An unsorted array, sorted when flushed: the cheapest insert, but every read of the
        /// memtable sorts it; for column families only written while loading.
        case vector
    }

    public init() {}
}
