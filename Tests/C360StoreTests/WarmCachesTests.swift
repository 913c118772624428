import C360Core
import C360Generator
import C360Model
@testable import C360Store
import RocksDB
import SwiftProtobuf
import Testing

/// A server warms the store's caches from the stored projections when it starts: what it reads
/// into memory must answer as RocksDB would, and an erasure or a commit must never leave an older
/// projection there.
@Suite struct WarmCachesTests {
    /// The decoded cache off, so that every read of a clean projection goes through the stored bytes.
    static var configuration: StoreConfiguration {
        var configuration = StoreConfiguration()
        configuration.cachedProjections = 0
        return configuration
    }

    /// A store of 300 generated customers, closed, reopened and warmed.
    func withWarmedStore(_ body: (EventStore, [String: C360_Store_V1_Projection]) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            var expected: [String: C360_Store_V1_Projection] = [:]
            do {
                let store = try EventStore(directory: directory, configuration: Self.configuration)
                var events: [C360_V1_Event] = []
                SyntheticDataGenerator(customers: 300, events: 3_000, seed: 5).generate { events.append($0) }
                #expect(await store.append(events).allSatisfy { $0.isAppended })
                for customer in 1...300 {
                    let id = SyntheticDataGenerator.customerID(customer)
                    expected[id] = try store.projection(customerID: id).generatedMessage
                }
                store.close()
            }
            let store = try EventStore(directory: directory, configuration: Self.configuration)
            store.warmCaches()
            // The warming pass is one chunk at this size; the write behind's queue runs it first.
            try store.projections.writeAll()
            try await body(store, expected)
            store.close()
        }
    }

    @Test("projections waiting to be written take their bytes' worth of the cache of stored ones: together they stay within its bytes")
    func waitingTakesStoredPlaces() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = Self.configuration
            // About 64 of these customers' projections (10 events each), 4 in each of the 16 shards.
            let budget = 64 * 640
            configuration.cachedStoredProjectionBytes = budget
            // Nothing is written behind while the appends below run.
            configuration.projectionWriteBehindSeconds = 600
            configuration.projectionWriteBehindBytes = 1 << 30
            do {
                let store = try EventStore(directory: directory, configuration: configuration)
                var events: [C360_V1_Event] = []
                SyntheticDataGenerator(customers: 300, events: 3_000, seed: 5).generate { events.append($0) }
                #expect(await store.append(events).allSatisfy { $0.isAppended })
                store.close()
            }
            let store = try EventStore(directory: directory, configuration: configuration)
            store.warmCaches()
            try store.projections.writeAll()
            let warmed = store.projections.storedProjectionsHeld
            // Full: each shard within a projection of its share.
            #expect(store.projections.storedProjectionBytesHeld <= budget)
            #expect(store.projections.storedProjectionBytesHeld >= budget / 2)
            #expect(warmed >= 32 && warmed < 300)
            let notHeld = try (1...300).map(SyntheticDataGenerator.customerID).filter { id in
                try !store.projections.holdsStoredProjection(of: #require(store.customerSubjects.value(for: id)))
            }
            // (What is held may include anonymous visitors' small projections, read after every
            // customer's, in shards with room left for them.)
            #expect(notHeld.count >= 300 - warmed && notHeld.count > 200)
            let appended = notHeld.enumerated().map { index, id in Events.web("waiting-\(index)", customer: id) }
            #expect(await store.append(appended).allSatisfy { $0.isAppended })
            // Over 200 projections wait; each took its bytes from ones held (before, those stayed
            // held beside them). Which shard a subject falls in follows the process's hash seed: a
            // shard that drew few of the waiting keeps some of its held ones.
            #expect(store.projections.storedProjectionBytesHeld <= budget)
            #expect(store.projections.storedProjectionsHeld <= 4)
            for id in notHeld {
                #expect(try store.projection(customerID: id).eventCount > 0)
            }
            // Written, they are held again as far as there is room, and read back as committed.
            let before = try notHeld.map { try store.projection(customerID: $0).generatedMessage }
            try store.projections.writeAll()
            #expect(store.projections.storedProjectionBytesHeld <= budget)
            #expect(store.projections.storedProjectionBytesHeld >= budget / 2)
            #expect(try notHeld.map { try store.projection(customerID: $0).generatedMessage } == before)
            store.close()
        }
    }

    @Test("a warmed store holds every customer's subject and stored projection, and answers as RocksDB does")
    func warmedAnswersAsStored() async throws {
        try await withWarmedStore { store, expected in
            // Before anything is read: every customer's subject is in memory, and one customer's
            // projection deleted behind the store's back is still answered as it was warmed.
            for id in expected.keys {
                #expect(store.customerSubjects.value(for: id) != nil, "no subject warmed for \(id)")
            }
            let subject = try #require(store.customerSubjects.value(for: "cust_7"))
            let batch = WriteBatch(for: store.database)
            batch.delete(StoreKeys.subject(subject), in: store.projections.family)
            try store.database.write(batch, sync: false)
            #expect(try store.projection(customerID: "cust_7").generatedMessage == expected["cust_7"])
            for (id, projection) in expected {
                #expect(try store.projection(customerID: id).generatedMessage == projection)
            }
        }
    }

    @Test("after a warming, an erased customer is in no cache and a committed change is what is read")
    func erasureAndCommitAfterWarming() async throws {
        try await withWarmedStore { store, expected in
            let subject = try #require(store.customerSubjects.value(for: "cust_9"))
            _ = try await store.erase(customerID: "cust_9", requestID: "DSR-1")
            #expect(store.customerSubjects.value(for: "cust_9") == nil)
            #expect(try store.projections.projection(of: subject) == nil)
            let erased = #expect(throws: C360Error.self) { try store.projection(customerID: "cust_9") }
            #expect(erased?.code == .erased)

            let before = try #require(expected["cust_12"])
            #expect(await store.append([Events.web("warm-1", customer: "cust_12")]).allSatisfy { $0.isAppended })
            #expect(try store.projection(customerID: "cust_12").eventCount == before.eventCount + 1)
            // Written behind: the stored bytes in memory are the new ones, not those warmed.
            try store.projections.writeAll()
            #expect(try store.projection(customerID: "cust_12").eventCount == before.eventCount + 1)
        }
    }

    @Test("warming keeps the projections it reads in the store's memory, not in RocksDB's block cache too")
    func warmingLeavesTheBlockCache() async throws {
        try await withWarmedStore { store, expected in
            // `close` flushed the projections into SST files: the pass read them from there.
            let storedBytes = try expected.values.reduce(0) { $0 + (try $1.serializedBytes() as [UInt8]).count }
            #expect(storedBytes > 100_000)
            let cached = store.storageFigures().blockCacheBytes
            #expect(cached < UInt64(storedBytes / 4), "\(cached) bytes in the block cache after warming \(storedBytes)")
        }
    }

    @Test("a store closed while warming stops, and opens again")
    func closeWhileWarming() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try EventStore(directory: directory)
                var events: [C360_V1_Event] = []
                SyntheticDataGenerator(customers: 3_000, events: 9_000, seed: 6).generate { events.append($0) }
                #expect(await store.append(events).allSatisfy { $0.isAppended })
                store.close()
            }
            let store = try EventStore(directory: directory)
            store.warmCaches()
            store.close()
            let again = try EventStore(directory: directory)
            #expect(try again.projection(customerID: "cust_1").customerID == "cust_1")
            again.close()
        }
    }
}

