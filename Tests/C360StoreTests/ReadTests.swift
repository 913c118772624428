import C360Core
import C360Model
import C360Store
import Testing

@Suite struct ReadTests {
    @Test("a customer is found by customer id and by email or phone, however the email is cased")
    func lookupByIdentity() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            _ = await store.append([Events.customer("e1", customer: "c1", first: "Ada", last: "Byron", email: "Ada@Example.org", phone: "+441234567890")])
            #expect(try store.profile(customerID: "c1").details.firstName == "Ada")
            #expect(try store.profile(identity: .init(type: .email, value: "ada@example.org")).customerID == "c1")
            #expect(try store.profile(identity: .init(type: .phone, value: "+441234567890")).customerID == "c1")
            let missing = #expect(throws: C360Error.self) { try store.profile(identity: .init(type: .email, value: "nobody@example.org")) }
            #expect(missing?.code == .notFound)
            let unknown = #expect(throws: C360Error.self) { try store.profile(customerID: "c404") }
            #expect(unknown?.code == .notFound)
        }
    }

    @Test("the timeline is newest first and pages back with beforeSeq, visiting every event once")
    func timelinePaging() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            _ = await store.append((1...25).map { Events.web("e\($0)", customer: $0 % 2 == 0 ? "even" : "odd") })
            var seen: [UInt64] = []
            var before: UInt64?
            while true {
                let page = try store.timeline(customerID: "odd", limit: 4, beforeSeq: before)
                if page.isEmpty { break }
                seen += page.map(\.seq)
                before = page.last?.seq
            }
            #expect(seen == Array(stride(from: 25, through: 1, by: -2)).map(UInt64.init))
        }
    }
}
