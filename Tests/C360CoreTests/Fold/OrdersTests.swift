import C360Core
import C360Model
import Testing

@Suite struct OrdersTests {
    typealias F = EventFactory

    @Test("orders are counted per channel, with items, spend, first and last order")
    func countsAndSpend() {
        let projection = F.fold([
            F.event("e1", days: 10, F.order("o1", channel: .online, total: 2_500, items: [("sku_1", 2), ("sku_2", 1)])),
            F.event("e2", days: 3, F.order("o2", channel: .instore, total: 1_000)),
            F.event("e3", days: 20, F.order("o3", channel: .mobile, total: 499, items: [("sku_1", 1)])),
        ])
        let orders = projection.orders
        #expect(orders.online == 1)
        #expect(orders.instore == 1)
        #expect(orders.mobile == 1)
        #expect(orders.items == 5)
        #expect(orders.spend.map(\.minorUnits) == [3_999])
        // Out of order: the earliest placement is the first order, the latest the last.
        #expect(orders.firstOrderAtUs == Instant(F.time(days: 3)).microsecondsSinceEpoch)
        #expect(orders.lastOrderAtUs == Instant(F.time(days: 20)).microsecondsSinceEpoch)
        #expect(orders.lastOrderID == "o3")
        #expect(orders.lastOrderStatus == .placed)
    }

    @Test("orders whose totals sum beyond 64 bits hold lifetime value at the largest amount instead of trapping")
    func spendBeyondSixtyFourBits() {
        // Each amount is bounded when appended (`EventValidator.maximumMinorUnits`); a history
        // of enough of them is not, so the fold's sum is checked with three halves of the range.
        let orders = (0..<3).map { F.event("e\($0)", days: Double($0), F.order("o\($0)", total: .max / 2)) }
        #expect(F.fold(orders).orders.spend.map(\.minorUnits) == [.max])
    }

    @Test("a cancelled order leaves lifetime value unchanged")
    func cancellationRemovesSpend() {
        let before = F.fold([F.event("e1", F.order("o1", total: 2_000))])
        let after = F.fold([
            F.event("e1", F.order("o1", total: 2_000)),
            F.event("e2", days: 1, F.order("o2", total: 5_000)),
            F.event("e3", days: 2, F.status("o2", .cancelled)),
        ])
        #expect(after.orders.spend == before.orders.spend)
        #expect(after.orders.cancelled == 1)
        #expect(after.orders.lastOrderStatus == .cancelled)
    }

    @Test("an order placed already cancelled adds nothing to spend")
    func placedCancelled() {
        let projection = F.fold([F.event("e1", F.order("o1", total: 2_000, status: .cancelled))])
        #expect(projection.orders.spend.isEmpty)
        #expect(projection.orders.cancelled == 1)
    }

    @Test("a return with a refund counts the return and takes the refund out of spend")
    func returnAndRefund() {
        let projection = F.fold([
            F.event("e1", F.order("o1", total: 6_000)),
            F.event("e2", days: 5, F.status("o1", .returned, refunded: 2_000)),
        ])
        #expect(projection.orders.returned == 1)
        #expect(projection.orders.refunded.map(\.minorUnits) == [2_000])
        #expect(projection.orders.spend.map(\.minorUnits) == [4_000])
    }

    @Test("a refund on a cancelled order is not taken out of spend twice")
    func refundAfterCancellation() {
        let projection = F.fold([
            F.event("e1", F.order("o1", total: 6_000)),
            F.event("e2", days: 1, F.status("o1", .cancelled, refunded: 6_000)),
        ])
        #expect(projection.orders.spend.isEmpty)
        #expect(projection.orders.refunded.map(\.minorUnits) == [6_000])
    }

    @Test("a returned, fully refunded order later cancelled leaves lifetime value at zero, in either arrival order")
    func refundThenCancellation() {
        let placed = F.event("e1", F.order("o1", total: 8_598))
        let returned = F.event("e2", days: 1, F.status("o1", .returned, refunded: 8_598))
        let cancelled = F.event("e3", days: 2, F.status("o1", .cancelled))
        for arrival in [[placed, returned, cancelled], [placed, cancelled, returned], [cancelled, returned, placed]] {
            let orders = F.fold(arrival).orders
            #expect(orders.spend.isEmpty)
            #expect(orders.refunded.map(\.minorUnits) == [8_598])
            #expect(orders.cancelled == 1)
            #expect(orders.returned == 0)
            #expect(orders.lastOrderStatus == .cancelled)
        }
    }

    @Test("an order's status is its latest status change by occurred_at, not the last to arrive")
    func statusByTime() {
        let placed = F.event("e1", F.order("o1", total: 3_000))
        let cancelled = F.event("e2", days: 1, F.status("o1", .cancelled))
        let delivered = F.event("e3", days: 2, F.status("o1", .delivered))
        for arrival in [[placed, cancelled, delivered], [placed, delivered, cancelled], [delivered, cancelled, placed]] {
            let orders = F.fold(arrival).orders
            #expect(orders.lastOrderStatus == .delivered)
            #expect(orders.spend.map(\.minorUnits) == [3_000])
            #expect(orders.cancelled == 0)
        }
    }

