import C360Core
import C360Generator
import C360Model
import C360Store
import Foundation
import Testing

@Suite struct ErasureTests {
    /// Personal data of the customer to erase, chosen so that no other data contains it.
    let first = "Quentavius"
    let last = "Oxleyworth"
    let email = "quentavius.oxleyworth@erase-me.example"
    let phone = "+447700987654"
    let customerID = "cust_to_erase_7f3a"

    @Test("erasure removes the customer's data from every file, answers erased, refuses new events, leaves others unchanged, and holds under replay")
    func erasure() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            var others: [C360_V1_Event] = []
            SyntheticDataGenerator(customers: 300, events: 6_000, seed: 9).generate { others.append($0) }
            _ = await store.append(Array(others.prefix(3_000)))

            var target = [Events.customer("x1", customer: customerID, first: first, last: last, email: email, phone: phone)]
            target += (2...40).map { Events.web("x\($0)", customer: customerID, seconds: 1_767_225_600 + Int64($0)) }
            var linked = Events.web("x41", customer: customerID)
            linked.identities = [.init(type: .cookieID, value: "cookie-of-quentavius")]
            target.append(linked)
            #expect(await store.append(target).allSatisfy { $0.isAppended })
            // A snapshot and later writes, so the customer's data sits in a snapshot, SST files and the WAL.
            _ = try await store.takeSnapshot()
            _ = await store.append(Array(others.suffix(3_000)))
            _ = await store.append([Events.web("x42", customer: customerID)])

            let personalData = [first, last, email, phone, customerID, "cookie-of-quentavius"]
            #expect(try !filesHoldingAny(of: personalData, under: directory).isEmpty, "the test must see the data before erasing it")

            let otherIDs = (1...300).map(SyntheticDataGenerator.customerID)
            let before = try otherIDs.map { try store.projection(customerID: $0) }

            let receipt = try await store.erase(customerID: customerID, requestID: "DSR-42")
            #expect(receipt.eventsRemoved == 42)
            #expect(receipt.projectionRemoved)
            #expect(receipt.snapshotEntriesRemoved == 1)
            #expect(receipt.identitiesRemoved == 3)
            #expect(receipt.tombstone.requestID == "DSR-42")
            #expect(receipt.filesVerified > 0)
            #expect(receipt.filesWithPersonalData == 0)

            #expect(try filesHoldingAny(of: personalData, under: directory) == [])

            let lookup = #expect(throws: C360Error.self) { try store.profile(customerID: customerID) }
            #expect(lookup?.code == .erased)
            let timeline = #expect(throws: C360Error.self) { try store.timeline(customerID: customerID) }
            #expect(timeline?.code == .erased)
            let byEmail = #expect(throws: C360Error.self) { try store.profile(identity: .init(type: .email, value: email)) }
            #expect(byEmail?.code == .notFound)

            let refused = await store.append([Events.web("x99", customer: customerID)])
            #expect(refused.first?.error?.code == .erased)
            #expect(refused.first?.error?.field == "customer_id")

            let after = try otherIDs.map { try store.projection(customerID: $0) }
            #expect(after == before)

            let full = try await store.replay(fromSnapshot: false)
            #expect(full.matchesLive)
            let fromSnapshot = try await store.replay(fromSnapshot: true)
            #expect(fromSnapshot.matchesLive)
            #expect(throws: C360Error.self) { try store.profile(customerID: customerID) }
            #expect(try filesHoldingAny(of: personalData, under: directory) == [])

