import C360Generator
import Foundation
public import RocksDB

/// The storage ceiling: what RocksDB itself does on this disk with synced `WriteBatch`es of
/// event-sized values, with c360's database options and nothing of c360 around it.
public enum StorageCeiling {
    public struct Figures: Sendable {
        public var valueBytes = 0
        /// Events per second in synced batches of 1,000 (what bulk ingest could reach).
        public var bulkEventsPerSecond = 0.0
        /// Events per second in synced batches of 64 (one group commit per 64 waiting callers).
        public var groupEventsPerSecond = 0.0
        /// One event per synced write, one writer: the floor of an acknowledgement's latency.
        public var singleWrite = LatencySamples()

        public var json: [String: Any] {
            var figures: [String: Any] = [
                "value_bytes": valueBytes,
                "bulk_events_per_second": bulkEventsPerSecond,
                "batch64_events_per_second": groupEventsPerSecond,
                "single_synced_writes": singleWrite.count,
            ]
            for (key, value) in singleWrite.summary { figures["single_synced_write_" + key] = value }
            return figures
        }
    }

    /// Writes `events` values of `valueBytes` bytes in each shape into a new database at `path`.
    public static func run(path: String, events: Int, valueBytes: Int, singleWrites: Int) throws -> Figures {
        let database = try Database(path: path, columnFamilies: ["events"])
        defer { database.close() }
        let family = try database.columnFamily("events")
        var figures = Figures()
        figures.valueBytes = valueBytes
        var random = SystemRandomNumberGenerator()
        let value = (0..<valueBytes).map { _ in UInt8.random(in: 0...255, using: &random) }
        var key: UInt64 = 0
        func nextKey() -> [UInt8] {
            key += 1
            return withUnsafeBytes(of: key.bigEndian, Array.init)
        }

        func batches(of size: Int) throws -> Double {
            let start = monotonicNanoseconds()
            var written = 0
            while written < events {
                let batch = WriteBatch(for: database)
                for _ in 0..<min(size, events - written) { batch.put(nextKey(), value, in: family) }
                written += batch.count
                try database.write(batch, sync: true)
            }
            return Double(written) / (Double(monotonicNanoseconds() - start) / 1e9)
        }
        figures.bulkEventsPerSecond = try batches(of: 1_000)
        figures.groupEventsPerSecond = try batches(of: 64)
        for _ in 0..<singleWrites {
            let batch = WriteBatch(for: database)
            batch.put(nextKey(), value, in: family)
            let start = monotonicNanoseconds()
            try database.write(batch, sync: true)
            figures.singleWrite.record(monotonicNanoseconds() - start)
        }
        return figures
    }

    /// A key layout for the events of a commit, measured in raw RocksDB before any Swift of c360
    /// runs: what bulk ingest could reach with it on this disk.
    public enum Layout: String, Sendable, CaseIterable {
        /// Today's: per event its record under (subject, seq), a log entry under seq, a dedup entry
        /// under its event id; and in the same synced batch the projection of every customer the
        /// batch touched.
        case current
        /// Log-first with today's event keys: record under (subject, seq), log entry, dedup entry
        /// synced; projections written behind, once per checkpoint, for the customers touched since.
        case logFirstBySubject = "log-first-by-subject"
        /// Log-first with events under seq (sequential, RocksDB's cheapest insert), a small
        /// (subject, seq) index entry for timelines and folds, a dedup entry; projections written
        /// behind as above.
        case logFirstBySeq = "log-first-by-seq"
        /// Only the log synced: each event under its seq; its dedup and (subject, seq) index
        /// entries written behind with the projections, once per checkpoint (to be recovered from
        /// the log like them).
        case logOnly = "log-only"
    }

    /// The memtables a layout can be measured with (`DatabaseOptions.Memtable`, hashed on 8 bytes).
    public enum LayoutMemtable: String, Sendable, CaseIterable {
        case skipList = "skip-list", hashSkipList = "hash-skip-list", hashLinkList = "hash-link-list", vector

        var rocksDB: DatabaseOptions.Memtable {
            switch self {
            case .skipList: .skipList
            case .hashSkipList: .hashSkipList(prefixBytes: 8)
            case .hashLinkList: .hashLinkList(prefixBytes: 8)
            case .vector: .vector
            }
        }
    }

    /// What one layout reached.
    public struct LayoutFigures: Sendable {
        public var layout = Layout.current
        public var eventsPerSecond = 0.0
        public var keysPerEvent = 0.0
        public var bytesPerEvent = 0.0

        public var json: [String: Any] {
            let prefix = layout == .current ? "layout_" : "layout_\(layout.rawValue.replacingOccurrences(of: "-", with: "_"))_"
            return [prefix + "events_per_second": eventsPerSecond, prefix + "keys_per_event": keysPerEvent,
                    prefix + "batch_bytes_per_event": bytesPerEvent]
        }
    }

