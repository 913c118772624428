/// The fields of `c360.v1.Event` a mapping may fill, by message, with the kind of value each
/// holds: what lets a mapping be checked when it is loaded (a misspelt field, a constant that is
/// not one of an enum's names) rather than on the first record. Mirrors `proto/c360/v1/event.proto`;
/// `EventSchemaTests` checks every field and enum name against the generated code.
struct MessageSchema: Sendable {
    indirect enum Kind: Sendable {
        case string
        case integer
        case bool
        case timestamp
        case money
        /// An enum: the names of its values, without the unspecified one.
        case enumeration([String])
        case message(MessageSchema)
        case repeated(Kind)
    }

    let name: String
    /// Field name (as in the `.proto`) to kind, in the `.proto`'s order.
    let fields: [(name: String, kind: Kind)]
    /// Fields of which at most one may be set (the event's payload).
    var oneOf: Set<String> = []

    func kind(of field: String) -> Kind? {
        fields.first { $0.name == field }?.kind
    }

    static func names(_ prefix: String, _ values: String...) -> [String] {
        values.map { prefix + $0 }
    }

    static let identity = MessageSchema(name: "Identity", fields: [
        ("type", .enumeration(names("IDENTITY_TYPE_", "EMAIL", "PHONE", "COOKIE_ID", "DEVICE_ID", "LOYALTY_ID"))),
        ("value", .string),
    ])
    static let address = MessageSchema(name: "Address", fields: [
        ("line1", .string), ("line2", .string), ("city", .string), ("region", .string), ("postal_code", .string), ("country", .string),
    ])
    static let consent = MessageSchema(name: "ConsentFlags", fields: [
        ("email_marketing", .bool), ("sms_marketing", .bool), ("personalisation", .bool),
    ])
    static let customerUpserted = MessageSchema(name: "CustomerUpserted", fields: [
        ("first_name", .string), ("last_name", .string), ("email", .string), ("phone", .string), ("date_of_birth", .string),
        ("gender", .enumeration(names("GENDER_", "FEMALE", "MALE", "NON_BINARY", "UNDISCLOSED"))),
        ("address", .message(address)),
        ("loyalty_tier", .enumeration(names("LOYALTY_TIER_", "NONE", "BRONZE", "SILVER", "GOLD", "PLATINUM"))),
        ("loyalty_points", .integer), ("signup_date", .string), ("acquisition_channel", .string), ("consent", .message(consent)),
    ])
    static let orderStatus = Kind.enumeration(names("ORDER_STATUS_", "PLACED", "SHIPPED", "DELIVERED", "CANCELLED", "RETURNED"))
    static let lineItem = MessageSchema(name: "LineItem", fields: [
        ("product_id", .string), ("name", .string), ("category", .string), ("quantity", .integer), ("unit_price", .money),
    ])
    static let orderPlaced = MessageSchema(name: "OrderPlaced", fields: [
        ("order_id", .string), ("channel", .enumeration(names("ORDER_CHANNEL_", "ONLINE", "INSTORE", "MOBILE", "MARKETPLACE"))),
        ("store_id", .string), ("items", .repeated(.message(lineItem))), ("total", .money), ("status", orderStatus),
    ])
    static let orderStatusChanged = MessageSchema(name: "OrderStatusChanged", fields: [
        ("order_id", .string), ("status", orderStatus), ("refunded", .money),
    ])
    static let webEvent = MessageSchema(name: "WebEvent", fields: [
        ("session_id", .string),
        ("type", .enumeration(names("WEB_EVENT_TYPE_", "PAGE_VIEW", "PRODUCT_VIEW", "SEARCH", "ADD_TO_CART", "LOGIN_SUCCESS", "LOGIN_FAILURE", "ERROR"))),
        ("page", .string), ("product_id", .string), ("error_message", .string), ("device", .string), ("search_query", .string),
    ])
    static let emailEvent = MessageSchema(name: "EmailEvent", fields: [
        ("campaign_id", .string),
        ("type", .enumeration(names("EMAIL_EVENT_TYPE_", "SENT", "DELIVERED", "OPENED", "CLICKED", "BOUNCED", "UNSUBSCRIBED"))),
        ("items", .repeated(.string)),
    ])
    static let ticketEvent = MessageSchema(name: "TicketEvent", fields: [
        ("ticket_id", .string), ("type", .enumeration(names("TICKET_EVENT_TYPE_", "OPENED", "ESCALATED", "RESOLVED", "REOPENED"))),
        ("category", .string), ("channel", .enumeration(names("TICKET_CHANNEL_", "CHAT", "PHONE", "EMAIL"))), ("satisfaction_score", .integer),
    ])
    static let identityChange = MessageSchema(name: "IdentityLinked", fields: [("identity", .message(identity))])

    static let payloads: [(name: String, schema: MessageSchema)] = [
        ("customer_upserted", customerUpserted), ("order_placed", orderPlaced), ("order_status_changed", orderStatusChanged),
        ("web_event", webEvent), ("email_event", emailEvent), ("ticket_event", ticketEvent),
        ("identity_linked", identityChange), ("identity_unlinked", identityChange),
    ]

    static let event = MessageSchema(
        name: "Event",
        fields: [
            ("event_id", .string), ("customer_id", .string), ("identities", .repeated(.message(identity))),
            ("occurred_at", .timestamp), ("source", .string),
        ] + payloads.map { ($0.name, .message($0.schema)) },
        oneOf: Set(payloads.map(\.name)))
}
