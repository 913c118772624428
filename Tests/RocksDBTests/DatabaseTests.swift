import Foundation
import RocksDB
import Testing

@Suite struct DatabaseTests {
    private func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rocksdb-tests-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    /// A four-byte key that sorts as `number` does.
    private func key(_ number: UInt32) -> [UInt8] { withUnsafeBytes(of: number.bigEndian) { Array($0) } }

    @Test("a synced batch is readable after the database is reopened")
    func batchSurvivesReopen() throws {
        try withTemporaryDirectory { path in
            do {
                let db = try Database(path: path, columnFamilies: ["a", "b"])
                let batch = WriteBatch(for: db)
                batch.put([1, 2], [3], in: try db.columnFamily("a"))
                batch.put([1, 2], [4, 5], in: try db.columnFamily("b"))
                try db.write(batch, sync: true)
            }
            let db = try Database(path: path, columnFamilies: ["a"])
            #expect(try db.get([1, 2], in: db.columnFamily("a")) == [3])
            // "b" exists on disk, so it is opened even though it was not named.
            #expect(try db.get([1, 2], in: db.columnFamily("b")) == [4, 5])
            #expect(try db.get([9], in: db.columnFamily("a")) == nil)
        }
    }

    @Test("a batch written without the log is readable at once, is in no write-ahead log file, and is flushed when the database closes")
    func writeWithoutLog() throws {
        try withTemporaryDirectory { path in
            let unlogged = Array("written-without-the-log".utf8)
            let logged = Array("written-through-the-log".utf8)
            func walFilesHold(_ bytes: [UInt8]) throws -> Bool {
                try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".log") }.contains { name in
                    let contents = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
                    return contents.range(of: Data(bytes)) != nil
                }
            }
            do {
                let db = try Database(path: path, columnFamilies: ["a"])
                let family = try db.columnFamily("a")
                let batch = WriteBatch(for: db)
                batch.put([1], unlogged, in: family)
                try db.writeWithoutLog(batch)
                let synced = WriteBatch(for: db)
                synced.put([2], logged, in: family)
                try db.write(synced, sync: true)
                #expect(try db.get([1], in: family) == unlogged)
                #expect(try walFilesHold(logged))
                #expect(try !walFilesHold(unlogged))
            }
            let db = try Database(path: path, columnFamilies: ["a"])
            #expect(try db.get([1], in: db.columnFamily("a")) == unlogged)
            #expect(try db.get([2], in: db.columnFamily("a")) == logged)
        }
    }

    @Test("an iterator stays inside its bounds and sees keys in order")
    func boundedIteration() throws {
        try withTemporaryDirectory { path in
            let db = try Database(path: path, columnFamilies: ["a"])
            let family = try db.columnFamily("a")
            let batch = WriteBatch(for: db)
            for key: UInt8 in [5, 1, 3, 9, 7] { batch.put([key], [key * 2], in: family) }
            try db.write(batch, sync: false)
            let iterator = db.makeIterator(family, lowerBound: [3], upperBound: [9])
            iterator.seekToFirst()
            var seen: [[UInt8]] = []
            while iterator.isValid {
                seen.append(iterator.key + iterator.value)
                iterator.next()
            }
            try iterator.checkStatus()
            #expect(seen == [[3, 6], [5, 10], [7, 14]])
        }
    }

    @Test("a scan visits every entry of its range in key order, either bound open; an error in the body ends it")
    func scans() throws {
        try withTemporaryDirectory { path in
            let db = try Database(path: path, columnFamilies: ["a", "b"])
            let family = try db.columnFamily("a")
            let batch = WriteBatch(for: db)
            for key: UInt8 in [5, 1, 3, 9, 7] { batch.put([key], [key * 2], in: family) }
            batch.put([4], [0], in: try db.columnFamily("b"))
            try db.write(batch, sync: false)
            var seen: [[UInt8]] = []
            try db.forEachEntry(in: family, from: [3], to: [9]) { key, value in seen.append(key + value) }
            #expect(seen == [[3, 6], [5, 10], [7, 14]])
            seen = []
            try db.forEachEntry(in: family, from: [6]) { key, _ in seen.append(key) }
            #expect(seen == [[7], [9]])
            seen = []
            try db.forEachEntry(in: family, to: [2]) { key, _ in seen.append(key) }
            #expect(seen == [[1]])
            struct Stop: Error {}
            var visited = 0
            #expect(throws: Stop.self) {
                try db.forEachEntry(in: family) { _, _ in
                    visited += 1
                    if visited == 2 { throw Stop() }
                }
            }
            #expect(visited == 2)
        }
    }

    @Test("every memtable answers point reads and iterates across prefixes in key order, before and after a flush and a reopen",
          arguments: [DatabaseOptions.Memtable.skipList, .hashSkipList(prefixBytes: 2), .hashLinkList(prefixBytes: 2), .vector])
    func memtables(memtable: DatabaseOptions.Memtable) throws {
        try withTemporaryDirectory { path in
            var options = DatabaseOptions()
            options.memtables = ["hashed": memtable]
            let keys: [[UInt8]] = [[9, 1, 5], [1, 2, 7], [9, 1, 1], [1, 2, 3], [4, 4, 4], [1, 3, 0]]
            func check(_ db: Database) throws {
                let family = try db.columnFamily("hashed")
                for key in keys { #expect(try db.get(key, in: family) == [key[2]]) }
                #expect(try db.get([9, 1, 2], in: family) == nil)
                var seen: [[UInt8]] = []
                try db.forEachEntry(in: family) { key, _ in seen.append(key) }
                #expect(seen == keys.sorted { $0.lexicographicallyPrecedes($1) })
                seen = []
                try db.forEachEntry(in: family, from: [1, 2, 5], to: [9, 1, 5]) { key, _ in seen.append(key) }
                #expect(seen == [[1, 2, 7], [1, 3, 0], [4, 4, 4], [9, 1, 1]])
            }
            do {
                let db = try Database(path: path, columnFamilies: ["plain", "hashed"], options: options)
                let batch = WriteBatch(for: db)
                for key in keys { batch.put(key, [key[2]], in: try db.columnFamily("hashed")) }
                try db.write(batch, sync: true)
                try check(db)
                try db.flushAll()
                try check(db)
            }
            try check(try Database(path: path, columnFamilies: ["plain", "hashed"], options: options))
        }
    }

    @Test("a family without filters keeps none in memory, answers the same, and may also have its own memtable")
    func familiesWithoutFilters() throws {
        try withTemporaryDirectory { path in
            var options = DatabaseOptions()
            // Filters outside the block cache, where RocksDB's estimate of the table readers counts them.
            options.indexesAndFiltersInBlockCache = false
            options.familiesWithoutFilters = ["scanned", "hashed"]
            options.memtables = ["hashed": .hashSkipList(prefixBytes: 2)]
            let db = try Database(path: path, columnFamilies: ["filtered", "scanned", "hashed"], options: options)
            let families = try ["filtered", "scanned", "hashed"].map { try db.columnFamily($0) }
            let batch = WriteBatch(for: db)
            for number in 0..<20_000 {
                let numberKey = key(UInt32(number))
                for family in families { batch.put(numberKey, [1], in: family) }
            }
            try db.write(batch, sync: false)
            for family in families { try db.flush(family) }
            func readers(_ family: ColumnFamily) -> Int { Int(db.property("rocksdb.estimate-table-readers-mem", in: family) ?? "") ?? -1 }
            // 20,000 keys at 10 bits each: a filter of about 25 KB in the family that has one.
            #expect(readers(families[0]) > readers(families[1]) + 20_000, "\(readers(families[0])) against \(readers(families[1]))")
            #expect(readers(families[0]) > readers(families[2]) + 20_000)
            for family in families {
                #expect(try db.get([0, 0, 0x4e, 0x1f], in: family) == [1])
                #expect(try db.get([0, 0, 0x4e, 0x20], in: family) == nil)
            }
        }
    }

    @Test("indexes and filters are kept in the block cache, bounded by it, instead of beside it", arguments: [false, true])
    func indexesAndFiltersInBlockCache(inCache: Bool) throws {
        try withTemporaryDirectory { path in
            var options = DatabaseOptions()
            options.indexesAndFiltersInBlockCache = inCache
            let db = try Database(path: path, columnFamilies: ["a"], options: options)
            defer { db.close() }
            let family = try db.columnFamily("a")
            let batch = WriteBatch(for: db)
            for number in 0..<50_000 {
                batch.put(key(UInt32(number)), Array(repeating: 7, count: 20), in: family)
            }
            try db.write(batch, sync: false)
            try db.flush(family)
            let readers = Int(db.property("rocksdb.estimate-table-readers-mem", in: family) ?? "") ?? -1
            // 50,000 keys: a filter of about 62 KB at 10 bits each and an index of about 40 KB.
            if inCache {
                #expect(readers >= 0 && readers < 20_000, "\(readers) bytes of indexes and filters outside the block cache")
            } else {
                #expect(readers > 60_000, "\(readers)")
            }
            for number: UInt32 in [0, 12_345, 49_999] {
                #expect(try db.get(key(number), in: family) == Array(repeating: 7, count: 20))
            }
            for number: UInt32 in [50_000, 1 << 30] {
                #expect(try db.get(key(number), in: family) == nil)
            }
            if inCache {
                // The lookups above loaded index and filter partitions and their data blocks.
                #expect(db.figures().blockCacheBytes > 0)
            }
        }
    }

    @Test("files written with indexes and filters beside the block cache are read with them in it, and the other way round", arguments: [false, true])
    func indexesAndFiltersEitherWay(writtenInCache: Bool) throws {
        try withTemporaryDirectory { path in
            var options = DatabaseOptions()
            options.indexesAndFiltersInBlockCache = writtenInCache
            do {
                let db = try Database(path: path, columnFamilies: ["a"], options: options)
                let batch = WriteBatch(for: db)
                for number: UInt32 in stride(from: 0, to: 20_000, by: 2) { batch.put(key(number), key(number), in: try db.columnFamily("a")) }
                try db.write(batch, sync: false)
                try db.flush(try db.columnFamily("a"))
                db.close()
            }
            options.indexesAndFiltersInBlockCache = !writtenInCache
            let db = try Database(path: path, columnFamilies: ["a"], options: options)
            defer { db.close() }
            let family = try db.columnFamily("a")
            for number: UInt32 in [0, 2, 10_000, 19_998] { #expect(try db.get(key(number), in: family) == key(number)) }
            for number: UInt32 in [1, 10_001, 20_000] { #expect(try db.get(key(number), in: family) == nil) }
            // A file written the new way beside one written the old way, both read.
            let batch = WriteBatch(for: db)
            batch.put(key(1), key(1), in: family)
            try db.write(batch, sync: false)
            try db.flush(family)
            #expect(try db.get(key(1), in: family) == key(1))
            #expect(try db.get(key(10_000), in: family) == key(10_000))
        }
    }

    @Test("waiting for background work lets the compaction four flushed files made due finish")
    func waitForBackgroundWork() throws {
        try withTemporaryDirectory { path in
            let db = try Database(path: path, columnFamilies: ["a"])
            defer { db.close() }
            let family = try db.columnFamily("a")
            // Four files in level 0 make a compaction due (RocksDB's level0_file_num_compaction_trigger).
            for file: UInt8 in 0..<4 {
                let batch = WriteBatch(for: db)
                for key: UInt8 in 0..<200 { batch.put([key, file], Array(repeating: key, count: 100), in: family) }
                try db.write(batch, sync: false)
                try db.flush(family)
            }
            #expect(db.waitForBackgroundWork(upTo: 30))
            #expect(!db.hasBackgroundWork)
            #expect(db.property("rocksdb.num-files-at-level0", in: family) == "0")
            #expect(try db.get([7, 3], in: family) == Array(repeating: 7, count: 100))
        }
    }

    @Test("a batched read answers as a read of each key would, in the keys' order, across the memtable and flushed files; a closed database refuses it",
          arguments: [0.0, 10.0])
    func batchedRead(filterBitsPerKey: Double) throws {
        try withTemporaryDirectory { path in
            var options = DatabaseOptions()
            options.bloomFilterBitsPerKey = filterBitsPerKey
            let db = try Database(path: path, columnFamilies: ["a", "b"], options: options)
            let family = try db.columnFamily("a")
            var random = SystemRandomNumberGenerator()
            // Three files and the memtable, each holding some keys, with overwrites and deletions
            // of keys in the files before, and a key of the same name in another family.
            for round: UInt32 in 0..<4 {
                let batch = WriteBatch(for: db)
                for _ in 0..<300 {
                    let number = UInt32.random(in: 0..<2_000, using: &random)
                    if Int.random(in: 0..<5, using: &random) == 0 {
                        batch.delete(key(number), in: family)
                    } else {
                        // Some values empty: stored, and so not `nil`.
                        batch.put(key(number), Array(repeating: UInt8(round), count: Int(number % 4)), in: family)
                    }
                }
                batch.put([], [9], in: family)
                batch.put(key(5_000), [7], in: try db.columnFamily("b"))
                try db.write(batch, sync: false)
                if round < 3 { try db.flush(family) }
            }
            // Repeated keys, keys never written, the empty key and one only in "b", unsorted.
            var keys = (0..<1_500).map { _ in key(UInt32.random(in: 0..<2_500, using: &random)) }
            keys += [[], key(5_000), keys[0], [1, 2, 3, 4, 5]]
            keys.shuffle(using: &random)
            let expected = try keys.map { try db.get($0, in: family) }
            #expect(try db.get(keys, in: family) == expected)
            // Only empty keys: nothing to point into, still answered.
            #expect(try db.get([[], []], in: family) == [[9], [9]])
            // One key takes a plain read's path.
            #expect(try db.get([keys[1]], in: family) == [expected[1]])
            #expect(expected.contains(nil) && expected.contains([]) && expected.contains { ($0?.count ?? 0) > 0 })
            #expect(try db.get([[UInt8]](), in: family).isEmpty)
            db.close()
            #expect(throws: RocksDBError.self) { _ = try db.get(keys, in: family) }
            #expect(throws: RocksDBError.self) { _ = try db.get([keys[0]], in: family) }
        }
    }

    @Test("a snapshot does not see later writes, and a range delete removes only its range")
    func snapshotAndDeleteRange() throws {
        try withTemporaryDirectory { path in
            let db = try Database(path: path, columnFamilies: ["a"])
            let family = try db.columnFamily("a")
            let batch = WriteBatch(for: db)
            for key: UInt8 in 0..<10 { batch.put([key], [key], in: family) }
            try db.write(batch, sync: false)
            let snapshot = db.makeSnapshot()
            let deletion = WriteBatch(for: db)
            deletion.deleteRange(from: [2], to: [5], in: family)
            try db.write(deletion, sync: true)
            #expect(try db.get([3], in: family) == nil)
            #expect(try db.get([5], in: family) == [5])
            #expect(try db.get([3], in: family, snapshot: snapshot) == [3])
        }
    }

    @Test("a second open of the same directory fails with lockHeld")
    func secondOpenIsRefused() throws {
        try withTemporaryDirectory { path in
            let first = try Database(path: path, columnFamilies: ["a"])
            let error = #expect(throws: RocksDBError.self) { _ = try Database(path: path, columnFamilies: ["a"]) }
            #expect(error?.code == .lockHeld)
            _ = first
        }
    }
}
