import RocksDB

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
}
