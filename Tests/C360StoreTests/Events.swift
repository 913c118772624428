import C360Core
import C360Model
import C360Store
import SwiftProtobuf

enum Events {
    static func web(_ id: String, customer: String, seconds: Int64 = 1_767_225_600) -> C360_V1_Event {
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = customer
        event.occurredAt = Google_Protobuf_Timestamp(seconds: seconds)
        event.source = "web"
        var web = C360_V1_WebEvent()
        web.type = .pageView
        web.sessionID = "s_\(customer)"
        web.page = "/"
        event.webEvent = web
        return event
    }

    static func customer(_ id: String, customer: String, first: String, last: String, email: String, phone: String) -> C360_V1_Event {
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = customer
        event.occurredAt = Google_Protobuf_Timestamp(seconds: 1_767_225_600)
        event.source = "crm"
        var upsert = C360_V1_CustomerUpserted()
        upsert.firstName = first
        upsert.lastName = last
        upsert.email = email
        upsert.phone = phone
        var address = C360_V1_Address()
        address.line1 = "17 Quillfeather Mews"
        address.city = "Norwich"
        upsert.address = address
        event.customerUpserted = upsert
        return event
    }

    static func order(_ id: String, customer: String, at instant: Instant, minor: Int64 = 1_000) -> C360_V1_Event {
        var order = C360_V1_OrderPlaced()
        order.orderID = "o_\(id)"
        order.channel = .online
        var total = C360_V1_Money()
        total.minorUnits = minor
        total.currency = "GBP"
        order.total = total
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = customer
        event.occurredAt = instant.timestamp
        event.source = "shop"
        event.orderPlaced = order
        return event
    }
}

extension AppendOutcome {
    var isAppended: Bool {
        if case .appended = self { return true }
        return false
    }

    var error: C360Error? {
        if case .rejected(let error) = self { return error }
        return nil
    }
}
