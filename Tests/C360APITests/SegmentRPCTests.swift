import C360API
import C360Core
import C360Model
import C360Service
import C360Store
import GRPCCore
import SwiftProtobuf
import Testing

@Suite struct SegmentRPCTests {
    static func configuration() -> StoreConfiguration {
        var configuration = StoreConfiguration()
        configuration.segments = Segment.examples
        return configuration
    }

    static func order(_ id: String, customer: String, minor: Int64) -> C360_V1_Event {
        var order = C360_V1_OrderPlaced()
        order.orderID = "o_\(id)"
        order.channel = .online
        order.total = .with { $0.minorUnits = minor; $0.currency = "GBP" }
        return .with {
            $0.eventID = id
            $0.customerID = customer
            $0.occurredAt = Instant.now.timestamp
            $0.source = "shop"
            $0.orderPlaced = order
        }
    }

    static func append(_ api: C360_V1_ProfileService.Client<some ClientTransport>, _ events: [C360_V1_Event]) async throws {
        let response = try await api.appendEvents(.with { $0.events = events })
        #expect(response.results.allSatisfy { if case .seq = $0.result { true } else { false } })
    }

    @Test("WatchSegment lists members, then streams ENTER when an append crosses the threshold and LEAVE on erasure; ListSegment pages")
    func watchAndList() async throws {
        try await withAPIServer(configuration: Self.configuration()) { api, _, store in
            try await Self.append(api, [Self.order("a1", customer: "cust_a", minor: 150_000)])
            let watching = Task {
                try await api.watchSegment(.with { $0.segment = "big_spender" }) { response -> [C360_V1_SegmentEvent] in
                    var events: [C360_V1_SegmentEvent] = []
                    for try await event in response.messages {
                        events.append(event)
                        if events.count == 4 { break }
                    }
                    return events
                }
            }
            while store.segmentChanges.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            try await Self.append(api, [Self.order("b1", customer: "cust_b", minor: 60_000)])
            try await Self.append(api, [Self.order("b2", customer: "cust_b", minor: 50_000)])
            _ = try await api.eraseCustomer(.with { $0.customerID = "cust_a"; $0.requestID = "r1" })
            let events = try await watching.value
            #expect(events.map(\.kind) == [.member, .synced, .enter, .leave])
            #expect(events.map(\.customerID) == ["cust_a", "", "cust_b", "cust_a"])
            #expect(!events[2].resumeToken.isEmpty)

            // Resuming after the ENTER delivers the LEAVE it missed, without listing members again.
            let resumed = try await api.watchSegment(.with { $0.segment = "big_spender"; $0.resumeToken = events[2].resumeToken }) { response -> C360_V1_SegmentEvent? in
                for try await event in response.messages { return event }
                return nil
            }
            #expect(resumed?.kind == .leave)
            #expect(resumed?.customerID == "cust_a")

            for i in 1...5 { try await Self.append(api, [Self.order("c\(i)", customer: "cust_c\(i)", minor: 100_000)]) }
            var members: [String] = []
            var request = C360_V1_ListSegmentRequest.with { $0.segment = "big_spender"; $0.pageSize = 2 }
            repeat {
                let page = try await api.listSegment(request)
                #expect(page.customerIds.count <= 2)
                #expect(page.evaluatedDay == CalendarDate(Instant.now).description)
                members += page.customerIds
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty
            #expect(Set(members) == ["cust_b", "cust_c1", "cust_c2", "cust_c3", "cust_c4", "cust_c5"])
            #expect(members.count == 6)

            await #expect(throws: RPCError.self) { try await api.listSegment(.with { $0.segment = "nope" }) }
            do {
                _ = try await api.listSegment(.with { $0.segment = "nope" })
            } catch let error as RPCError {
                #expect(error.code == .notFound)
            }
            do {
                _ = try await api.listSegment(.with { $0.segment = "big_spender"; $0.pageToken = "garbage" })
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument)
            }
        }
    }
}
