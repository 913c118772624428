import C360Core
import C360Model
import Testing

@Suite struct ProfileEvaluatorTests {
    typealias F = EventFactory

    @Test("the profile shows the fold's figures, age as of the evaluation time, and top products by units")
    func profile() {
        var customer = C360_V1_CustomerUpserted()
        customer.firstName = "Aoife"
        customer.dateOfBirth = "2000-03-10"
        let projection = F.fold([
            F.event("e1", .customerUpserted(customer)),
            F.event("e2", days: 1, F.order("o1", channel: .instore, total: 3_000, items: [("sku_a", 1), ("sku_b", 3)])),
            F.event("e3", days: 2, F.order("o2", channel: .online, total: 1_000, items: [("sku_a", 1)])),
            F.event("e4", days: 3, F.ticket("t1", .opened)),
            F.event("e5", days: 4, F.email(.sent)),
        ])
        // 2026-03-10, the 26th birthday.
        let asOf = Instant(F.time(days: 68))
        let profile = ProfileEvaluator().profile(of: projection, asOf: asOf)
        #expect(profile.details.firstName == "Aoife")
        #expect(profile.details.age == 26)
        #expect(profile.purchases.totalOrders == 2)
        #expect(profile.purchases.instoreOrders == 1)
        #expect(profile.purchases.lifetimeValue.map(\.minorUnits) == [4_000])
        #expect(profile.purchases.topProducts.map(\.productID) == ["sku_b", "sku_a"])
        #expect(profile.support.openTickets == 1)
        // A mail sent to the customer is not the customer's activity: last active is the ticket.
        #expect(profile.activity.lastActiveAt == Instant(F.time(days: 3)))
        #expect(profile.seq == 5)
        #expect(profile.asOf == asOf)
    }

    @Test("a customer who never ordered has no order times")
    func neverOrdered() {
        let profile = ProfileEvaluator().profile(of: F.fold([F.event("e1", F.email(.opened))]), asOf: Instant(F.time(days: 1)))
        #expect(profile.purchases.firstOrderAt == nil)
        #expect(profile.purchases.lastOrderAt == nil)
        #expect(profile.purchases.totalOrders == 0)
    }
}
