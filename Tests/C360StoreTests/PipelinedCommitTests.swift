import C360Core
import C360Model
@testable import C360Store
import Foundation
import Synchronization
import Testing

/// The writer's pipeline: a commit staged while the one before it is written, shown and applied
/// in order, and a failed write failing the commit staged over it. Through the writer's own
/// protocol with a target that records what it is asked and holds or fails a write on demand;
/// the store's side of it runs in every store test, the crash cycles among them.
@Suite struct PipelinedCommitTests {
    final class Commit: StagedGroupCommit, @unchecked Sendable {
        let number: Int
        let outcomes: [[AppendOutcome]]
        let lastSeq: UInt64
        var needsWrite: Bool { true }
        var writtenWithoutWrite: Bool { true }

        init(number: Int, outcomes: [[AppendOutcome]], lastSeq: UInt64) {
            self.number = number
            self.outcomes = outcomes
            self.lastSeq = lastSeq
        }
    }

    /// Numbers its commits from 1; each event is "appended" at the next seq.
    final class Target: GroupCommitTarget {
        struct Record {
            /// Each commit staged, with the commit it was staged over.
            var staged: [(commit: Int, over: Int?)] = []
            var written: [Int] = []
            var published: [Int] = []
            var applied: [Int] = []
            /// The commits applied to the writer when each write began.
            var appliedWhenWritten: [Int: [Int]] = [:]
        }

        let record = Mutex(Record())
        /// Writes of these commits wait for `gate` first.
        let held: Set<Int>
        /// Writes of these commits fail.
        let failing: Set<Int>
        let gate = DispatchSemaphore(value: 0)
        private let seq = Mutex<UInt64>(0)

        init(held: Set<Int> = [], failing: Set<Int> = []) {
            self.held = held
            self.failing = failing
        }

        var maximumEventsPerCommit: Int { 1_000 }

        func stage(_ groups: [[Result<PreparedEvent, C360Error>]], positions: [SourcePosition], after earlier: Commit?) -> Commit {
            let number = record.withLock { record in
                record.staged.append((record.staged.count + 1, earlier?.number))
                return record.staged.count
            }
            let outcomes = seq.withLock { seq in
                groups.map { group in
                    group.map { _ -> AppendOutcome in
                        seq += 1
                        return .appended(seq: seq)
                    }
                }
            }
            return Commit(number: number, outcomes: outcomes, lastSeq: seq.withLock { $0 })
        }

        func writeCommit(_ staged: Commit) throws(C360Error) {
            record.withLock { $0.appliedWhenWritten[staged.number] = $0.applied }
            if held.contains(staged.number) { gate.wait() }
            if failing.contains(staged.number) { throw C360Error(.io, "the disk failed writing commit \(staged.number)") }
            record.withLock { $0.written.append(staged.number) }
        }

        func publish(_ staged: Commit) {
            record.withLock { $0.published.append(staged.number) }
        }

        func applyToWriter(_ staged: Commit) {
            record.withLock { $0.applied.append(staged.number) }
        }

        /// Waits until `count` commits are staged.
        func waitUntilStaged(_ count: Int) throws {
            let deadline = Date().addingTimeInterval(10)
            while record.withLock({ $0.staged.count }) < count {
                guard Date() < deadline else { throw C360Error(.internalError, "only \(record.withLock { $0.staged.count }) commits staged") }
                Thread.sleep(forTimeInterval: 0.001)
            }
        }
    }

    /// The outcomes of each append, by its number.
    final class Outcomes: Sendable {
        let byAppend = Mutex<[Int: ([AppendOutcome], written: Bool)]>([:])
        let done = DispatchGroup()
    }

    static func event(_ number: Int) -> Result<PreparedEvent, C360Error> {
        var event = C360_V1_Event()
        event.eventID = "e\(number)"
        return .success(PreparedEvent(
            foldable: FoldableEvent(event), partsToFold: [], encoded: [UInt8](repeating: 1, count: 10),
            dedupRead: .init(through: 0, seq: nil), customer: nil, identityKeys: [], linked: [], unlinking: nil, foldsInStoredBytes: false))
    }

