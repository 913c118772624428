import C360Core
import C360Model
import SwiftProtobuf

/// Builds events for tests with little ceremony.
enum EventFactory {
    static let day: Int64 = 86_400

    /// 2026-01-01T00:00:00Z plus `days`.
    static func time(days: Double) -> Google_Protobuf_Timestamp {
        Google_Protobuf_Timestamp(seconds: 1_767_225_600 + Int64(days * Double(day)))
    }

    static func event(_ id: String, customer: String = "cust_1", days: Double = 0, _ payload: C360_V1_Event.OneOf_Payload) -> C360_V1_Event {
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = customer
        event.occurredAt = time(days: days)
        event.source = "test"
        event.payload = payload
        return event
    }

    static func money(_ minor: Int64, _ currency: String = "GBP") -> C360_V1_Money {
        var money = C360_V1_Money()
        money.minorUnits = minor
        money.currency = currency
        return money
    }

    static func order(
        _ id: String, channel: C360_V1_OrderChannel = .online, total: Int64,
        items: [(product: String, quantity: Int32)] = [("sku_1", 1)], status: C360_V1_OrderStatus = .unspecified
    ) -> C360_V1_Event.OneOf_Payload {
        var order = C360_V1_OrderPlaced()
        order.orderID = id
        order.channel = channel
        order.total = money(total)
        order.status = status
        order.items = items.map { item in
            var line = C360_V1_LineItem()
            line.productID = item.product
            line.name = "Product \(item.product)"
            line.category = "tops"
            line.quantity = item.quantity
            line.unitPrice = money(1_000)
            return line
        }
        return .orderPlaced(order)
    }

    static func status(_ id: String, _ status: C360_V1_OrderStatus, refunded: Int64? = nil) -> C360_V1_Event.OneOf_Payload {
        var change = C360_V1_OrderStatusChanged()
        change.orderID = id
        change.status = status
        if let refunded { change.refunded = money(refunded) }
        return .orderStatusChanged(change)
    }

    static func web(_ type: C360_V1_WebEventType, session: String = "s1", page: String = "/", product: String = "", error: String = "") -> C360_V1_Event.OneOf_Payload {
        var web = C360_V1_WebEvent()
        web.type = type
        web.sessionID = session
        web.page = page
        web.productID = product
        web.errorMessage = error
        return .webEvent(web)
    }

    static func email(_ type: C360_V1_EmailEventType, campaign: String = "cmp_1") -> C360_V1_Event.OneOf_Payload {
        var email = C360_V1_EmailEvent()
        email.type = type
        email.campaignID = campaign
        return .emailEvent(email)
    }

    static func ticket(_ id: String, _ type: C360_V1_TicketEventType, satisfaction: Int32 = 0) -> C360_V1_Event.OneOf_Payload {
        var ticket = C360_V1_TicketEvent()
        ticket.ticketID = id
        ticket.type = type
        ticket.satisfactionScore = satisfaction
        return .ticketEvent(ticket)
    }

    /// Folds `events` in order, numbering them 1, 2, 3...
    static func fold(_ events: [C360_V1_Event], fold: ProjectionFold = .init()) -> Projection {
        self.fold(events.map { ($0, nil) }, fold: fold)
    }

    /// Folds events with the identity resolutions decided for them, numbering them 1, 2, 3...
    static func fold(_ entries: [(C360_V1_Event, C360_Store_V1_Resolution?)], fold: ProjectionFold = .init()) -> Projection {
        var projection = ProjectionFold.emptyProjection(customerID: entries.first?.0.customerID ?? "")
        for (index, entry) in entries.enumerated() {
            fold.apply(entry.0, seq: UInt64(index + 1), resolution: entry.1, to: &projection)
        }
        return projection
    }
}
