import C360Core
import C360Model
import Testing
import SwiftProtobuf

@Suite struct EventValidatorTests {
    typealias F = EventFactory

    private func failure(_ event: C360_V1_Event) -> C360Error? {
        do {
            try EventValidator().validate(event)
            return nil
        } catch {
            return error
        }
    }

    @Test("a complete event passes")
    func valid() {
        #expect(failure(F.event("e1", F.order("o1", total: 100))) == nil)
    }

    static let broken: [(String, String, @Sendable (inout C360_V1_Event) -> Void)] = [
        ("missing event_id", "event_id", { $0.eventID = "" }),
        ("missing customer and identity", "customer_id", { $0.customerID = "" }),
        ("missing occurred_at", "occurred_at", { $0.clearOccurredAt() }),
        ("missing source", "source", { $0.source = "" }),
        ("no payload", "payload", { $0.payload = nil }),
        ("negative total", "order_placed.total.minor_units", { $0.payload = F.order("o1", total: -5) }),
        ("zero quantity", "order_placed.items[0].quantity", { $0.payload = F.order("o1", total: 5, items: [("sku", 0)]) }),
        ("negative quantity", "order_placed.items[0].quantity", { $0.payload = F.order("o1", total: 5, items: [("sku", -2)]) }),
        ("unspecified channel", "order_placed.channel", { $0.payload = F.order("o1", channel: .unspecified, total: 5) }),
        ("lower-case currency", "order_placed.total.currency", { event in
            var order = C360_V1_OrderPlaced(); order.orderID = "o"; order.channel = .online; order.total = F.money(1, "gbp")
            event.payload = .orderPlaced(order)
        }),
        ("negative refund", "order_status_changed.refunded.minor_units", { $0.payload = F.status("o1", .returned, refunded: -1) }),
        ("satisfaction out of range", "ticket_event.satisfaction_score", { $0.payload = F.ticket("t1", .resolved, satisfaction: 9) }),
        ("bad email", "customer_upserted.email", { event in
            var customer = C360_V1_CustomerUpserted(); customer.email = "not-an-email"
            event.payload = .customerUpserted(customer)
        }),
        ("impossible date of birth", "customer_upserted.date_of_birth", { event in
            var customer = C360_V1_CustomerUpserted(); customer.dateOfBirth = "1990-02-30"
            event.payload = .customerUpserted(customer)
        }),
        ("control characters in a name", "customer_upserted.first_name", { event in
            var customer = C360_V1_CustomerUpserted(); customer.firstName = "A\u{0007}B"
            event.payload = .customerUpserted(customer)
        }),
        ("identity without a type", "identities[0].type", { $0.identities = [.init(type: .unspecified, value: "x")] }),
        ("second identity's value with a control character", "identities[1].value", {
            $0.identities = [.init(type: .cookieID, value: "ck"), .init(type: .cookieID, value: "c\u{0001}k")]
        }),
        ("control characters in an address's city", "customer_upserted.address.city", { event in
            var customer = C360_V1_CustomerUpserted(); customer.address.city = "Nor\u{007F}wich"
            event.payload = .customerUpserted(customer)
        }),
        ("link without a customer", "customer_id", { event in
            var link = C360_V1_IdentityLinked(); link.identity = .init(type: .cookieID, value: "ck")
            event.payload = .identityLinked(link); event.customerID = ""; event.identities = [.init(type: .cookieID, value: "ck")]
        }),
        ("event before 1970", "occurred_at", { $0.occurredAt.seconds = -10 }),
        // Seconds whose microseconds overflow 64 bits: refused, not a trap in the conversion.
        ("event in the year 300,000", "occurred_at", { $0.occurredAt.seconds = 10_000_000_000_000 }),
        ("event before the year -290,000", "occurred_at", { $0.occurredAt.seconds = .min }),
        ("total beyond the largest amount", "order_placed.total.minor_units", { $0.payload = F.order("o1", total: 1_000_000_000_000_001) }),
        ("refund beyond the largest amount", "order_status_changed.refunded.minor_units", { $0.payload = F.status("o1", .returned, refunded: .max) }),
        ("overlong event_id", "event_id", { $0.eventID = String(repeating: "x", count: 129) }),
    ]

    @Test("each malformed event is rejected naming its field", arguments: broken.indices)
    func rejected(_ index: Int) {
        let (name, field, breakIt) = Self.broken[index]
        var event = F.event("e1", F.order("o1", total: 100))
        breakIt(&event)
        let error = failure(event)
        #expect(error?.code == .invalidArgument, "\(name)")
        #expect(error?.field == field, "\(name): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test("an event with only an identity is accepted")
    func identityOnly() {
        var event = F.event("e1", F.web(.pageView))
        event.customerID = ""
        event.identities = [.init(type: .cookieID, value: "ck_123")]
        #expect(failure(event) == nil)
    }
}
