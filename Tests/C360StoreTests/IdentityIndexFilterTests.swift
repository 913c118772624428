import C360Core
import C360Model
@testable import C360Store
import Foundation
import RocksDB
import SwiftProtobuf
import Testing

/// The filter of the identity-index keys written: it may answer "maybe" for a key never written
/// (a read of RocksDB), never "no" for one written — that would make the writer give a known
/// identity a new subject.
@Suite struct IdentityIndexFilterTests {
    /// `count` distinct 16-byte keys, as the index's keyed hashes are, from `seed`.
    static func keys(_ count: Int, seed: UInt64) -> [[UInt8]] {
        var state = seed
        return (0..<count).map { _ in
            (0..<2).flatMap { _ -> [UInt8] in
                state &+= 0x9E37_79B9_7F4A_7C15
                var value = state
                value = (value ^ (value >> 33)) &* 0xFF51_AFD7_ED55_8CCD
                value ^= value >> 29
                return withUnsafeBytes(of: value) { Array($0) }
            }
        }
    }

    @Test("until filled it answers maybe for every key; then every key inserted is found and under 1% of others at its capacity")
    func answersForInsertedKeys() {
        let filter = WrittenKeyFilter(capacity: 100_000)
        let inserted = Self.keys(100_000, seed: 1)
        let others = Self.keys(100_000, seed: 2)
        for key in inserted { filter.insert(key) }
        #expect(others.allSatisfy { filter.mayContain($0) })
        filter.markFilled()
        #expect(inserted.allSatisfy { filter.mayContain($0) })
        let falsePositives = others.count { filter.mayContain($0) }
        #expect(falsePositives < others.count / 100, "\(falsePositives) of \(others.count) keys never inserted")
        #expect(falsePositives > 0, "a filter at its capacity answers maybe for some keys never inserted")
    }

