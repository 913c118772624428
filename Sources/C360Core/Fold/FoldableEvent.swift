public import C360Model
import SwiftProtobuf

/// An event as `ProjectionFold` reads it: the fields the fold uses, as plain values.
///
/// Replay, recovery and refolds read stored events into this form straight from their bytes
/// (`EventWireDecoder.foldableEvent`, in C360Codec), without building the generated message: a
/// class per message and a copy-on-write check on every field read cost more than the fold
/// itself. Everything else an event carries (its identities and source, a web event's product
/// and search, an email's campaign and items, a ticket's category and channel, an order's store
/// and unit prices) never changes a projection and is not here. `init(_:)` takes the same fields
/// from the generated message, and the property tests check that both ways give equal values.
public struct FoldableEvent: Sendable, Equatable {
    public var eventID: String = ""
    public var customerID: String = ""
    /// `occurred_at` as it came, in the timestamp's two fields: the fold converts it (saturating) as
    /// `Instant(_:)` converts a `Google_Protobuf_Timestamp`.
    public var occurredAtSeconds: Int64 = 0
    public var occurredAtNanos: Int32 = 0
    public var payload: Payload?

    public enum Payload: Sendable, Equatable {
        /// Rare and cold (a customer's details): kept as the generated message.
        case customerUpserted(C360_V1_CustomerUpserted)
        case orderPlaced(Order)
        case orderStatusChanged(StatusChange)
        case webEvent(Web)
        case emailEvent(C360_V1_EmailEventType)
        case ticketEvent(Ticket)
        /// An identity linked or unlinked: what it changes is in the event's resolution.
        case identityChange
    }

    public struct Order: Sendable, Equatable {
        public var orderID: String = ""
        public var channel: C360_V1_OrderChannel = .unspecified
        public var items: [Item] = []
        /// Its default while absent, as the generated message reads.
        public var total = C360_V1_Money()
        public var status: C360_V1_OrderStatus = .unspecified
        public init() {}
    }

    public struct Item: Sendable, Equatable {
        public var productID: String = ""
        public var name: String = ""
        public var category: String = ""
        public var quantity: Int32 = 0
        public init() {}
    }

    public struct StatusChange: Sendable, Equatable {
        public var orderID: String = ""
        public var status: C360_V1_OrderStatus = .unspecified
        /// `nil` while absent.
        public var refunded: C360_V1_Money?
        public init() {}
    }

    public struct Web: Sendable, Equatable {
        public var sessionID: String = ""
        public var type: C360_V1_WebEventType = .unspecified
        public var page: String = ""
        public var errorMessage: String = ""
        public var device: String = ""
        public init() {}
    }

    public struct Ticket: Sendable, Equatable {
        public var ticketID: String = ""
        public var type: C360_V1_TicketEventType = .unspecified
        public var satisfactionScore: Int32 = 0
        public init() {}
    }

    public init() {}

    public var occurredAt: Instant { Instant(seconds: occurredAtSeconds, nanos: occurredAtNanos) }

    /// What the fold reads of a generated event (an append's, or one decoded by SwiftProtobuf).
    public init(_ event: C360_V1_Event) {
        eventID = event.eventID
        customerID = event.customerID
        occurredAtSeconds = event.occurredAt.seconds
        occurredAtNanos = event.occurredAt.nanos
        switch event.payload {
        case .customerUpserted(let customer):
            payload = .customerUpserted(customer)
        case .orderPlaced(let placed):
            var order = Order()
            order.orderID = placed.orderID
            order.channel = placed.channel
            order.items = placed.items.map { line in
                var item = Item()
                item.productID = line.productID
                item.name = line.name
                item.category = line.category
                item.quantity = line.quantity
                return item
            }
            order.total = Self.withoutUnknownFields(placed.total)
            order.status = placed.status
            payload = .orderPlaced(order)
        case .orderStatusChanged(let changed):
            var change = StatusChange()
            change.orderID = changed.orderID
            change.status = changed.status
            change.refunded = changed.hasRefunded ? Self.withoutUnknownFields(changed.refunded) : nil
            payload = .orderStatusChanged(change)
        case .webEvent(let event):
            var web = Web()
            web.sessionID = event.sessionID
            web.type = event.type
            web.page = event.page
            web.errorMessage = event.errorMessage
            web.device = event.device
            payload = .webEvent(web)
        case .emailEvent(let email):
            payload = .emailEvent(email.type)
        case .ticketEvent(let event):
            var ticket = Ticket()
            ticket.ticketID = event.ticketID
            ticket.type = event.type
            ticket.satisfactionScore = event.satisfactionScore
            payload = .ticketEvent(ticket)
        case .identityLinked, .identityUnlinked:
            payload = .identityChange
        case nil:
            payload = nil
        }
    }

    /// An amount's two fields: what a projection keeps of it.
    private static func withoutUnknownFields(_ money: C360_V1_Money) -> C360_V1_Money {
        var kept = C360_V1_Money()
        kept.minorUnits = money.minorUnits
        kept.currency = money.currency
        return kept
    }
}