            // The tombstone is in the log and carries no personal data; erasing again changes nothing.
            let tombstone = try #require(try store.tombstone(customerID: customerID))
            #expect(tombstone.requestID == "DSR-42")
            let again = try await store.erase(customerID: customerID, requestID: "DSR-43")
            #expect(again.tombstone == tombstone)
            #expect(again.eventsRemoved == 0)
        }
    }

    @Test("erasures asked for at the same time are made physical together: each receipt proves its own customer gone, others stay")
    func concurrentErasures() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            var others: [C360_V1_Event] = []
            SyntheticDataGenerator(customers: 200, events: 4_000, seed: 5).generate { others.append($0) }
            _ = await store.append(others)
            let erased = (1...12).map { "cust_concurrent_erase_\($0)" }
            for (number, customer) in erased.enumerated() {
                let events = [Events.customer("ce\(number)", customer: customer, first: "Firstname\(number)x", last: "Lastname\(number)y",
                                              email: "\(customer)@erase-me.example", phone: "+4477009\(100_000 + number)")]
                #expect(await store.append(events).allSatisfy { $0.isAppended })
            }
            let otherIDs = (1...200).map(SyntheticDataGenerator.customerID)
            let before = try otherIDs.map { try store.projection(customerID: $0) }

            let receipts = try await withThrowingTaskGroup(of: C360_V1_EraseReceipt.self) { group in
                // Request ids are kept (tombstone, audit log): like a ticket number, they name no one.
                for (number, customer) in erased.enumerated() {
                    group.addTask { try await store.erase(customerID: customer, requestID: "DSR-\(number)") }
                }
                // Appends for others go on while the erasures are made physical.
                group.addTask {
                    let outcomes = await store.append([Events.web("during-erasures", customer: otherIDs[0])])
                    #expect(outcomes.allSatisfy { $0.isAppended })
                    return C360_V1_EraseReceipt()
                }
                return try await group.reduce(into: []) { $0.append($1) }.filter { $0.eventsRemoved > 0 }
            }
            #expect(receipts.count == erased.count)
            #expect(receipts.allSatisfy { $0.filesVerified > 0 && $0.filesWithPersonalData == 0 && $0.projectionRemoved })
            let personalData = erased + erased.map { "\($0)@erase-me.example" } + (0..<12).map { "Firstname\($0)x" }
            #expect(try filesHoldingAny(of: personalData, under: directory) == [])
            for customer in erased {
                #expect(throws: C360Error.self) { try store.profile(customerID: customer) }
            }
            let after = try otherIDs.dropFirst().map { try store.projection(customerID: $0) }
            #expect(after == Array(before.dropFirst()))
            #expect(try store.projection(customerID: otherIDs[0]).eventCount == before[0].eventCount + 1)
        }
    }

    @Test("an event prepared while its customer was known, and handed to the writer after the customer's erasure, is refused and brings nothing of them back")
    func eventPreparedBeforeErasure() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            defer { store.close() }
            #expect(await store.append([Events.web("p1", customer: customerID)]).allSatisfy(\.isAppended))
            // Prepared now, the event carries the customer's subject, not the hash of their id.
            let late = store.prepare([Events.web("p2", customer: customerID)])
            _ = try await store.erase(customerID: customerID, requestID: "DSR-7")

            let outcomes = await store.append(prepared: late)
            #expect(outcomes.first?.error?.code == .erased)
            #expect(outcomes.first?.error?.field == "customer_id")
            let lookup = #expect(throws: C360Error.self) { try store.profile(customerID: customerID) }
            #expect(lookup?.code == .erased)
            #expect(try filesHoldingAny(of: [customerID], under: directory) == [])
        }
    }

    @Test("an erased customer stays erased after the store is reopened")
    func erasureSurvivesReopen() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try EventStore(directory: directory)
                _ = await store.append([Events.web("x1", customer: customerID)])
                _ = try await store.erase(customerID: customerID, requestID: "DSR-1")
                // Closed, not left to deinit: the erasure's queue may still hold the store for a moment.
                store.close()
            }
            let store = try EventStore(directory: directory)
            #expect(await store.append([Events.web("x2", customer: customerID)]).first?.error?.code == .erased)
        }
    }
}

@Suite struct ErasedIdentityTests {
    @Test("after an erasure, an anonymous event naming the customer's cookie is refused; under a new customer id it is a new sign-up")
    func erasedIdentityRefusedWhenAnonymous() async throws {
        try await withTemporaryDirectory { directory in
            var anonymous = Events.web("a2", customer: "")
            anonymous.identities = [.init(type: .cookieID, value: "ck-erased-person")]
            do {
                let store = try EventStore(directory: directory)
                var linked = Events.web("a1", customer: "cust_gone")
                linked.identities = [.init(type: .cookieID, value: "ck-erased-person")]
                #expect(await store.append([linked]).allSatisfy(\.isAppended))
                _ = try await store.erase(customerID: "cust_gone", requestID: "DSR-1")

                let refused = await store.append([anonymous])
                #expect(refused.first?.error?.code == .erased)
                #expect(refused.first?.error?.field == "identities[0]")

                var signUp = Events.web("a3", customer: "cust_new")
                signUp.identities = [.init(type: .cookieID, value: "ck-erased-person")]
                #expect(await store.append([signUp]).allSatisfy(\.isAppended))
                store.close()
            }
            // The refusal survives a restart: it is kept in the tombstones, as a keyed hash.
            let reopened = try EventStore(directory: directory)
            defer { reopened.close() }
            anonymous.eventID = "a4"
            #expect(await reopened.append([anonymous]).first?.error?.code == .erased)
        }
    }
}