    static func append(_ number: Int, events: Int, to writer: LogWriter, into target: Target, outcomes: Outcomes) {
        outcomes.done.enter()
        writer.append((0..<events).map { event(number * 100 + $0) }, position: nil, into: target) { result, written in
            outcomes.byAppend.withLock { $0[number] = (result, written) }
            outcomes.done.leave()
        }
    }

    static func isAppended(_ outcome: AppendOutcome) -> Bool {
        if case .appended = outcome { return true }
        return false
    }

    @Test("a commit is staged over the one being written, which is shown, acknowledged and applied to the writer before the next is written")
    func stagedOverTheOneBeingWritten() throws {
        let writer = LogWriter(state: WriterState(), caches: WriterCaches(customers: 10, indexEntries: 10))
        let target = Target(held: [1])
        let outcomes = Outcomes()
        Self.append(1, events: 3, to: writer, into: target, outcomes: outcomes)
        try target.waitUntilStaged(1)
        Self.append(2, events: 2, to: writer, into: target, outcomes: outcomes)
        try target.waitUntilStaged(2)
        // The second is staged while the first is still being written.
        #expect(outcomes.byAppend.withLock { $0.isEmpty })
        target.gate.signal()
        outcomes.done.wait()
        writer.sync {}

        let record = target.record.withLock { $0 }
        #expect(record.staged.map(\.commit) == [1, 2])
        #expect(record.staged.map(\.over) == [nil, 1])
        #expect(record.written == [1, 2])
        #expect(record.published == [1, 2])
        #expect(record.applied == [1, 2])
        #expect(record.appliedWhenWritten[2] == [1])
        let byAppend = outcomes.byAppend.withLock { $0 }
        #expect(byAppend[1]?.0.allSatisfy(Self.isAppended) == true && byAppend[1]?.written == true)
        #expect(byAppend[2]?.0.allSatisfy(Self.isAppended) == true && byAppend[2]?.written == true)
        #expect(writer.committedThrough.load(ordering: .acquiring) == 5)
    }

    @Test("a failed write fails the commit staged over it; neither is shown or applied, and the next commits are written")
    func failedWriteFailsTheCommitStagedOverIt() throws {
        let writer = LogWriter(state: WriterState(), caches: WriterCaches(customers: 10, indexEntries: 10))
        let target = Target(held: [1], failing: [1])
        let outcomes = Outcomes()
        Self.append(1, events: 3, to: writer, into: target, outcomes: outcomes)
        try target.waitUntilStaged(1)
        Self.append(2, events: 2, to: writer, into: target, outcomes: outcomes)
        try target.waitUntilStaged(2)
        target.gate.signal()
        outcomes.done.wait()
        Self.append(3, events: 1, to: writer, into: target, outcomes: outcomes)
        outcomes.done.wait()
        writer.sync {}

        let record = target.record.withLock { $0 }
        #expect(record.staged.map(\.over) == [nil, 1, nil])
        #expect(record.written == [3])
        #expect(record.published == [3])
        #expect(record.applied == [3])
        let byAppend = outcomes.byAppend.withLock { $0 }
        for failed in [1, 2] {
            let (results, written) = try #require(byAppend[failed])
            #expect(!written)
            for outcome in results {
                guard case .rejected(let error) = outcome else {
                    Issue.record("append \(failed) was not refused: \(outcome)")
                    continue
                }
                #expect(error.message.contains("the disk failed writing commit 1"))
            }
        }
        #expect(byAppend[3]?.0.allSatisfy(Self.isAppended) == true && byAppend[3]?.written == true)
        #expect(writer.committedThrough.load(ordering: .acquiring) == 6)
    }
}
