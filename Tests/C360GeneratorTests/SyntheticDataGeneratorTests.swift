import C360Core
import C360Generator
import C360Model
import Testing
import SwiftProtobuf

@Suite struct SyntheticDataGeneratorTests {
    private func events(customers: Int, events: Int, seed: UInt64) -> [C360_V1_Event] {
        var all: [C360_V1_Event] = []
        SyntheticDataGenerator(customers: customers, events: events, seed: seed).generate { all.append($0) }
        return all
    }

    @Test("the same seed gives the same bytes; another seed gives others")
    func deterministic() throws {
        let first = try events(customers: 200, events: 3_000, seed: 5).map { try $0.jsonString() }
        let second = try events(customers: 200, events: 3_000, seed: 5).map { try $0.jsonString() }
        let other = try events(customers: 200, events: 3_000, seed: 6).map { try $0.jsonString() }
        #expect(first == second)
        #expect(first != other)
    }

    @Test("every generated event is valid, event ids are unique, and every customer signs up first")
    func valid() throws {
        let all = events(customers: 300, events: 10_000, seed: 1)
        #expect(all.count == 10_000)
        let validator = EventValidator()
        for event in all { try validator.validate(event) }
        #expect(Set(all.map(\.eventID)).count == all.count)
        let signups = all.prefix(300)
        #expect(signups.allSatisfy { if case .customerUpserted = $0.payload { true } else { false } })
        #expect(Set(signups.map(\.customerID)).count == 300)
    }

    @Test("the data looks like a shop's: every kind of event occurs, in realistic proportions")
    func realistic() {
        let all = events(customers: 500, events: 20_000, seed: 2)
        var kinds: [String: Int] = [:]
        for event in all {
            let kind = switch event.payload {
            case .webEvent: "web"
            case .emailEvent: "email"
            case .orderPlaced: "order"
            case .orderStatusChanged: "status"
            case .ticketEvent: "ticket"
            case .customerUpserted: "customer"
            default: "other"
            }
            kinds[kind, default: 0] += 1
        }
        #expect(kinds["web", default: 0] > kinds["email", default: 0])
        #expect(kinds["email", default: 0] > kinds["order", default: 0])
        #expect(kinds["order", default: 0] > 1_000)
        #expect(kinds["status", default: 0] > 0)
        #expect(kinds["ticket", default: 0] > 0)
        let channels = Set(all.compactMap { if case .orderPlaced(let order) = $0.payload { order.channel } else { nil } })
        #expect(channels == [.online, .instore, .mobile, .marketplace])
        let anonymous = all.filter { $0.customerID.isEmpty }
        #expect(anonymous.count > 100, "some browsing is anonymous")
        #expect(anonymous.allSatisfy { $0.identities.first?.type == .cookieID })
        let logins = all.filter { if case .webEvent(let web) = $0.payload { web.type == .loginSuccess && !$0.customerID.isEmpty } else { false } }
        #expect(logins.contains { $0.identities.first?.type == .cookieID }, "a login carries the cookie, linking it")
        let webTypes = Set(all.compactMap { if case .webEvent(let web) = $0.payload { web.type } else { nil } })
        #expect(webTypes.isSuperset(of: [.pageView, .productView, .loginSuccess, .loginFailure, .error]))
    }
}