    @Test("refunds beyond an order's total leave it contributing nothing, never a negative lifetime value")
    func refundsBeyondTotal() {
        let orders = F.fold([
            F.event("e1", F.order("o1", total: 1_000)),
            F.event("e2", days: 1, F.status("o1", .returned, refunded: 800)),
            F.event("e3", days: 2, F.status("o1", .returned, refunded: 800)),
            F.event("e4", days: 3, F.order("o2", total: 500)),
        ]).orders
        #expect(orders.spend.map(\.minorUnits) == [500])
        #expect(orders.spend.map(\.orders) == [2])
        #expect(orders.refunded.map(\.minorUnits) == [1_600])
    }

    @Test("a status change for an order not placed yet waits for the placement")
    func statusBeforePlacement() {
        let early = F.fold([F.event("e1", days: 1, F.status("o1", .returned, refunded: 400))]).orders
        #expect(early.online == 0)
        #expect(early.returned == 0, "an order never placed is not among the customer's orders")
        #expect(early.refunded.map(\.minorUnits) == [400])
        let later = F.fold([
            F.event("e1", days: 1, F.status("o1", .returned, refunded: 400)),
            F.event("e2", F.order("o1", total: 1_000)),
        ]).orders
        #expect(later.returned == 1)
        #expect(later.spend.map(\.minorUnits) == [600])
    }

    @Test("two orders placed at the same instant: the greater order id is the last order, whatever arrived last")
    func lastOrderTie() {
        let a = F.event("e1", days: 1, F.order("o_a", total: 100))
        let b = F.event("e2", days: 1, F.order("o_b", total: 100))
        #expect(F.fold([a, b]).orders.lastOrderID == "o_b")
        #expect(F.fold([b, a]).orders.lastOrderID == "o_b")
    }

    @Test("the same order id placed twice is counted once, the earliest placement deciding its time, channel and total")
    func duplicateOrderID() {
        let web = F.event("e1", days: 2, F.order("o1", channel: .online, total: 1_000))
        let pos = F.event("e2", days: 1, F.order("o1", channel: .instore, total: 1_200))
        for arrival in [[web, pos], [pos, web]] {
            let orders = F.fold(arrival).orders
            #expect(orders.online + orders.instore == 1)
            #expect(orders.instore == 1)
            #expect(orders.spend.map(\.minorUnits) == [1_200])
            #expect(orders.firstOrderAtUs == Instant(F.time(days: 1)).microsecondsSinceEpoch)
            #expect(orders.items == 1)
        }
    }

    @Test("spend is kept per currency")
    func currencies() {
        var euro = F.order("o2", total: 700)
        if case .orderPlaced(var order) = euro {
            order.total = F.money(700, "EUR")
            euro = .orderPlaced(order)
        }
        let projection = F.fold([F.event("e1", F.order("o1", total: 1_000)), F.event("e2", euro)])
        #expect(projection.orders.spend.map(\.currency) == ["EUR", "GBP"])
        #expect(projection.orders.spend.map(\.minorUnits) == [700, 1_000])
    }

    @Test("products are tallied by units and by orders, the same product on two lines counting one order")
    func productTally() {
        let projection = F.fold([
            F.event("e1", F.order("o1", total: 1, items: [("sku_b", 1), ("sku_a", 2), ("sku_b", 2)])),
            F.event("e2", F.order("o2", total: 1, items: [("sku_b", 1)])),
        ])
        #expect(projection.orders.products.map(\.productID) == ["sku_a", "sku_b"])
        #expect(projection.orders.products.map(\.quantity) == [2, 4])
        #expect(projection.orders.products.map(\.orders) == [1, 2])
    }

    @Test("every order is kept in the ledger, sorted by order id")
    func ledgerSorted() {
        let events = [3, 1, 5, 2, 4].map { F.event("e\($0)", days: Double($0), F.order("o\($0)", total: 100)) }
        let projection = F.fold(events)
        #expect(projection.orders.ledger.map(\.orderID) == ["o1", "o2", "o3", "o4", "o5"])
        #expect(projection.orders.online == 5)
    }

    @Test("a product shows the name of its latest placement")
    func productNameByTime() {
        func named(_ id: String, _ name: String, days: Double) -> C360_V1_Event {
            var payload = F.order(id, total: 100)
            if case .orderPlaced(var order) = payload {
                order.items[0].name = name
                payload = .orderPlaced(order)
            }
            return F.event("e_\(id)", days: days, payload)
        }
        let old = named("o1", "Old name", days: 1), new = named("o2", "New name", days: 2)
        #expect(F.fold([old, new]).orders.products.map(\.name) == ["New name"])
        #expect(F.fold([new, old]).orders.products.map(\.name) == ["New name"])
    }
}
