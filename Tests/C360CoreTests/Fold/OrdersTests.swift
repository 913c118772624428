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
        #expect(projection.orders.spend.map(\.minorUnits) == [0])
        #expect(projection.orders.refunded.map(\.minorUnits) == [6_000])
    }

    @Test("the same order id placed twice is counted once")
    func duplicateOrderID() {
        let projection = F.fold([
            F.event("e1", F.order("o1", total: 1_000)),
            F.event("e2", F.order("o1", total: 1_000)),
        ])
        #expect(projection.orders.online == 1)
        #expect(projection.orders.spend.map(\.minorUnits) == [1_000])
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

    @Test("only the most recent orders are kept, newest first")
    func recentOrdersBounded() {
        var fold = ProjectionFold()
        fold.recentOrdersKept = 3
        let events = (1...5).map { F.event("e\($0)", days: Double($0), F.order("o\($0)", total: 100)) }
        let projection = F.fold(events, fold: fold)
        #expect(projection.orders.recent.map(\.orderID) == ["o5", "o4", "o3"])
        #expect(projection.orders.online == 5)
    }
}