    /// Writes `events` events in `layout` into a new database at `path`, in synced batches of
    /// 1,000 over `customers` random customers; log-first layouts write the projections touched
    /// since the last checkpoint every `checkpointEvents` events (unsynced: the log is the truth).
    /// `sortedBatches` adds each batch's keys in key order, column family by column family.
    /// `writers` threads share the events, each committing its own batches: RocksDB groups
    /// concurrent commits into one WAL write and inserts their memtable entries in parallel.
    /// `memtable` is the memtable of the column families keyed at random (all but the one keyed
    /// by seq alone), hashed on their keys' first 8 bytes (a subject, or a dedup key's hash).
    public static func layout(
        _ layout: Layout = .current, path: String, events: Int, customers: Int, eventBytes: Int, projectionBytes: Int,
        sortedBatches: Bool = false, checkpointEvents: Int = 100_000, writers: Int = 1, writeBufferBytes: Int = DatabaseOptions().writeBufferBytes,
        memtable: LayoutMemtable = .skipList
    ) throws -> LayoutFigures {
        let names = ["events", "log", "dedup", "projections"]
        var options = DatabaseOptions()
        options.totalWriteBufferBytes = 128 << 20
        options.writeBufferBytes = writeBufferBytes
        let keyedBySeq = layout == .current || layout == .logFirstBySubject ? "log" : "events"
        for name in names where name != keyedBySeq { options.memtables[name] = memtable.rocksDB }
        let database = try Database(path: path, columnFamilies: names, options: options)
        defer { database.close() }
        let families = try names.map { try database.columnFamily($0) }
        let writers = max(1, writers)
        let results = LayoutWriterResults(count: writers)
        let start = monotonicNanoseconds()
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            let share = events / writers + (writer < events % writers ? 1 : 0)
            results.set(writer, Result {
                try writeLayout(layout, database: database, families: families, writer: UInt64(writer), events: share,
                                customers: customers, eventBytes: eventBytes, projectionBytes: projectionBytes,
                                sortedBatches: sortedBatches, checkpointEvents: checkpointEvents / writers)
            })
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        var keys = 0, batchBytes = 0
        for result in results.all {
            let (writerKeys, writerBytes) = try result.get()
            keys += writerKeys
            batchBytes += writerBytes
        }
        return LayoutFigures(
            layout: layout, eventsPerSecond: Double(events) / seconds, keysPerEvent: Double(keys) / Double(events),
            bytesPerEvent: Double(batchBytes) / Double(events))
    }

    /// One writer's share of a layout run; returns the keys and batch bytes it wrote. Sequence
    /// numbers interleave across writers (writer w of n writes seq ≡ w mod n).
    private static func writeLayout(
        _ layout: Layout, database: Database, families: [ColumnFamily], writer: UInt64, events: Int, customers: Int,
        eventBytes: Int, projectionBytes: Int, sortedBatches: Bool, checkpointEvents: Int
    ) throws -> (keys: Int, bytes: Int) {
        // SplitMix64 rather than the system's generator: that one is a `getrandom` call per
        // number, two per event, which the ceiling would count as RocksDB's time.
        var random = SeededRandom(seed: writer &+ 1)
        let eventValue = (0..<eventBytes).map { _ in UInt8.random(in: 0...255, using: &random) }
        let projectionValue = (0..<projectionBytes).map { _ in UInt8.random(in: 0...255, using: &random) }
        func bytes(_ number: UInt64) -> [UInt8] { withUnsafeBytes(of: number.bigEndian, Array.init) }

        var written = 0
        var keys = 0
        var batchBytes = 0
        var dirty: Set<UInt64> = []
        var indexBehind: [(family: Int, key: [UInt8], value: [UInt8])] = []
        var sinceCheckpoint = 0
        var local: UInt64 = 0
        while written < events {
            var puts: [(family: Int, key: [UInt8], value: [UInt8])] = []
            var touched: Set<UInt64> = []
            let count = min(1_000, events - written)
            for _ in 0..<count {
                local += 1
                let seq = local << 8 | writer
                let subject = UInt64.random(in: 1...UInt64(customers), using: &random)
                let dedupKey = bytes(UInt64.random(in: 0...UInt64.max, using: &random)) + bytes(seq)
                switch layout {
                case .current, .logFirstBySubject:
                    puts.append((0, bytes(subject) + bytes(seq), eventValue))
                    puts.append((1, bytes(seq), [1] + bytes(subject)))
                case .logFirstBySeq:
                    puts.append((0, bytes(seq), eventValue))
                    puts.append((1, bytes(subject) + bytes(seq), []))
                case .logOnly:
                    puts.append((0, bytes(seq), eventValue))
                    indexBehind.append((1, bytes(subject) + bytes(seq), []))
                }
                if layout == .logOnly {
                    indexBehind.append((2, dedupKey, bytes(seq)))
                } else {
                    puts.append((2, dedupKey, bytes(seq)))
                }
                touched.insert(subject)
            }
            written += count
            if layout == .current {
                for subject in touched { puts.append((3, bytes(subject), projectionValue)) }
            } else {
                dirty.formUnion(touched)
            }
            if sortedBatches {
                puts.sort { $0.family != $1.family ? $0.family < $1.family : $0.key.lexicographicallyPrecedes($1.key) }
            }
            let batch = WriteBatch(for: database)
            for put in puts { batch.put(put.key, put.value, in: families[put.family]) }
            keys += batch.count
            batchBytes += batch.byteCount
            try database.write(batch, sync: true)
            sinceCheckpoint += count
            if layout != .current, sinceCheckpoint >= checkpointEvents || written == events {
                let behind = WriteBatch(for: database)
                for put in indexBehind { behind.put(put.key, put.value, in: families[put.family]) }
                indexBehind.removeAll(keepingCapacity: true)
                for subject in dirty.sorted() { behind.put(bytes(subject), projectionValue, in: families[3]) }
                keys += behind.count
                batchBytes += behind.byteCount
                try database.write(behind, sync: false)
                dirty.removeAll(keepingCapacity: true)
                sinceCheckpoint = 0
            }
        }
        return (keys, batchBytes)
    }
}

/// The results of a layout run's writer threads, each set once by its own thread.
private final class LayoutWriterResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<(Int, Int), any Error>]

    init(count: Int) { results = Array(repeating: .success((0, 0)), count: count) }

    func set(_ index: Int, _ result: Result<(Int, Int), any Error>) {
        lock.lock()
        defer { lock.unlock() }
        results[index] = result
    }

    var all: [Result<(Int, Int), any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}
