@testable import C360Store
import C360Generator
import Synchronization
import Testing

/// The writer's memory of the last commits' event ids, which stands in for RocksDB's dedup entries
/// read before a caller handed its events over: every id appended at `coveredFrom` or after must
/// be held, whatever the order of commits, generations and erasures.
@Suite struct RecentEventIDsTests {
    @Test("every id appended at coveredFrom or after is held, as generations turn over", arguments: 0..<50)
    func holdsEverythingItCovers(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let generation = 1 + Int(random.next() % 20)
        var recent = RecentEventIDs(after: 100, idsPerGeneration: generation)
        var appended: [(id: String, seq: UInt64)] = []
        var lastSeq: UInt64 = 100
        for _ in 0..<300 {
            if random.next() % 25 == 0 {
                // An erasure at the next seq: nothing before it is vouched for.
                lastSeq += 1
                recent.forgetAll(through: lastSeq)
                #expect(recent.coveredFrom == lastSeq + 1)
                continue
            }
            var commit: [String] = []
            let firstSeq = lastSeq + 1
            for _ in 0..<(1 + random.next() % 8) {
                lastSeq += 1
                commit.append("e\(lastSeq)")
                appended.append(("e\(lastSeq)", lastSeq))
            }
            recent.committed(commit, firstSeq: firstSeq)
            #expect(recent.coveredFrom <= firstSeq)
            for (id, seq) in appended where seq >= recent.coveredFrom {
                #expect(recent.mayHold(id))
            }
        }
        #expect(!recent.mayHold("never appended"))
    }

    @Test("what it holds is bounded: two generations at most")
    func bounded() {
        var recent = RecentEventIDs(after: 0, idsPerGeneration: 10)
        for seq in UInt64(1)...1_000 {
            recent.committed(["e\(seq)"], firstSeq: seq)
        }
        #expect(recent.coveredFrom >= 1_000 - 20)
        #expect(!recent.mayHold("e1"))
        #expect(recent.mayHold("e1000"))
    }
}

/// The writer's side of the split: a caller's read of the dedup entries is trusted only when every
/// commit since is held.
@Suite struct WriterDedupTests {
    private func commit(_ writer: LogWriter, ids: [String]) {
        var state = writer.state
        var appended: [String: UInt64] = [:]
        for id in ids {
            state.lastSeq += 1
            appended[id] = state.lastSeq
        }
        // As a commit's write does: its log position on the second thread, then the rest on the writer.
        writer.written(through: state.lastSeq)
        writer.committed(state, eventIDs: appended.keys, index: [:], mergedInto: [:], memberships: [:])
    }

    @Test("a read made before commits the writer no longer holds is read again; one it covers is answered, or read again when a commit since may hold the id")
    func readAgainWhenNotCovered() {
        let writer = LogWriter(state: WriterState(), caches: WriterCaches(customers: 0, indexEntries: 0), recentEventIDsPerGeneration: 4)
        commit(writer, ids: ["a", "b"])
        #expect(writer.committedThrough.load(ordering: .relaxed) == 2)
        // Read through 0: "a" was committed since, so the read cannot be trusted; "z" was not.
        #expect(writer.recentSeq(of: "a", readThrough: 0, read: nil) == nil)
        #expect(writer.recentSeq(of: "z", readThrough: 0, read: nil) == .some(nil))
        #expect(writer.recentSeq(of: "z", readThrough: 0, read: 7) == .some(7))
        for batch in 0..<4 { commit(writer, ids: (0..<3).map { "x\(batch)_\($0)" }) }
        // "a" left both generations: a read from before it was committed cannot be vouched for.
        #expect(writer.recentSeq(of: "a", readThrough: 0, read: nil) == nil)
        #expect(writer.recentSeq(of: "z", readThrough: 0, read: nil) == nil)
        #expect(writer.recentSeq(of: "z", readThrough: 11, read: nil) == .some(nil))
        #expect(writer.recentSeq(of: "x3_2", readThrough: 11, read: nil) == nil)
        #expect(writer.recentSeq(of: "x3_2", readThrough: 11, read: 14) == .some(14))
    }

    @Test("after an erasure every read from before it is read again")
    func erasureInvalidatesReads() {
        let writer = LogWriter(state: WriterState(), caches: WriterCaches(customers: 0, indexEntries: 0), recentEventIDsPerGeneration: 100)
        commit(writer, ids: ["a", "b"])
        writer.erased(seq: 3, eventCount: 1, customerHash: [1], identityKeys: [], removedIndexKeys: [], subjects: [])
        #expect(writer.committedThrough.load(ordering: .relaxed) == 3)
        #expect(writer.recentSeq(of: "a", readThrough: 2, read: 1) == nil)
        #expect(writer.recentSeq(of: "a", readThrough: 3, read: nil) == .some(nil))
    }
}
