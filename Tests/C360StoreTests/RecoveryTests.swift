import C360Codec
import C360Core
import C360Generator
import Dispatch
import C360Model
@testable import C360Store
import RocksDB
import SwiftProtobuf
import Testing

/// Projections are written behind the log: a store dropped without `close()` (what a crash
/// leaves: the synced log, projections as of their last write behind) is brought up to the log
/// when it is opened again.
@Suite struct RecoveryTests {
    typealias Resolution = IdentityResolutionTests

    /// Writes behind only when told (or when the store closes).
    static var holdingProjections: StoreConfiguration {
        var configuration = StoreConfiguration()
        configuration.projectionWriteBehindSeconds = 3_600
        return configuration
    }

    /// Opens the store in `directory` once the one dropped before has let it go: the writer's
    /// thread may still hold it for a moment after its last commit was acknowledged.
    static func reopen(_ directory: String, _ configuration: StoreConfiguration) async throws -> EventStore {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let opened = Result { () throws(C360Error) in try EventStore(directory: directory, configuration: configuration) }
            if case .failure(let error) = opened, error.code == .dataDirectoryLocked, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            return try opened.get()
        }
    }

    /// Every customer's and every cookie's projection as the store serves it now.
    static func served(_ store: EventStore, customers: [String], cookies: [String]) throws -> [String: Profile] {
        let asOf = Resolution.asOf
        var served: [String: Profile] = [:]
        for customer in customers {
            if let profile = try? store.profile(customerID: customer, asOf: asOf) { served[customer] = profile }
        }
        for cookie in cookies {
            if let profile = try? store.profile(identity: .init(type: .cookieID, value: cookie), asOf: asOf) { served["cookie " + cookie] = profile }
        }
        return served
    }

    /// Random histories of browsing under cookies, sign-ups, logins that merge a cookie's history
    /// into a customer and unlinks that take it out again, committed in random groups.
    static func randomCommits(seed: UInt64) -> [[C360_V1_Event]] {
        var random = SeededRandom(seed: seed)
        var commits: [[C360_V1_Event]] = []
        var next = 0
        for _ in 0..<random.int(in: 0...11) + 4 {
            var commit: [C360_V1_Event] = []
            for _ in 0..<random.int(in: 0...5) + 1 {
                next += 1
                let id = "e\(next)"
                let customer = "cust_\(random.int(in: 0...2))"
                let cookie = "ck_\(random.int(in: 0...3))"
                let day = Int64(next % 9)
                switch random.int(in: 0...5) {
                case 0: commit.append(Resolution.signup(id, customer: customer, email: "\(customer)@example.com", day: day))
                case 1: commit.append(Resolution.link(id, customer: customer, cookie: cookie, day: day))
                case 2: commit.append(Resolution.unlink(id, customer: customer, cookie: cookie, day: day))
                case 3: commit.append(Resolution.productView(id, customer: customer, cookie: nil, day: day))
                default: commit.append(Resolution.productView(id, cookie: cookie, day: day))
                }
            }
            commits.append(commit)
        }
        return commits
    }

    /// Stores the current projection (or its removal) of about half the subjects, as an early batch
    /// of a write behind does, without moving the checkpoint.
    static func writePartOfWriteBehind(_ store: EventStore, random: inout SeededRandom) throws {
        let nextSubject = store.writer.sync { store.writer.state.nextSubject }
        let batch = WriteBatch(for: store.database)
        for number in UInt64(1)..<nextSubject {
            for subject in [number, StoreKeys.anonymousBit | number] where random.int(in: 0...1) == 0 {
                if let projection = try store.projections.projection(of: subject) {
                    batch.put(StoreKeys.subject(subject), ProjectionWireCodec.encode(projection), in: store.projections.family)
                } else {
                    batch.delete(StoreKeys.subject(subject), in: store.projections.family)
                }
            }
        }
        try store.database.write(batch, sync: false)
    }

    @Test("a store dropped without closing recovers what was served, from any checkpoint, merges and unmerges included; also when a write behind was cut short between its batches", arguments: 0..<40)
    func recoversWhatWasServed(seed: UInt64) async throws {
        try await withTemporaryDirectory { directory in
            let customers = (0..<3).map { "cust_\($0)" }
            let cookies = (0..<4).map { "ck_\($0)" }
            var random = SeededRandom(seed: seed &+ 1_000)
            var before: [String: Profile] = [:]
            var lastSeq: UInt64 = 0
            do {
                let store = try EventStore(directory: directory, configuration: Self.holdingProjections)
                for commit in Self.randomCommits(seed: seed) {
                    _ = await store.append(commit)
                    // Sometimes a write behind happens between commits.
                    if random.int(in: 0...3) == 0 { try store.projections.writeAll() }
                }
                before = try Self.served(store, customers: customers, cookies: cookies)
                lastSeq = store.lastSeq
                // Sometimes the process dies during a write behind, whose batches are written one
                // after another with the checkpoint in the last: some projections stored newer
                // than the checkpoint.
                if random.int(in: 0...1) == 0 { try Self.writePartOfWriteBehind(store, random: &random) }
                // Dropped here without `close()`: the projections since the last write behind are lost.
            }
            let reopened = try await Self.reopen(directory, Self.holdingProjections)
            defer { reopened.close() }
            if let recovery = reopened.recovery {
                #expect(recovery.throughSeq == lastSeq)
                #expect(recovery.fromSeq < lastSeq)
            }
            #expect(try Self.served(reopened, customers: customers, cookies: cookies) == before)
            let replay = try await reopened.replay(fromSnapshot: false)
            #expect(replay.matchesLive, "\(replay.projectionsChanged) projections differ from their replay")
        }
    }

    @Test("the histories recover from the log: most seeds leave projections to fold again")
    func recoveryIsExercised() async throws {
        var recovered = 0
        for seed in UInt64(0)..<10 {
            try await withTemporaryDirectory { directory in
                do {
                    let store = try EventStore(directory: directory, configuration: Self.holdingProjections)
                    for commit in Self.randomCommits(seed: seed) { _ = await store.append(commit) }
                }
                let reopened = try await Self.reopen(directory, Self.holdingProjections)
                defer { reopened.close() }
                if let recovery = reopened.recovery, recovery.events > 0, recovery.projections > 0 { recovered += 1 }
            }
        }
        #expect(recovered == 10)
    }

    /// The checkpoint stored in `store`'s current projection keyspace.
    static func storedCheckpoint(_ store: EventStore) throws -> UInt64? {
        try store.database.get(StoreKeys.projectionsCheckpoint, in: store.projections.family).flatMap { StoreKeys.uint64($0) }
    }

    @Test("the write behind keeps its checkpoint in the current keyspace, after every subject, where no scan takes it for a projection")
    func checkpointInKeyspace() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory, configuration: Self.holdingProjections)
            defer { store.close() }
            for commit in Self.randomCommits(seed: 5) { _ = await store.append(commit) }
            try store.projections.writeAll()
            #expect(try Self.storedCheckpoint(store) == store.lastSeq)
            #expect(try store.database.get(StoreKeys.Meta.projectionsThrough, in: store.families.meta) == nil)
            #expect(!StoreKeys.projectionsCheckpoint.lexicographicallyPrecedes(StoreKeys.allSubjects.to))
            // Statistics, snapshots and replays scan the keyspace: each reads a subject from every key.
            let statistics = try store.statistics()
            #expect(statistics.customers == 3)
            _ = try await store.takeSnapshot()
            let replay = try await store.replay(fromSnapshot: true)
            #expect(replay.matchesLive)
            #expect(replay.projectionsRemoved == 0)
            #expect(try Self.storedCheckpoint(store) == store.lastSeq)
        }
    }

    @Test("a directory of schema 2, whose checkpoint is in the metadata, is marked schema 3, recovers from that checkpoint, and keeps the next one in its keyspace")
    func checkpointFromMetadata() async throws {
        try await withTemporaryDirectory { directory in
            let customers = ["cust_0", "cust_1", "cust_2"]
            var before: [String: Profile] = [:]
            var firstCommitSeq: UInt64 = 0
            do {
                let store = try EventStore(directory: directory, configuration: Self.holdingProjections)
                for (index, commit) in Self.randomCommits(seed: 11).enumerated() {
                    _ = await store.append(commit)
                    if index == 0 { firstCommitSeq = store.lastSeq }
                }
                before = try Self.served(store, customers: customers, cookies: [])
                store.close()
            }
            // As an older c360 left it: the checkpoint in `meta`, none in the keyspace; an older
            // position than the projections reflect, so that recovery shows which one was read.
            do {
                let store = try EventStore(directory: directory, configuration: Self.holdingProjections)
                let batch = WriteBatch(for: store.database)
                batch.delete(StoreKeys.projectionsCheckpoint, in: store.projections.family)
                batch.put(StoreKeys.Meta.projectionsThrough, StoreKeys.bigEndian(firstCommitSeq), in: store.families.meta)
                batch.put(StoreKeys.Meta.schemaVersion, StoreKeys.bigEndian(2), in: store.families.meta)
                try store.database.write(batch, sync: true)
                store.close()
            }
            let reopened = try await Self.reopen(directory, Self.holdingProjections)
            #expect(reopened.recovery?.fromSeq == firstCommitSeq)
            #expect(try reopened.database.get(StoreKeys.Meta.schemaVersion, in: reopened.families.meta).flatMap { StoreKeys.uint64($0) } == 3)
            #expect(reopened.recovery?.throughSeq == reopened.lastSeq)
            #expect(try Self.served(reopened, customers: customers, cookies: []) == before)
            reopened.close()
            let again = try await Self.reopen(directory, Self.holdingProjections)
            defer { again.close() }
            #expect(again.recovery == nil)
            #expect(try Self.storedCheckpoint(again) == again.lastSeq)
            #expect(try await again.replay(fromSnapshot: false).matchesLive)
        }
    }

    @Test("a directory of a newer schema is refused, naming it")
    func newerSchemaRefused() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try EventStore(directory: directory)
                let batch = WriteBatch(for: store.database)
                batch.put(StoreKeys.Meta.schemaVersion, StoreKeys.bigEndian(StoreKeys.schemaVersion + 1), in: store.families.meta)
                try store.database.write(batch, sync: true)
                store.close()
            }
            let error: C360Error
            do {
                let opened = try await Self.reopen(directory, StoreConfiguration())
                opened.close()
                Issue.record("a directory of schema \(StoreKeys.schemaVersion + 1) was opened")
                return
            } catch let refused as C360Error {
                error = refused
            }
            #expect(error.code == .corruption)
            #expect(error.message.contains("schema \(StoreKeys.schemaVersion + 1)"))
        }
    }

    @Test("a clean close leaves nothing to recover")
    func cleanClose() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory, configuration: Self.holdingProjections)
            for commit in Self.randomCommits(seed: 7) { _ = await store.append(commit) }
            let before = try Self.served(store, customers: ["cust_0", "cust_1", "cust_2"], cookies: [])
            store.close()
            let reopened = try await Self.reopen(directory, Self.holdingProjections)
            defer { reopened.close() }
            #expect(reopened.recovery == nil)
            #expect(try Self.served(reopened, customers: ["cust_0", "cust_1", "cust_2"], cookies: []) == before)
        }
    }

    @Test("a close told to wait lets the compaction its flushes made due finish, so the next open has none to start again")
    func closeWaitingForCompactions() async throws {
        try await withTemporaryDirectory { directory in
            // Each close flushes the memtables: the fourth leaves four files in level 0 of the
            // events column family, which makes a compaction due.
            for round in 0..<4 {
                let store = try await Self.reopen(directory, StoreConfiguration())
                let events = (0..<200).map { Events.web("evt_\(round)_\($0)", customer: "cust_\($0 % 40)") }
                #expect(await store.append(events).allSatisfy { if case .appended = $0 { true } else { false } })
                if round < 3 {
                    store.close()
                } else {
                    let (settled, _) = store.close(waitingForCompactionsUpTo: 30)
                    #expect(settled)
                }
            }
            let reopened = try await Self.reopen(directory, StoreConfiguration())
            defer { reopened.close() }
            #expect(reopened.database.property("rocksdb.num-files-at-level0", in: reopened.families.events) == "0")
            #expect(!reopened.database.hasBackgroundWork)
            #expect(try reopened.timeline(customerID: "cust_3").count == 20)
        }
    }

    @Test("an erasure writes none of the other projections waiting behind the log, and after a crash they are recovered while the erased customer stays erased")
    func erasureLeavesOthersWaiting() async throws {
        try await withTemporaryDirectory { directory in
            let customerID = "cust_erase_9d2c"
            let personalData = ["Philippa", "Quaxworth", "philippa.quaxworth@erase-me.example", "+447700123987", customerID]
            let others = (1...20).map { "cust_\($0)" }
            var before: [C360_Store_V1_Projection] = []
            do {
                let store = try EventStore(directory: directory, configuration: Self.holdingProjections)
                var events = [Events.customer("p1", customer: customerID, first: "Philippa", last: "Quaxworth",
                                              email: "philippa.quaxworth@erase-me.example", phone: "+447700123987")]
                events += others.enumerated().map { index, id in Events.web("o\(index)", customer: id) }
                events.append(Events.web("p2", customer: customerID))
                #expect(await store.append(events).allSatisfy { $0.isAppended })
                #expect(store.projections.dirtyCount == 21)
                before = try others.map { try store.projection(customerID: $0).generatedMessage }

                let receipt = try await store.erase(customerID: customerID, requestID: "DSR-9")
                #expect(receipt.projectionRemoved)
                #expect(receipt.filesWithPersonalData == 0)
                // The erased customer's waiting projection is dropped; the others still wait.
                #expect(store.projections.dirtyCount == 20)
                #expect(try filesHoldingAny(of: personalData, under: directory) == [])
                #expect(try others.map { try store.projection(customerID: $0).generatedMessage } == before)
                // Dropped without closing: a crash.
            }
            let reopened = try await Self.reopen(directory, Self.holdingProjections)
            defer { reopened.close() }
            #expect(reopened.recovery != nil)
            #expect(try others.map { try reopened.projection(customerID: $0).generatedMessage } == before)
            let erased = #expect(throws: C360Error.self) { try reopened.projection(customerID: customerID) }
            #expect(erased?.code == .erased)
            try reopened.projections.writeAll()
            #expect(try filesHoldingAny(of: personalData, under: directory) == [])
            #expect(try await reopened.replay(fromSnapshot: false).matchesLive)
        }
    }

    @Test("the byte bound writes behind as soon as it is reached: with a bound of one byte, every commit is written before it is acknowledged")
    func byteBound() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = Self.holdingProjections
            configuration.projectionWriteBehindBytes = 1
            do {
                let store = try EventStore(directory: directory, configuration: configuration)
                for commit in Self.randomCommits(seed: 3) {
                    _ = await store.append(commit)
                    #expect(store.projections.dirtyCount == 0)
                    #expect(store.projections.checkpoint == store.lastSeq)
                }
            }
            let reopened = try await Self.reopen(directory, configuration)
            defer { reopened.close() }
            #expect(reopened.recovery == nil)
        }
    }

    @Test("the age bound writes behind by itself")
    func ageBound() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StoreConfiguration()
            configuration.projectionWriteBehindSeconds = 0.05
            let store = try EventStore(directory: directory, configuration: configuration)
            defer { store.close() }
            _ = await store.append(Self.randomCommits(seed: 5).flatMap { $0 })
            let deadline = ContinuousClock.now + .seconds(10)
            while store.projections.checkpoint != store.lastSeq, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(store.projections.checkpoint == store.lastSeq)
            #expect(store.projections.dirtyCount == 0)
        }
    }
}
