import C360Core
import C360Model
import C360Store
import SwiftProtobuf
import Testing

@Suite struct SegmentTests {
    static func configuration() -> StoreConfiguration {
        var configuration = StoreConfiguration()
        configuration.segments = Segment.examples
        return configuration
    }

    static func view(_ id: String, customer: String, at instant: Instant) -> C360_V1_Event {
        var web = C360_V1_WebEvent()
        web.type = .productView
        web.sessionID = "s_\(customer)"
        web.productID = "p_1"
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = customer
        event.occurredAt = instant.timestamp
        event.source = "web"
        event.webEvent = web
        return event
    }

    @Test("crossing a threshold emits enter on the stream, a later append emits leave; time passing and replay agree")
    func enterAndLeave() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory, configuration: Self.configuration())
            defer { store.close() }
            let today = Instant.now.dayNumber
            let now = Instant(microsecondsSinceEpoch: today * 86_400_000_000 + 3_600_000_000)
            let watch = store.segmentChanges.subscribe(segment: "high_intent", resumingAfter: nil)
            var changes = watch.stream.makeAsyncIterator()

            _ = await store.append((1...10).map { Self.view("a\($0)", customer: "cust_a", at: now) })
            #expect(try store.segmentMembers("high_intent").customerIDs.isEmpty, "10 views are not more than 10")
            _ = await store.append([Self.view("a11", customer: "cust_a", at: now)])
            let enter = try await changes.next()
            #expect(enter?.kind == .enter)
            #expect(enter?.customerID == "cust_a")
            #expect(try store.segmentMembers("high_intent").customerIDs == ["cust_a"])

            _ = await store.append([Events.order("a12", customer: "cust_a", at: now), Events.order("a13", customer: "cust_a", at: now)])
            let leave = try await changes.next()
            #expect(leave?.kind == .leave)
            #expect(leave?.customerID == "cust_a")
            #expect(try store.segmentMembers("high_intent").customerIDs.isEmpty)

            // Another customer stays in: big_spender and high_intent, and a replay keeps membership as it was.
            _ = await store.append((1...12).map { Self.view("b\($0)", customer: "cust_b", at: now) } + [Events.order("b13", customer: "cust_b", at: now, minor: 150_000)])
            let before = try store.allSegmentMembers()
            #expect(before["high_intent"] == ["cust_b"])
            #expect(before["big_spender"] == ["cust_b"])
            let replay = try await store.replay(fromSnapshot: false)
            #expect(replay.matchesLive)
            #expect(replay.segmentMembershipChanges == 0)
            #expect(try store.allSegmentMembers() == before)

            // Forty days on, with no new events, the 30-day views are gone: cust_b leaves high_intent.
            let later = try await store.refreshSegments(day: today + 40)
            #expect(later.left == 1)
            #expect(later.members["high_intent"] == 0)
            #expect(later.members["big_spender"] == 1)
            #expect(try await changes.next()?.kind == .enter, "cust_b's enter")
            let aged = try await changes.next()
            #expect(aged?.kind == .leave)
            #expect(aged?.customerID == "cust_b")
        }
    }

    @Test("a resumed watch gets what it missed; erasure takes the customer out of every segment")
    func resumeAndErase() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory, configuration: Self.configuration())
            defer { store.close() }
            let now = Instant.now
            _ = await store.append([Events.order("c1", customer: "cust_c", at: now, minor: 200_000)])
            let first = store.segmentChanges.subscribe(segment: "big_spender", resumingAfter: nil)
            _ = await store.append([Events.order("d1", customer: "cust_d", at: now, minor: 300_000)])
            var iterator = first.stream.makeAsyncIterator()
            let seen = try #require(try await iterator.next())
            #expect(seen.customerID == "cust_d")

            _ = await store.append([Events.order("e1", customer: "cust_e", at: now, minor: 300_000)])
            let resumed = store.segmentChanges.subscribe(segment: "big_spender", resumingAfter: (store.segmentChanges.epoch, seen.position))
            #expect(resumed.backlog?.map(\.customerID) == ["cust_e"])
            #expect(store.segmentChanges.subscribe(segment: "big_spender", resumingAfter: (store.segmentChanges.epoch &+ 1, 1)).backlog == nil,
                    "another run's token cannot resume")

            _ = try await store.erase(customerID: "cust_d", requestID: "r1")
            #expect(Set(try store.segmentMembers("big_spender").customerIDs) == ["cust_c", "cust_e"])
            #expect(try await iterator.next()?.customerID == "cust_e")
            let left = try await iterator.next()
            #expect(left?.kind == .leave)
            #expect(left?.customerID == "cust_d")
            #expect(throws: C360Error.self) { try store.segmentMembers("no_such_segment") }
        }
    }
}
