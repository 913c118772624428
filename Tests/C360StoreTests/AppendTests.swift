import C360Core
import C360Model
import C360Generator
import C360Store
import Testing

@Suite struct AppendTests {
    @Test("appending the same event_id twice stores one event and returns the first seq")
    func idempotentAppend() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            let first = await store.append([Events.web("e1", customer: "c1")])
            let second = await store.append([Events.web("e1", customer: "c1", seconds: 1_767_300_000)])
            let firstSeq = try #require(first.first?.seq)
            guard case .duplicate(let seq) = second.first else {
                Issue.record("expected a duplicate, got \(String(describing: second.first))")
                return
            }
            #expect(seq == firstSeq)
            #expect(try store.timeline(customerID: "c1").count == 1)
            #expect(try store.statistics().events == 1)
            #expect(try store.profile(customerID: "c1").eventCount == 1)
        }
    }

    @Test("a duplicate within one batch is reported as such")
    func duplicateInBatch() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            let outcomes = await store.append([Events.web("e1", customer: "c1"), Events.web("e1", customer: "c1")])
            #expect(outcomes.map(\.seq) == [1, 1])
            #expect(outcomes.last.map { if case .duplicate = $0 { true } else { false } } == true)
        }
    }

    @Test("a malformed event in a batch is rejected alone; the rest is appended")
    func partialBatch() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            var broken = Events.web("e2", customer: "c1")
            broken.source = ""
            let outcomes = await store.append([Events.web("e1", customer: "c1"), broken, Events.web("e3", customer: "c2")])
            #expect(outcomes.map(\.isAppended) == [true, false, true])
            #expect(outcomes[1].error?.field == "source")
            #expect(outcomes.map(\.seq) == [1, nil, 2])
        }
    }

    @Test("concurrent appenders share commits, every event gets a distinct seq, and a read after the ack sees it")
    func groupCommit() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            let seqs = await withTaskGroup(of: [UInt64].self) { group in
                for caller in 0..<64 {
                    group.addTask {
                        var seqs: [UInt64] = []
                        for index in 0..<20 {
                            let outcome = await store.append([Events.web("e_\(caller)_\(index)", customer: "c\(caller)")])
                            if let seq = outcome.first?.seq {
                                // Read-your-writes: the acknowledged event is in the profile at once.
                                if (try? store.profile(customerID: "c\(caller)").seq) ?? 0 >= seq { seqs.append(seq) }
                            }
                        }
                        return seqs
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
            #expect(seqs.count == 64 * 20)
            #expect(Set(seqs) == Set(1...UInt64(64 * 20)))
            let report = try await store.replay(fromSnapshot: false)
            #expect(report.matchesLive)
            #expect(report.eventsFolded == 64 * 20)
        }
    }

    @Test("a directory held by another store is refused with a message naming it")
    func lockedDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let first = try EventStore(directory: directory)
            let error = #expect(throws: C360Error.self) { _ = try EventStore(directory: directory) }
            #expect(error?.code == .dataDirectoryLocked)
            #expect(error?.message.contains(directory) == true)
            #expect(error?.message.contains("pid") == true)
            _ = first
        }
    }

    @Test("acknowledged events survive closing and reopening the store")
    func durableAcrossReopen() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try EventStore(directory: directory)
                _ = await store.append((1...50).map { Events.web("e\($0)", customer: "c\($0 % 5)") })
                store.close()
            }
            let reopened = try EventStore(directory: directory)
            #expect(reopened.lastSeq == 50)
            #expect(try reopened.statistics().customers == 5)
            let next = await reopened.append([Events.web("e51", customer: "c1")])
            #expect(next.first?.seq == 51)
        }
    }
}

