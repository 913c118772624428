import C360Core
import C360Model
@testable import C360Store
import Testing

/// A source's position is stored in the same commit as the events its changes became.
@Suite struct SourcePositionTests {
    static func position(_ value: UInt8) -> SourcePosition {
        SourcePosition(source: "shop-db", value: [0, 0, 0, 0, 0, 0, 0, value])
    }

    @Test("the position moves with every commit of the source's changes: new events, duplicates only, refused events, or none at all")
    func movesWithTheCommit() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            defer { store.close() }
            #expect(try store.sourcePosition("shop-db") == nil)
            let first = try await store.append([Events.web("e1", customer: "c1"), Events.web("e2", customer: "c2")], position: Self.position(1))
            #expect(first.allSatisfy { if case .appended = $0 { true } else { false } })
            #expect(try store.sourcePosition("shop-db") == Self.position(1).value)

            // A change streamed again after a crash: its events are duplicates, and the position moves on.
            let again = try await store.append([Events.web("e2", customer: "c2")], position: Self.position(2))
            #expect(again.map(\.seq) == first.suffix(1).map(\.seq))
            #expect(try store.sourcePosition("shop-db") == Self.position(2).value)

            // A transaction no rule maps to events.
            #expect(try await store.append([], position: Self.position(3)).isEmpty)
            #expect(try store.sourcePosition("shop-db") == Self.position(3).value)

            // An event refused for what it is: sending it again would not change that.
            var invalid = Events.web("e3", customer: "c3")
            invalid.clearOccurredAt()
            let refused = try await store.append([invalid, Events.web("e4", customer: "c4")], position: Self.position(4))
            #expect(refused.first?.storeFailure == nil)
            #expect(refused.first?.seq == nil)
            #expect(refused.last?.seq != nil)
            #expect(try store.sourcePosition("shop-db") == Self.position(4).value)
            #expect(try store.sourcePosition("crm") == nil)
        }
    }

    @Test("a commit that cannot be written moves neither the events nor the position, and says so")
    func failedCommit() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StoreConfiguration()
            configuration.reservedDiskBytes = UInt64.max / 2
            let store = try EventStore(directory: directory, configuration: configuration)
            defer { store.close() }
            await #expect(throws: C360Error.self) {
                try await store.append([Events.web("e1", customer: "c1")], position: Self.position(1))
            }
            #expect(try store.sourcePosition("shop-db") == nil)
            #expect(try store.eventCount() == 0)
        }
    }

    @Test("the position survives a crash with its events: both or neither")
    func survivesACrash() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try EventStore(directory: directory, configuration: RecoveryTests.holdingProjections)
                _ = try await store.append([Events.web("e1", customer: "c1")], position: Self.position(7))
                // Dropped without closing: what a crash leaves.
            }
            let store = try await RecoveryTests.reopen(directory, StoreConfiguration())
            defer { store.close() }
            #expect(try store.sourcePosition("shop-db") == Self.position(7).value)
            #expect(try store.profile(customerID: "c1").eventCount == 1)
        }
    }
}
