import C360Core
import C360Model
@testable import C360Store
import Foundation
import Synchronization
import Testing

@Suite struct AppendQueueTests {
    /// The outcomes of appends handed over with a completion, by the order they were made.
    final class Collected: Sendable {
        let outcomes = Mutex<[Int: [AppendOutcome]]>([:])
        let done = DispatchGroup()
    }

    @Test("an append that would take the writer's queue past its bound is refused whole at once, stores nothing, and appends are taken again once the queue drains")
    func boundedQueue() async throws {
        try await withTemporaryDirectory { directory in
            // Room for about three of the appends below (five events of about 40 bytes each, encoded).
            var configuration = StoreConfiguration()
            configuration.appendQueueBytes = 600
            let store = try EventStore(directory: directory, configuration: configuration)
            defer { store.close() }
            // The writer held, so that appends wait for it.
            let release = DispatchSemaphore(value: 0)
            store.writer.queue.async { release.wait() }
            let collected = Collected()
            let appends = 10
            for append in 0..<appends {
                collected.done.enter()
                let events = (0..<5).map { Events.web("e_\(append)_\($0)", customer: "c\(append)") }
                store.append(events) { outcomes in
                    collected.outcomes.withLock { $0[append] = outcomes }
                    collected.done.leave()
                }
            }
            // Refused at once, while the writer still waits.
            let refusedAtOnce = collected.outcomes.withLock { $0 }
            release.signal()
            collected.done.wait()
            let outcomes = collected.outcomes.withLock { $0 }
            #expect(!refusedAtOnce.isEmpty, "some appends were refused before the writer ran")
            #expect(refusedAtOnce[0] == nil, "the first append is taken: nothing waited")
            var stored = 0
            for append in 0..<appends {
                let group = try #require(outcomes[append])
                if refusedAtOnce[append] != nil {
                    #expect(group.allSatisfy { $0.error?.code == .resourceExhausted })
                    #expect(throws: C360Error.self) { try store.timeline(customerID: "c\(append)") }
                } else {
                    #expect(group.allSatisfy { $0.isAppended })
                    #expect(try store.timeline(customerID: "c\(append)").count == 5)
                    stored += 5
                }
            }
            #expect(try store.statistics().events == UInt64(stored))
            // Drained: a refused append sent again is taken.
            let again = try #require(refusedAtOnce.keys.min())
            let retried = await store.append((0..<5).map { Events.web("e_\(again)_\($0)", customer: "c\(again)") })
            #expect(retried.allSatisfy { $0.isAppended })
        }
    }
}
