import C360API
import C360Core
import C360Model
import C360Service
import C360Store
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import SwiftProtobuf
import Testing

@Suite struct ProfileRPCServiceTests {
    static func web(_ id: String, customer: String, seconds: Int64 = 1_767_225_600) -> C360_V1_Event {
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = customer
        event.occurredAt = Google_Protobuf_Timestamp(seconds: seconds)
        event.source = "swift-test"
        var web = C360_V1_WebEvent()
        web.type = .productView
        web.productID = "sku_1"
        web.sessionID = "s1"
        event.webEvent = web
        return event
    }

    static func request(_ events: [C360_V1_Event]) -> C360_V1_AppendEventsRequest {
        var request = C360_V1_AppendEventsRequest()
        request.events = events
        return request
    }

    static func lookup(_ id: String, minSeq: UInt64 = 0) -> C360_V1_GetProfileRequest {
        var request = C360_V1_GetProfileRequest()
        request.customerID = id
        request.minSeq = minSeq
        return request
    }

    @Test("an appended batch is in the profile at once, and a duplicate returns the first seq")
    func appendThenLookup() async throws {
        try await withAPIServer { api, _, _ in
            let response = try await api.appendEvents(Self.request((1...3).map { Self.web("e\($0)", customer: "c1") }))
            #expect(response.results.map(\.seq) == [1, 2, 3])
            let profile = try await api.getProfile(Self.lookup("c1", minSeq: response.lastSeq)).profile
            #expect(profile.activity.productViews == 3)
            #expect(profile.seq == 3)
            let again = try await api.appendEvents(Self.request([Self.web("e2", customer: "c1")]))
            #expect(again.results.first?.duplicateOfSeq == 2)
        }
    }