/// The writer folds into projections decoded in part (only the parts each event changes) unless
/// segments are defined, when it decodes them whole: the same appends give the same projections
/// either way, read back after every batch, and the stored ones equal a replay.
@Suite struct PartlyDecodedFoldTests {
    @Test("folding into projections decoded in part reads back as folding into whole ones, batch after batch")
    func partlyDecodedEqualsWhole() async throws {
        try await withTemporaryDirectory { partDirectory in
            try await withTemporaryDirectory { wholeDirectory in
                var parts = StoreConfiguration()
                // Every fold reads a projection from its stored bytes: nothing stays decoded.
                parts.cachedProjections = 0
                parts.projectionWriteBehindSeconds = 0.05
                var whole = parts
                whole.segments = Segment.examples
                let partStore = try EventStore(directory: partDirectory, configuration: parts)
                let wholeStore = try EventStore(directory: wholeDirectory, configuration: whole)
                var events: [C360_V1_Event] = []
                SyntheticDataGenerator(customers: 200, events: 8_000, seed: 17).generate { events.append($0) }
                for start in stride(from: 0, to: events.count, by: 250) {
                    let batch = Array(events[start..<min(start + 250, events.count)])
                    #expect(await partStore.append(batch).allSatisfy { $0.isAppended })
                    #expect(await wholeStore.append(batch).allSatisfy { $0.isAppended })
                    for customer in Set(batch.map(\.customerID)) where !customer.isEmpty {
                        let read = try partStore.projection(customerID: customer)
                        #expect(read.retained == nil)
                        #expect(read == (try wholeStore.projection(customerID: customer)), "\(customer) after event \(start)")
                    }
                    // Let some write behinds run, so that later folds read what they wrote.
                    if start % 2_000 == 0 { try await Task.sleep(for: .milliseconds(100)) }
                }
                wholeStore.close()
                let replay = try await partStore.replay(fromSnapshot: false)
                #expect(replay.matchesLive)
                partStore.close()
            }
        }
    }
}
