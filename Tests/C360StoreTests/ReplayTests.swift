import C360Core
import C360Generator
import C360Model
@testable import C360Store
import RocksDB
import Testing
import SwiftProtobuf

@Suite struct ReplayTests {
    @Test("live, full-replay and snapshot-plus-tail digests are identical over 100,000 generated events")
    func replayEquality() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            var events: [C360_V1_Event] = []
            SyntheticDataGenerator(customers: 5_000, events: 100_000, seed: 42).generate { events.append($0) }
            #expect(events.count == 100_000)

            let snapshotAfter = 70_000
            for start in stride(from: 0, to: events.count, by: 1_000) {
                if start == snapshotAfter {
                    let info = try await store.takeSnapshot()
                    #expect(info.seq == UInt64(snapshotAfter))
                }
                let outcomes = await store.append(Array(events[start..<min(start + 1_000, events.count)]))
                #expect(outcomes.allSatisfy { $0.isAppended })
            }
            let live = try store.liveDigest()
            // Every customer, and each anonymous history no login has merged into one.
            #expect(try store.statistics().customers == 5_000)
            #expect(live.count == 5_000 + (try store.statistics().anonymousVisitors))

            let full = try await store.replay(fromSnapshot: false)
            #expect(full.eventsFolded == 100_000)
            #expect(full.liveDigest == live)
            #expect(full.rebuiltDigest == live)
            #expect(full.matchesLive)

            let fromSnapshot = try await store.replay(fromSnapshot: true)
            #expect(fromSnapshot.snapshotSeq == UInt64(snapshotAfter))
            #expect(fromSnapshot.eventsFolded == 30_000)
            // Brought forward on every core, a range of subjects at a time: every projection once.
            #expect(fromSnapshot.projectionsRebuilt == UInt64(live.count))
            #expect(fromSnapshot.projectionsFromSnapshot > 4_000)
            #expect(fromSnapshot.rebuiltDigest == live)
            #expect(fromSnapshot.matchesLive)
        }
    }

    /// More changed projections than one chunk of the write behind (`projectionsPerChunk`), the
    /// second pass folded into projections decoded in part from their stored bytes: what is
    /// written equals the fold of the log.
    @Test("projections folded in part and written behind in several chunks equal a full replay")
    func partlyDecodedAndChunkedWriteBehind() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StoreConfiguration()
            configuration.projectionWriteBehindBytes = 512 << 20
            configuration.projectionWriteBehindSeconds = 600
            var first: [C360_V1_Event] = [], second: [C360_V1_Event] = []
            SyntheticDataGenerator(customers: 9_000, events: 45_000, seed: 3).generate { first.append($0) }
            SyntheticDataGenerator(customers: 9_000, events: 45_000, seed: 4).generate { second.append($0) }
            for (pass, events) in [first, second].enumerated() {
                let store = try EventStore(directory: directory, configuration: configuration)
                for start in stride(from: 0, to: events.count, by: 1_000) {
                    let outcomes = await store.append(Array(events[start..<min(start + 1_000, events.count)]))
                    #expect(outcomes.allSatisfy { $0.isAppended })
                }
                #expect(store.projections.dirtyCount > ProjectionStore.projectionsPerChunk, "pass \(pass)")
                store.close()
            }
            let store = try EventStore(directory: directory, configuration: configuration)
            defer { store.close() }
            #expect(store.projections.dirtyCount == 0)
            let replay = try await store.replay(fromSnapshot: false)
            #expect(replay.eventsFolded == 90_000)
            #expect(replay.matchesLive)
        }
    }

    @Test("a replay finds a stored projection that disagrees with the log, reports it and repairs it")
    func replayDetectsMismatch() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try EventStore(directory: directory)
                _ = await store.append((1...10).map { Events.web("e\($0)", customer: "c\($0 % 3)") })
                store.close()
            }
            // Tamper with the first customer's projection behind the store's back.
            do {
                let database = try Database(path: directory, columnFamilies: [])
                var tampered = C360_Store_V1_Projection()
                tampered.version = ProjectionFold.version
                tampered.customerID = "c1"
                tampered.eventCount = 999
                let batch = WriteBatch(for: database)
                batch.put([0, 0, 0, 0, 0, 0, 0, 1], try tampered.serializedBytes(), in: try database.columnFamily("projections"))
                try database.write(batch, sync: true)
            }
            let store = try EventStore(directory: directory)
            let report = try await store.replay(fromSnapshot: false)
            #expect(!report.matchesLive)
            #expect(report.projectionsChanged == 1)
            #expect(report.liveDigest != report.rebuiltDigest)
            let again = try await store.replay(fromSnapshot: false)
            #expect(again.matchesLive)
            #expect(again.liveDigest == report.rebuiltDigest)
        }
    }

    @Test("replay from a snapshot without one says there is none")
    func noSnapshot() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            let error = await #expect(throws: C360Error.self) { try await store.replay(fromSnapshot: true) }
            #expect(error?.code == .notFound)
        }
    }
}