    @Test("errors carry gRPC status codes: empty id, unknown id, erased customer, over a limit, deadline")
    func statusCodes() async throws {
        var limits = APILimits()
        limits.maxBatchLookups = 2
        try await withAPIServer(limits: limits) { api, _, _ in
            _ = try await api.appendEvents(Self.request([Self.web("e1", customer: "c1")]))
            await #expect { try await api.getProfile(Self.lookup("")) } throws: { ($0 as? RPCError)?.code == .invalidArgument }
            await #expect { try await api.getProfile(Self.lookup("c404")) } throws: { ($0 as? RPCError)?.code == .notFound }
            var batch = C360_V1_BatchGetProfilesRequest()
            batch.customerIds = ["a", "b", "c"]
            await #expect { try await api.batchGetProfiles(batch) } throws: { ($0 as? RPCError)?.code == .resourceExhausted }
            await #expect {
                try await api.getProfile(Self.lookup("c1", minSeq: 1_000_000), options: { var o = CallOptions.defaults; o.timeout = .milliseconds(200); return o }())
            } throws: { ($0 as? RPCError)?.code == .deadlineExceeded }

            var erase = C360_V1_EraseCustomerRequest()
            erase.customerID = "c1"
            erase.requestID = "DSR-1"
            let receipt = try await api.eraseCustomer(erase)
            #expect(receipt.eventsRemoved == 1)
            await #expect { try await api.getProfile(Self.lookup("c1")) } throws: { ($0 as? RPCError)?.code == .failedPrecondition }
            let refused = try await api.appendEvents(Self.request([Self.web("e2", customer: "c1")]))
            #expect(refused.results.first?.error.code == "FAILED_PRECONDITION")
        }
    }

    @Test("a watch sees an append's change, and a resumed watch sees what it missed")
    func watch() async throws {
        try await withAPIServer { api, _, store in
            var request = C360_V1_WatchProfilesRequest()
            request.customerIds = ["w1"]
            let firstRequest = request
            let watching = Task {
                try await api.watchProfiles(firstRequest) { response -> C360_V1_ProfileChange? in
                    for try await change in response.messages { return change }
                    return nil
                }
            }
            // Append once the watch has subscribed.
            while store.changes.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            _ = try await api.appendEvents(Self.request([Self.web("w0", customer: "w1")]))
            let first = try await watching.value
            let seen = try #require(first)
            #expect(seen.customerID == "w1")

            _ = try await api.appendEvents(Self.request([Self.web("later", customer: "w1"), Self.web("other", customer: "w2")]))
            request.afterSeq = seen.seq
            let resumed = try await api.watchProfiles(request) { response -> C360_V1_ProfileChange? in
                for try await change in response.messages { return change }
                return nil
            }
            #expect(resumed?.customerID == "w1")
            #expect(resumed?.seq == store.lastSeq - 1)
        }
    }

    /// Sends fixed bytes as the request, whatever message it is given: for a request no protobuf
    /// library would encode.
    struct SentBytes: MessageSerializer {
        let bytes: [UInt8]
        func serialize<Bytes: GRPCContiguousBytes>(_ message: C360_V1_AppendEventsRequest) throws -> Bytes { Bytes(bytes) }
    }

    @Test("an event sent in a non-canonical encoding (payload before envelope, an unknown field) is read back as protobuf reads what was sent")
    func nonCanonicalEventIsStoredAsSent() async throws {
        try await withAPIServer { api, _, _ in
            let event = Self.web("nc-1", customer: "nc")
            var envelope = event
            envelope.payload = nil
            var payload = C360_V1_Event()
            payload.webEvent = event.webEvent
            // Field 900, a varint: unknown to c360, kept as protobuf keeps it.
            let sent: [UInt8] = try payload.serializedBytes() + (try envelope.serializedBytes() as [UInt8]) + [0xA0, 0x38, 0x07]
            let expected = try C360_V1_Event(serializedBytes: sent)
            #expect(expected.webEvent == event.webEvent && expected.eventID == event.eventID)
            #expect(try expected.serializedBytes() != sent)
            let request = [0x0A, UInt8(sent.count)] + sent
            let response = try await api.appendEvents(
                request: ClientRequest(message: C360_V1_AppendEventsRequest()), serializer: SentBytes(bytes: request),
                deserializer: ProtobufDeserializer<C360_V1_AppendEventsResponse>())
            #expect(response.results.map(\.seq) == [1])
            var timeline = C360_V1_GetTimelineRequest()
            timeline.customerID = "nc"
            #expect(try await api.getTimeline(timeline).events.map(\.event) == [expected])
            #expect(try await api.getProfile(Self.lookup("nc", minSeq: 1)).profile.activity.productViews == 1)
        }
    }

    @Test("the timeline pages newest first through every event once, and filters by kind")
    func timeline() async throws {
        try await withAPIServer { api, _, _ in
            _ = try await api.appendEvents(Self.request((1...12).map { Self.web("t\($0)", customer: "t1", seconds: 1_767_225_600 + Int64($0)) }))
            var seen: [UInt64] = []
            var request = C360_V1_GetTimelineRequest()
            request.customerID = "t1"
            request.pageSize = 5
            repeat {
                let page = try await api.getTimeline(request)
                seen += page.events.map(\.seq)
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty
            #expect(seen == Array((1...12).reversed()))
            request.pageToken = ""
            request.kinds = [.orderPlaced]
            #expect(try await api.getTimeline(request).events.isEmpty)
            request.pageToken = "garbage"
            await #expect { try await api.getTimeline(request) } throws: { ($0 as? RPCError)?.code == .invalidArgument }
        }
    }

    @Test("lookups by identity and in batches: a missing id is marked, not a failed call")
    func identityAndBatch() async throws {
        try await withAPIServer { api, _, _ in
            var upsert = C360_V1_Event()
            upsert.eventID = "u1"
            upsert.customerID = "c7"
            upsert.occurredAt = Google_Protobuf_Timestamp(seconds: 1_767_225_600)
            upsert.source = "crm"
            var customer = C360_V1_CustomerUpserted()
            customer.email = "Linus@Example.net"
            upsert.customerUpserted = customer
            _ = try await api.appendEvents(Self.request([upsert]))

            var byEmail = C360_V1_GetProfileRequest()
            byEmail.identity = .init(type: .email, value: "linus@example.net")
            #expect(try await api.getProfile(byEmail).profile.customerID == "c7")

            var batch = C360_V1_BatchGetProfilesRequest()
            batch.customerIds = ["c7", "nobody", "c7"]
            let results = try await api.batchGetProfiles(batch).results
            #expect(results.map(\.customerID) == ["c7", "nobody", "c7"])
            #expect(results[1].error.code == .notFound)
            #expect(results[0].profile.customerID == "c7")
        }
    }

    @Test("a batch of 100 with one malformed event appends 99 and names the bad one's index and field")
    func partialBatch() async throws {
        try await withAPIServer { api, _, _ in
            var events = (0..<100).map { Self.web("p\($0)", customer: "c9") }
            events[41].webEvent.type = .unspecified
            let response = try await api.appendEvents(Self.request(events))
            #expect(response.results.filter { if case .seq = $0.result { true } else { false } }.count == 99)
            let bad = response.results[41]
            #expect(bad.index == 41)
            #expect(bad.error.field == "web_event.type")
            #expect(bad.error.code == "INVALID_ARGUMENT")
        }
    }

    @Test("a request over the size limit is RESOURCE_EXHAUSTED")
    func oversized() async throws {
        var limits = APILimits()
        limits.maxRequestBytes = 64 << 10
        try await withAPIServer(limits: limits) { api, _, _ in
            var event = Self.web("big", customer: "c1")
            event.webEvent.page = "/" + String(repeating: "x", count: 100 << 10)
            await #expect { try await api.appendEvents(Self.request([event])) } throws: { ($0 as? RPCError)?.code == .resourceExhausted }
        }
    }

    @Test("health reports SERVING")
    func health() async throws {
        try await withAPIServer { _, health, _ in
            var request = Grpc_Health_V1_HealthCheckRequest()
            request.service = "c360.v1.ProfileService"
            let status = try await health.check(request).status
            #expect(status == .serving)
        }
    }
}
