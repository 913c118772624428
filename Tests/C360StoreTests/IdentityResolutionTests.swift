import C360Core
import C360Model
import C360Store
import SwiftProtobuf
import Testing

/// Identity resolution against a real store: anonymous histories merged at login, unlinked again,
/// conflicts refused, caps, replay and erasure.
@Suite struct IdentityResolutionTests {
    static let start: Int64 = 1_790_000_000 // 2026-09-21
    static let asOf = Instant(secondsSinceEpoch: start + 10 * 86_400)

    static func event(_ id: String, customer: String = "", cookie: String? = nil, at seconds: Int64, _ payload: C360_V1_Event.OneOf_Payload) -> C360_V1_Event {
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = customer
        if let cookie { event.identities = [.init(type: .cookieID, value: cookie)] }
        event.occurredAt = Google_Protobuf_Timestamp(seconds: seconds)
        event.source = "web"
        event.payload = payload
        return event
    }

    static func productView(_ id: String, customer: String = "", cookie: String?, day: Int64, query: String = "") -> C360_V1_Event {
        var web = C360_V1_WebEvent()
        web.type = .productView
        web.sessionID = "sess_\(cookie ?? customer)_\(day)"
        web.productID = "p_1"
        web.searchQuery = query
        return event(id, customer: customer, cookie: cookie, at: start + day * 86_400, .webEvent(web))
    }

    static func link(_ id: String, customer: String, cookie: String, day: Int64) -> C360_V1_Event {
        var link = C360_V1_IdentityLinked()
        link.identity = .init(type: .cookieID, value: cookie)
        return event(id, customer: customer, at: start + day * 86_400, .identityLinked(link))
    }

    static func unlink(_ id: String, customer: String, cookie: String, day: Int64) -> C360_V1_Event {
        var unlink = C360_V1_IdentityUnlinked()
        unlink.identity = .init(type: .cookieID, value: cookie)
        return event(id, customer: customer, at: start + day * 86_400, .identityUnlinked(unlink))
    }

    static func signup(_ id: String, customer: String, email: String, day: Int64) -> C360_V1_Event {
        var upsert = C360_V1_CustomerUpserted()
        upsert.firstName = "Ada"
        upsert.email = email
        return event(id, customer: customer, at: start + day * 86_400, .customerUpserted(upsert))
    }

    func append(_ store: EventStore, _ events: [C360_V1_Event]) async {
        let outcomes = await store.append(events)
        #expect(outcomes.allSatisfy { $0.isAppended }, "\(outcomes)")
    }

    @Test("browsing before login counts for the customer after the link, an unlink takes it out, replay agrees at every step")
    func mergeAndUnmerge() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            defer { store.close() }
            let cookie = C360_V1_Identity(type: .cookieID, value: "ck_anon")
            await append(store, (1...3).map { Self.productView("anon_\($0)", cookie: "ck_anon", day: Int64($0)) })
            await append(store, [Self.signup("signup", customer: "cust_1", email: "ada@example.com", day: 4)])
            let anonymous = try store.profile(identity: cookie, asOf: Self.asOf)
            #expect(anonymous.customerID.isEmpty)
            #expect(anonymous.recent.productViews == 3)
            #expect(try store.profile(customerID: "cust_1", asOf: Self.asOf).recent.productViews == 0)

            // The login links the cookie: the three anonymous views join the customer.
            await append(store, [Self.link("login", customer: "cust_1", cookie: "ck_anon", day: 5)])
            var customer = try store.profile(customerID: "cust_1", asOf: Self.asOf)
            #expect(customer.recent.productViews == 3)
            #expect(customer.activity.productViews == 3)
            #expect(customer.identities.map(\.identity.value) == ["ada@example.com", "ck_anon"])
            let lineage = try #require(customer.identities.first { $0.identity == cookie })
            #expect(lineage.linkedByEventID == "login")
            #expect(lineage.mergedFromAnonymous)
            #expect(lineage.linkedAt == Instant(secondsSinceEpoch: Self.start + 5 * 86_400))
            #expect(try store.profile(identity: cookie, asOf: Self.asOf).customerID == "cust_1")
            #expect(try store.timeline(customerID: "cust_1").map(\.event.eventID) == ["login", "signup", "anon_3", "anon_2", "anon_1"])

            // Browsing under the cookie after the login counts for the customer too.
            await append(store, [Self.productView("anon_after", cookie: "ck_anon", day: 6)])
            customer = try store.profile(customerID: "cust_1", asOf: Self.asOf)
            #expect(customer.recent.productViews == 4)
            let merged = try store.liveDigest()
            #expect(try await store.replay(fromSnapshot: false).rebuiltDigest == merged)

            _ = try await store.takeSnapshot()
            // A mistaken link undone: the anonymous history is its own again.
            await append(store, [Self.unlink("undo", customer: "cust_1", cookie: "ck_anon", day: 7)])
            customer = try store.profile(customerID: "cust_1", asOf: Self.asOf)
            #expect(customer.recent.productViews == 0)
            #expect(customer.identities.map(\.identity.value) == ["ada@example.com"])
            let alone = try store.profile(identity: cookie, asOf: Self.asOf)
            #expect(alone.customerID.isEmpty)
            #expect(alone.recent.productViews == 4)
            #expect(try store.timeline(customerID: "cust_1").map(\.event.eventID) == ["undo", "login", "signup"])