/// The dedup entry is read before the writer takes an event (`EventStore.prepare`); the writer
/// checks only what was committed since. These make that split fail loudly if it loses an id.
@Suite struct DuplicateAcrossCommitsTests {
    @Test("events sent again after many commits are duplicates with their first seq, early and recent ones alike")
    func resentAfterManyCommits() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            var seqs: [String: UInt64] = [:]
            for batch in 0..<100 {
                let events = (0..<400).map { Events.web("r_\(batch)_\($0)", customer: "c\($0 % 50)") }
                let outcomes = await store.append(events)
                for (event, outcome) in zip(events, outcomes) {
                    // Bound first: assigned into the dictionary directly, `#require` would take the
                    // optional subscript's type and check nothing.
                    let seq = try #require(outcome.seq)
                    seqs[event.eventID] = seq
                }
            }
            // Ids from the first commit on, past the writer's two generations of recent ids.
            let resent = stride(from: 0, to: 100, by: 7).flatMap { batch in [0, 199, 399].map { "r_\(batch)_\($0)" } }
            let outcomes = await store.append(resent.map { Events.web($0, customer: "c1") })
            for (id, outcome) in zip(resent, outcomes) {
                guard case .duplicate(let seq) = outcome else {
                    Issue.record("\(id) was not reported as a duplicate: \(outcome)")
                    continue
                }
                #expect(seq == seqs[id])
            }
            #expect(try store.statistics().events == 40_000)
        }
    }

    @Test("in a batch read together, each event gets its own dedup entry whatever the refused events between them", arguments: 0..<5)
    func mixedBatch(seed: Int) async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            var seqs: [String: UInt64] = [:]
            for batch in 0..<60 {
                let events = (0..<500).map { Events.web("m_\(batch)_\($0)", customer: "c\($0 % 40)") }
                for (event, outcome) in zip(events, await store.append(events)) {
                    let seq = try #require(outcome.seq)
                    seqs[event.eventID] = seq
                }
            }
            var random = SeededRandom(seed: UInt64(seed))
            // Stored ids (early ones the writer no longer holds, and recent ones), new ids and
            // events refused by validation, shuffled; a new id twice, and a stored one twice.
            var batch: [(event: C360_V1_Event, expected: String)] = []
            for index in 0..<300 {
                switch random.next() % 3 {
                case 0:
                    let id = "m_\(random.next() % 60)_\(random.next() % 500)"
                    batch.append((Events.web(id, customer: "c1"), "duplicate \(seqs[id]!)"))
                case 1:
                    batch.append((Events.web("new_\(index)", customer: "c\(index % 7)"), "appended"))
                default:
                    var refused = Events.web("refused_\(index)", customer: "c1")
                    refused.source = ""
                    batch.append((refused, "refused"))
                }
            }
            batch.append((Events.web("new_again", customer: "c2"), "appended"))
            batch.append((Events.web("new_again", customer: "c2"), "duplicate of new_again"))
            batch.append((Events.web("m_0_0", customer: "c2"), "duplicate \(seqs["m_0_0"]!)"))
            batch.append((Events.web("m_0_0", customer: "c2"), "duplicate \(seqs["m_0_0"]!)"))
            let outcomes = await store.append(batch.map(\.event))
            var appendedAt: [String: UInt64] = [:]
            for ((event, expected), outcome) in zip(batch, outcomes) {
                switch (expected, outcome) {
                case ("appended", .appended(let seq)):
                    #expect(seq > 30_000)
                    appendedAt[event.eventID] = seq
                case ("duplicate of new_again", .duplicate(let seq)):
                    #expect(seq == appendedAt["new_again"])
                case ("refused", .rejected(let error)):
                    #expect(error.field == "source")
                case (_, .duplicate(let seq)) where expected == "duplicate \(seq)":
                    break
                default:
                    Issue.record("\(event.eventID): expected \(expected), got \(outcome)")
                }
            }
            #expect(try store.statistics().events == UInt64(30_000 + appendedAt.count))
        }
    }

    @Test("the same events sent by many callers at once are appended once each; every caller learns the same seq")
    func concurrentSenders() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            let ids = (0..<600).map { "same_\($0)" }
            let results = await withTaskGroup(of: [(String, AppendOutcome)].self) { group in
                for caller in 0..<8 {
                    group.addTask {
                        var random = SeededRandom(seed: UInt64(caller))
                        var order = ids
                        for index in order.indices.reversed() { order.swapAt(index, Int(random.next() % UInt64(index + 1))) }
                        var results: [(String, AppendOutcome)] = []
                        for start in stride(from: 0, to: order.count, by: 25) {
                            let batch = Array(order[start..<start + 25])
                            let outcomes = await store.append(batch.map { Events.web($0, customer: "c\($0.count % 9)") })
                            results += zip(batch, outcomes).map { ($0, $1) }
                        }
                        return results
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
            var appended: [String: Int] = [:]
            var seqs: [String: Set<UInt64>] = [:]
            for (id, outcome) in results {
                if outcome.isAppended { appended[id, default: 0] += 1 }
                if let seq = outcome.seq { seqs[id, default: []].insert(seq) }
            }
            #expect(results.count == 8 * 600)
            #expect(ids.allSatisfy { appended[$0] == 1 })
            #expect(ids.allSatisfy { seqs[$0]?.count == 1 })
            #expect(try store.statistics().events == 600)
        }
    }

    @Test("an erased customer's event sent again is refused as erased, not reported as a duplicate; another's still is")
    func resentAfterErasure() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            let kept = await store.append([Events.web("k1", customer: "keep"), Events.web("g1", customer: "gone"), Events.web("g2", customer: "gone")])
            #expect(kept.allSatisfy { $0.isAppended })
            _ = try await store.erase(customerID: "gone", requestID: "DSR-1")
            let again = await store.append([Events.web("g1", customer: "gone"), Events.web("k1", customer: "keep")])
            #expect(again.first?.error?.code == .erased)
            guard case .duplicate(let seq) = again.last else {
                Issue.record("k1 was not reported as a duplicate: \(String(describing: again.last))")
                return
            }
            #expect(seq == kept.first?.seq)
        }
    }
}
