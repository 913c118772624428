import C360Core
import C360Generator
import C360Model
import C360Store
import Foundation
import SwiftProtobuf
import Testing

/// Erasure as a property over random histories: whatever happened before — upserts, orders,
/// identity links, anonymous browsing merged at a login, snapshots, other erasures, appends racing
/// the erasure — afterwards none of the erased customer's personal data is on any file under the
/// data directory, the other customers are unchanged, and neither replay (from the start or from a
/// snapshot taken before) nor reopening brings the customer back.
///
/// `C360_ERASURE_HISTORIES` sets the number of histories (default 6; the reliability suite's full
/// run uses more).
@Suite struct ErasurePropertyTests {
    static let histories = Int(ProcessInfo.processInfo.environment["C360_ERASURE_HISTORIES"] ?? "") ?? 6

    /// One customer's personal data: every string is random, so it occurs nowhere else.
    struct Person {
        let id: String
        let first, last, email, phone, street, cookie, device: String

        init(_ index: Int, random: inout SeededRandom) {
            func word(_ length: Int) -> String {
                String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(random.int(in: 0...25)))) })
            }
            id = "cust_\(index)_\(word(8))"
            first = word(10).capitalized
            last = word(12).capitalized
            email = "\(word(9))@\(word(7)).example"
            phone = "+4477\((0..<8).map { _ in String(random.int(in: 0...9)) }.joined())"
            street = "\(random.int(in: 1...99)) \(word(9).capitalized) Street"
            cookie = "ck-\(word(16))"
            device = "dv-\(word(16))"
        }

        func needles(cookieLinked: Bool) -> [String] {
            [id, first, last, email, phone, street, device] + (cookieLinked ? [cookie] : [])
        }
    }

    final class History {
        var random: SeededRandom
        var people: [Person]
        var erased: Set<Int> = []
        /// People whose cookie was linked to them: from then on, browsing under it is theirs. Until
        /// then it belongs to an anonymous visitor, which erasing the customer does not touch.
        var cookieLinked: Set<String> = []
        var nextEvent = 0

        init(seed: UInt64) {
            var random = SeededRandom(seed: seed)
            people = (0..<random.int(in: 3...7)).map { Person($0, random: &random) }
            self.random = random
        }

        func eventID() -> String {
            nextEvent += 1
            return "ev-\(nextEvent)"
        }

        func base(_ customer: String?, seconds: Int64? = nil) -> C360_V1_Event {
            var event = C360_V1_Event()
            event.eventID = eventID()
            if let customer { event.customerID = customer }
            event.occurredAt = Google_Protobuf_Timestamp(seconds: seconds ?? 1_767_225_600 + Int64(nextEvent) * 60)
            event.source = "property"
            return event
        }

        /// A random event for `person`: an upsert with personal data, an order shipped to them, a
        /// page view, a link of their cookie or device, or anonymous browsing under their cookie.
        func event(for person: Person) -> C360_V1_Event {
            switch random.int(in: 0...5) {
            case 0:
                var event = base(person.id)
                var upsert = C360_V1_CustomerUpserted()
                upsert.firstName = person.first
                upsert.lastName = person.last
                upsert.email = person.email
                upsert.phone = person.phone
                upsert.dateOfBirth = "1984-02-29"
                upsert.address.line1 = person.street
                upsert.address.country = "GB"
                event.customerUpserted = upsert
                return event
            case 1:
                var event = base(person.id)
                var order = C360_V1_OrderPlaced()
                order.orderID = "o-\(nextEvent)"
                order.channel = .online
                order.total = .with { $0.minorUnits = Int64(random.int(in: 100...90_000)); $0.currency = "GBP" }
                order.items = [.with { $0.productID = "sku_\(random.int(in: 1...9))"; $0.name = "Thing"; $0.category = "misc"; $0.quantity = 1; $0.unitPrice = order.total }]
                event.orderPlaced = order
                return event
            case 2:
                var event = base(person.id)
                event.identities = [.with { $0.type = .cookieID; $0.value = person.cookie }]
                event.webEvent = .with { $0.type = .pageView; $0.sessionID = "s"; $0.page = "/" }
                return event
            case 3:
                var event = base(person.id)
                event.identityLinked = .with { $0.identity = .with { $0.type = .deviceID; $0.value = person.device } }
                return event
            default:
                // Before a login: only the cookie says who it is.
                var event = base(nil)
                event.identities = [.with { $0.type = .cookieID; $0.value = person.cookie }]
                event.webEvent = .with { $0.type = .productView; $0.sessionID = "anon"; $0.productID = "sku_1" }
                return event
            }
        }
    }

    func expectErased(_ person: Person, cookieLinked: Bool, in store: EventStore, _ comment: String) throws {
        #expect(try filesHoldingAny(of: person.needles(cookieLinked: cookieLinked), under: store.directory) == [], "\(comment)")
        let lookup = #expect(throws: C360Error.self, "\(comment)") { try store.profile(customerID: person.id) }
        #expect(lookup?.code == .erased, "\(comment)")
        var identities: [C360_V1_Identity] = [.with { $0.type = .email; $0.value = person.email }, .with { $0.type = .deviceID; $0.value = person.device }]
        if cookieLinked { identities.append(.with { $0.type = .cookieID; $0.value = person.cookie }) }
        for identity in identities {
            #expect(throws: C360Error.self, "\(comment): found by \(identity.value)") { try store.profile(identity: identity) }
        }
    }

    @Test("after erasing, nothing of the customer is on disk, others are unchanged, and neither replay nor reopening brings them back",
          arguments: 0..<histories)
    func randomHistory(seed: Int) async throws {
        try await withTemporaryDirectory { directory in
            let history = try await play(seed: seed, in: directory)
            let reopened = try EventStore(directory: directory)
            defer { reopened.close() }
            for victim in history.erased.sorted() {
                let person = history.people[victim]
                try expectErased(person, cookieLinked: history.cookieLinked.contains(person.id), in: reopened, "history \(seed) after replay and reopening")
            }
        }
    }

    /// Plays a random history on a store in `directory`, checking each erasure as it happens, then
    /// replays it and closes the store.
    func play(seed: Int, in directory: String) async throws -> History {
        do {
            let history = History(seed: UInt64(seed) &* 7_919 &+ 17)
            let store = try EventStore(directory: directory)
            var snapshotted = false
            for step in 0..<history.random.int(in: 40...120) {
                let living = history.people.indices.filter { !history.erased.contains($0) }
                guard !living.isEmpty else { break }
                let roll = history.random.int(in: 0...99)
                if roll < 4 {
                    _ = try await store.takeSnapshot()
                    snapshotted = true
                } else if roll < 10, living.count > 1 {
                    let victim = history.random.pick(living)
                    let person = history.people[victim]
                    let others = living.filter { $0 != victim }.map { history.people[$0].id }
                    let before = others.map { try? store.projection(customerID: $0) }
                    let racing = history.random.chance(0.5)
                    // Appends for the same customer racing the erasure: each lands before the
                    // tombstone (and is erased with the rest) or after it (and is refused).
                    let raced = racing ? (0..<8).map { _ in history.event(for: person) } : []
                    let open = store
                    let racer = Task {
                        var outcomes: [[AppendOutcome]] = []
                        for event in raced { outcomes.append(await open.append([event])) }
                        return outcomes
                    }
                    let receipt = try await store.erase(customerID: person.id, requestID: "DSR-\(seed)-\(step)")
                    let outcomes = await racer.value
                    history.erased.insert(victim)
                    #expect(receipt.filesWithPersonalData == 0)
                    #expect(outcomes.allSatisfy { $0.count == 1 })
                    try expectErased(person, cookieLinked: history.cookieLinked.contains(person.id), in: store, "history \(seed) step \(step)")
                    #expect(others.map { try? store.projection(customerID: $0) } == before, "history \(seed) step \(step): others changed")
                } else {
                    let person = history.people[history.random.pick(living)]
                    let events = (0..<history.random.int(in: 1...4)).map { _ in history.event(for: person) }
                    let outcomes = await store.append(events)
                    #expect(outcomes.allSatisfy { $0.error == nil }, "history \(seed) step \(step): \(outcomes)")
                    if events.contains(where: { $0.customerID == person.id && $0.identities.contains { $0.value == person.cookie } }) {
                        history.cookieLinked.insert(person.id)
                    }
                }
            }
            // The log replayed, from the start and from the snapshot (taken before some erasures),
            // and the store reopened: the erased stay erased.
            #expect(try await store.replay(fromSnapshot: false).matchesLive)
            if snapshotted { #expect(try await store.replay(fromSnapshot: true).matchesLive) }
            store.close()
            return history
        }
    }
}