            let unmerged = try store.liveDigest()
            let full = try await store.replay(fromSnapshot: false)
            #expect(full.matchesLive)
            #expect(full.rebuiltDigest == unmerged)
            let fromSnapshot = try await store.replay(fromSnapshot: true)
            #expect(fromSnapshot.matchesLive)
            #expect(fromSnapshot.rebuiltDigest == unmerged)
        }
    }

    @Test("a link to an identity another customer owns is refused, recorded as a conflict, and merges nothing")
    func conflict() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            defer { store.close() }
            await append(store, [
                Self.productView("anon_1", cookie: "ck_shared", day: 1),
                Self.link("a_login", customer: "cust_a", cookie: "ck_shared", day: 2),
                Self.link("b_login", customer: "cust_b", cookie: "ck_shared", day: 3),
            ])
            let a = try store.profile(customerID: "cust_a", asOf: Self.asOf)
            let b = try store.profile(customerID: "cust_b", asOf: Self.asOf)
            #expect(a.recent.productViews == 1)
            #expect(a.identityConflicts.isEmpty)
            #expect(b.recent.productViews == 0)
            #expect(b.identities.isEmpty)
            #expect(b.identityConflicts.count == 1)
            let conflict = try #require(b.identityConflicts.first)
            #expect(conflict.identity.value == "ck_shared")
            #expect(conflict.eventID == "b_login")
            #expect(conflict.reason == .ownedByAnotherCustomer)
            #expect(try store.profile(identity: .init(type: .cookieID, value: "ck_shared"), asOf: Self.asOf).customerID == "cust_a")

            // The same for an email another customer upserted.
            await append(store, [
                Self.signup("a_signup", customer: "cust_a", email: "shared@example.com", day: 4),
                Self.signup("b_signup", customer: "cust_b", email: "Shared@Example.com", day: 5),
            ])
            let bAgain = try store.profile(customerID: "cust_b", asOf: Self.asOf)
            #expect(bAgain.identityConflicts.map(\.identity.value) == ["ck_shared", "shared@example.com"])
            #expect(try await store.replay(fromSnapshot: false).matchesLive)
        }
    }

    @Test("a history taken out of one customer and merged into another is where the log last put it, after a replay too")
    func historyMovesBetweenCustomers() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            defer { store.close() }
            // cust_a gets the lower subject number, so its resolutions sort before cust_b's.
            await append(store, [
                Self.signup("a_signup", customer: "cust_a", email: "a@example.com", day: 1),
                Self.signup("b_signup", customer: "cust_b", email: "b@example.com", day: 1),
                Self.productView("anon_1", cookie: "ck_moved", day: 2),
                Self.link("b_login", customer: "cust_b", cookie: "ck_moved", day: 3),
                Self.unlink("b_undo", customer: "cust_b", cookie: "ck_moved", day: 4),
                Self.link("a_login", customer: "cust_a", cookie: "ck_moved", day: 5),
            ])
            #expect(try store.profile(customerID: "cust_a", asOf: Self.asOf).recent.productViews == 1)
            #expect(try store.profile(customerID: "cust_b", asOf: Self.asOf).recent.productViews == 0)
            let replay = try await store.replay(fromSnapshot: false)
            #expect(replay.matchesLive, "\(replay.projectionsChanged) projections differ from their replay")
            #expect(try store.profile(customerID: "cust_a", asOf: Self.asOf).recent.productViews == 1)
            #expect(try store.profile(identity: .init(type: .cookieID, value: "ck_moved"), asOf: Self.asOf).customerID == "cust_a")
        }
    }

    @Test("the identity cap is configuration: a link beyond it is refused as a conflict")
    func cap() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StoreConfiguration()
            configuration.maximumIdentitiesPerCustomer = 2
            let store = try EventStore(directory: directory, configuration: configuration)
            defer { store.close() }
            await append(store, (1...3).map { Self.link("l\($0)", customer: "cust_1", cookie: "ck_\($0)", day: Int64($0)) })
            let profile = try store.profile(customerID: "cust_1", asOf: Self.asOf)
            #expect(profile.identities.map(\.identity.value) == ["ck_1", "ck_2"])
            #expect(profile.identityConflicts.map(\.reason) == [.identityCapReached])
            #expect(profile.identityConflicts.map(\.identity.value) == ["ck_3"])
            #expect(throws: C360Error.self, "the refused identity points at no one") {
                try store.profile(identity: .init(type: .cookieID, value: "ck_3"), asOf: Self.asOf)
            }
        }
    }

    @Test("erasing a customer erases the anonymous histories merged into it, from every file")
    func erasureTakesMergedHistories() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            defer { store.close() }
            await append(store, [
                Self.productView("anon_1", cookie: "ck_erase_me_7c1", day: 1, query: "orthopaedic-shoes-size-47-q81"),
                Self.link("login", customer: "cust_gone", cookie: "ck_erase_me_7c1", day: 2),
                Self.productView("other", cookie: "ck_kept", day: 2, query: "kept-query-55"),
            ])
            _ = try await store.takeSnapshot()
            let receipt = try await store.erase(customerID: "cust_gone", requestID: "req-1")
            #expect(receipt.eventsRemoved == 2)
            #expect(receipt.filesWithPersonalData == 0)
            #expect(throws: C360Error.self) { try store.profile(identity: .init(type: .cookieID, value: "ck_erase_me_7c1")) }
            let scan = try PersonalDataScanner().scan(
                directory: directory, for: [Array("orthopaedic-shoes-size-47-q81".utf8), Array("ck_erase_me_7c1".utf8)])
            #expect(scan.filesWithMatches.isEmpty, "\(scan.filesWithMatches)")
            #expect(try PersonalDataScanner().scan(directory: directory, for: [Array("kept-query-55".utf8)]).filesWithMatches.count > 0)
            #expect(try await store.replay(fromSnapshot: false).matchesLive)
            #expect(try await store.replay(fromSnapshot: true).matchesLive)
            #expect(throws: C360Error.self) { try store.profile(identity: .init(type: .cookieID, value: "ck_erase_me_7c1")) }
        }
    }
}