    @Test("keys of every length up to 40 bytes, empty and ones differing in one byte, are found")
    func keysOfAnyLength() {
        let filter = WrittenKeyFilter(capacity: 1_000)
        filter.markFilled()
        let keys = (0...40).map { length in (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) } }
        let changed = keys.filter { !$0.isEmpty }.map { key in Array(key.dropLast()) + [key.last! ^ 1] }
        for key in keys { filter.insert(key) }
        #expect(keys.allSatisfy { filter.mayContain($0) })
        // Forty keys in a filter made for a thousand: one answering maybe would be a broken hash.
        #expect(changed.count { filter.mayContain($0) } <= 1)
    }

    @Test("past its capacity it answers maybe more often but still finds every key inserted")
    func pastCapacity() {
        let filter = WrittenKeyFilter(capacity: 1_000)
        filter.markFilled()
        let inserted = Self.keys(20_000, seed: 3)
        for key in inserted { filter.insert(key) }
        #expect(inserted.allSatisfy { filter.mayContain($0) })
    }

    @Test("keys inserted on four threads at once are all found afterwards")
    func concurrentInserts() async {
        let filter = WrittenKeyFilter(capacity: 40_000)
        filter.markFilled()
        let parts = (0..<4).map { Self.keys(10_000, seed: 10 + UInt64($0)) }
        await withTaskGroup(of: Void.self) { group in
            for part in parts {
                group.addTask { for key in part { filter.insert(key) } }
                // Reading while others insert: answers are only ever maybe or no, never a fault.
                group.addTask { for key in part.reversed() { _ = filter.mayContain(key) } }
            }
        }
        #expect(parts.joined().allSatisfy { filter.mayContain($0) })
    }

    @Test("the index's filter is filled from the keys stored before it, keys written while it fills are found, one by one and in a batch")
    func filledFromStoredKeys() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("c360-filter-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try Database(path: path, columnFamilies: ["identities"])
        defer { database.close() }
        let family = try database.columnFamily("identities")
        let stored = Self.keys(30_000, seed: 20)
        let batch = WriteBatch(for: database)
        for (subject, key) in stored.enumerated() { batch.put(key, StoreKeys.subject(UInt64(subject + 1)), in: family) }
        try database.write(batch, sync: false)

        let index = FilteredIndex(database: database, family: family, name: "the identity index", label: "identity-index")
        #expect(!index.isFilterFilled)
        index.startFillingFilter()
        let writtenMeanwhile = Self.keys(5_000, seed: 21)
        for (offset, key) in writtenMeanwhile.enumerated() {
            let batch = WriteBatch(for: database)
            index.put(key, UInt64(100_000 + offset), in: batch)
            try database.write(batch, sync: false)
        }
        index.waitForFilling()
        #expect(index.isFilterFilled)
        let storedMissed = try stored.enumerated().count { subject, key in try index.value(at: key) != UInt64(subject + 1) }
        #expect(storedMissed == 0, "\(storedMissed) of the keys stored before the filter was made not found")
        let writtenMissed = try writtenMeanwhile.enumerated().count { offset, key in try index.value(at: key) != UInt64(100_000 + offset) }
        #expect(writtenMissed == 0, "\(writtenMissed) of the keys written while it filled not found")

        let readsBefore = index.storageReads
        let neverWritten = Self.keys(10_000, seed: 22)
        #expect(try neverWritten.allSatisfy { try index.value(at: $0) == nil })
        let reads = index.storageReads - readsBefore
        #expect(reads < 200, "\(reads) of 10,000 reads of keys never written reached RocksDB")

        // Read as one batch, stored and never-written keys mixed: each answer in its key's place.
        let mixed = zip(stored.prefix(2_000), neverWritten.prefix(2_000)).flatMap { [$0, $1] }
        let batchReadsBefore = index.storageReads
        let values = try index.values(at: mixed)
        #expect(values.count == mixed.count)
        #expect(stride(from: 0, to: mixed.count, by: 2).allSatisfy { values[$0] == UInt64($0 / 2 + 1) && values[$0 + 1] == nil })
        #expect(index.storageReads - batchReadsBefore < 2_000 + 40, "the batch read keys never written from RocksDB")
    }

    @Test("a reopened store finds its customers and identities through the filled filter, and the writer ties a known identity to its customer")
    func reopenedStore() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try EventStore(directory: directory)
                let events = (1...200).map { customer in
                    Events.customer("e\(customer)", customer: "c\(customer)", first: "Ada", last: "L", email: "ada\(customer)@example.org", phone: "+4412345\(String(format: "%05d", customer))")
                }
                #expect(await store.append(events).allSatisfy { $0.isAppended })
                store.close()
            }
            let store = try EventStore(directory: directory)
            defer { store.close() }
            store.identityIndex.waitForFilling()
            #expect(store.identityIndex.isFilterFilled)
            for customer in [1, 77, 200] {
                #expect(try store.profile(identity: .init(type: .email, value: "ada\(customer)@example.org")).customerID == "c\(customer)")
                #expect(try store.profile(customerID: "c\(customer)").customerID == "c\(customer)")
            }
            // An anonymous event naming a stored email belongs to that email's customer: were the
            // filter to miss the key, the writer would make a new anonymous visitor of it.
            var login = Events.web("anon1", customer: "", seconds: 1_767_225_700)
            login.identities = [.init(type: .email, value: "ADA77@example.org")]
            #expect(await store.append([login]).allSatisfy { $0.isAppended })
            #expect(try store.timeline(customerID: "c77", limit: 10).map(\.event.eventID).contains("anon1"))

            let readsBefore = store.identityIndex.storageReads
            for unknown in 0..<500 {
                #expect(throws: C360Error.self) { try store.profile(identity: .init(type: .email, value: "nobody\(unknown)@example.org")) }
            }
            #expect(store.identityIndex.storageReads - readsBefore < 20)
        }
    }

    @Test("a reopened store finds the events it holds as duplicates through the filled filter of event ids, whose answer for new ids is no")
    func reopenedStoreDuplicates() async throws {
        try await withTemporaryDirectory { directory in
            let events = (1...300).map { Events.web("w\($0)", customer: "c\($0 % 7)", seconds: 1_767_225_600 + Int64($0)) }
            var seqs: [UInt64] = []
            do {
                let store = try EventStore(directory: directory)
                seqs = await store.append(events).compactMap(\.seq)
                #expect(seqs.count == events.count)
                store.close()
            }
            let store = try EventStore(directory: directory)
            defer { store.close() }
            store.appendedEventIDs.waitForFilling()
            #expect(store.appendedEventIDs.isFilterFilled)
            // Were the filter to miss an appended id, the store would append it again.
            let again = await store.append(events)
            #expect(again.map(\.isAppended) == Array(repeating: false, count: events.count))
            #expect(again.map(\.seq) == seqs)
            let newIDs = (1...1_000).map { Array("new\($0)".utf8) }
            #expect(newIDs.count { store.appendedEventIDs.filterMayContain($0) } < 20)
            #expect(events.allSatisfy { store.appendedEventIDs.filterMayContain(Array($0.eventID.utf8)) })
        }
    }
}
