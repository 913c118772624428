import C360Core
import C360Generator
import C360Model
import Testing

/// A profile must not depend on the order its events arrive in: sources deliver late, a help
/// desk's export after the web shop's stream, a change-data source replays a table. For random
/// histories of orders, status changes, refunds, cancellations and tickets, every interleaving
/// that keeps each source's own order gives the same profile, and so does any permutation at all
/// when no two events share an instant.
@Suite struct ArrivalOrderPropertyTests {
    typealias F = EventFactory

    /// One history: each source's events in the order that source sends them (by time).
    struct History {
        var sources: [[C360_V1_Event]]
        var all: [C360_V1_Event] { sources.flatMap { $0 } }
    }

    /// A random history. Each source's times fall on minutes of their own (shop ≡ 0, point of sale
    /// ≡ 1, order system ≡ 2, help desk ≡ 3 mod 4), so events of different sources never share an
    /// instant; with `ties`, events of one source may (their source's order then decides, and that
    /// order is kept).
    static func history(seed: UInt64, ties: Bool) -> History {
        var random = SeededRandom(seed: seed)
        var minutesUsed = Set<Int64>()
        var counter = 0
        func minute(source: Int64) -> Int64 {
            while true {
                let value = Int64.random(in: 0..<(60 * 24 * 30), using: &random) * 4 + source
                if ties || minutesUsed.insert(value).inserted { return value }
            }
        }
        func event(_ source: String, minute: Int64, _ payload: C360_V1_Event.OneOf_Payload) -> C360_V1_Event {
            counter += 1
            var event = F.event("\(source)-\(counter)", days: Double(minute) / (24 * 60 * 4), payload)
            event.source = source
            return event
        }
        var shop: [(Int64, C360_V1_Event)] = [], pos: [(Int64, C360_V1_Event)] = []
        var orderSystem: [(Int64, C360_V1_Event)] = [], helpDesk: [(Int64, C360_V1_Event)] = []
        let statuses: [C360_V1_OrderStatus] = [.placed, .shipped, .delivered, .cancelled, .returned]
        let products = ["sku_1", "sku_2", "sku_3", "sku_4"]
        for order in 0..<Int.random(in: 1...6, using: &random) {
            let id = "o\(order)"
            let total = Int64.random(in: 1...20_000, using: &random)
            let items = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                (products.randomElement(using: &random)!, Int32.random(in: 1...3, using: &random))
            }
            // One order in ten is never placed: its status changes still arrive.
            if Int.random(in: 0..<10, using: &random) > 0 {
                let status: C360_V1_OrderStatus = Int.random(in: 0..<8, using: &random) == 0 ? .cancelled : .unspecified
                let channel: C360_V1_OrderChannel = [.online, .mobile, .marketplace].randomElement(using: &random)!
                let placed = minute(source: 0)
                shop.append((placed, event("shop", minute: placed, F.order(id, channel: channel, total: total, items: items, status: status))))
                // Sometimes the point of sale reports the same order too, with the same items.
                if Int.random(in: 0..<5, using: &random) == 0 {
                    let again = minute(source: 1)
                    pos.append((again, event("pos", minute: again, F.order(id, channel: .instore, total: total + 1, items: items))))
                }
            }
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                let status = statuses.randomElement(using: &random)!
                let refund: Int64? = Int.random(in: 0..<3, using: &random) == 0 ? Int64.random(in: 1...(total * 2), using: &random) : nil
                let changed = minute(source: 2)
                orderSystem.append((changed, event("oms", minute: changed, F.status(id, status, refunded: refund))))
            }
        }
        let ticketTypes: [C360_V1_TicketEventType] = [.opened, .escalated, .resolved, .reopened]
        for ticket in 0..<Int.random(in: 0...4, using: &random) {
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let type = ticketTypes.randomElement(using: &random)!
                let satisfaction = type == .resolved && Bool.random(using: &random) ? Int32.random(in: 1...5, using: &random) : 0
                let at = minute(source: 3)
                helpDesk.append((at, event("helpdesk", minute: at, F.ticket("t\(ticket)", type, satisfaction: satisfaction))))
            }
        }
        // A source sends in time order; the sort is stable, so ties keep their creation order.
        let ordered = [shop, pos, orderSystem, helpDesk].map { source in
            source.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
        }
        return History(sources: ordered)
    }

    /// A random merge of the sources, each source's events staying in its order.
    static func interleaving(of history: History, using random: inout SeededRandom) -> [C360_V1_Event] {
        var queues = history.sources.map { ArraySlice($0) }
        var merged: [C360_V1_Event] = []
        while let source = queues.indices.filter({ !queues[$0].isEmpty }).randomElement(using: &random) {
            merged.append(queues[source].removeFirst())
        }
        return merged
    }

    static let asOf = Instant(F.time(days: 40))

    static func profile(_ events: [C360_V1_Event]) -> Profile {
        ProfileEvaluator().profile(of: F.fold(events), asOf: asOf)
    }

    @Test("every interleaving that keeps each source's order gives the same profile", arguments: 0..<150)
    func sourceOrderInterleavings(seed: Int) {
        let history = Self.history(seed: UInt64(seed), ties: true)
        let expected = Self.profile(history.all)
        var random = SeededRandom(seed: UInt64(seed) &* 7_919)
        for _ in 0..<20 {
            let arrival = Self.interleaving(of: history, using: &random)
            let profile = Self.profile(arrival)
            #expect(profile == expected, "seed \(seed): \(arrival.map(\.eventID))")
            if profile != expected { return }
        }
        #expect(expected.purchases.lifetimeValue.allSatisfy { $0.minorUnits >= 0 })
    }

    @Test("without shared instants, any permutation gives the same profile", arguments: 0..<150)
    func arbitraryPermutations(seed: Int) {
        let history = Self.history(seed: UInt64(seed) + 1_000_000, ties: false)
        let expected = Self.profile(history.all)
        var random = SeededRandom(seed: UInt64(seed) &* 104_729)
        for _ in 0..<20 {
            let arrival = history.all.shuffled(using: &random)
            let profile = Self.profile(arrival)
            #expect(profile == expected, "seed \(seed): \(arrival.map(\.eventID))")
            if profile != expected { return }
        }
    }

    @Test("the histories exercise what the property is about")
    func historiesAreVaried() {
        let profiles = (0..<150).map { Self.profile(Self.history(seed: UInt64($0), ties: true).all) }
        #expect(profiles.contains { $0.purchases.cancelledOrders > 0 })
        #expect(profiles.contains { $0.purchases.returnedOrders > 0 })
        #expect(profiles.contains { !$0.purchases.refunded.isEmpty })
        #expect(profiles.contains { $0.support.openTickets > 0 })
        #expect(profiles.contains { $0.support.totalTickets > $0.support.openTickets })
        #expect(profiles.contains { $0.purchases.instoreOrders > 0 }, "a repeated placement sometimes decides the channel")
    }
}
