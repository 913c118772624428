/// The fields of `c360.v1.Event` a mapping may fill, by message, with the number and the kind of
/// value each holds: what lets a mapping be checked when it is loaded (a misspelt field, a constant
/// that is not one of an enum's names) rather than on the first record, and what it writes the
/// event's wire format with. Mirrors `proto/c360/v1/event.proto`; `MappingTests` checks every
/// field's number and kind and every enum value's number against the generated code.
struct MessageSchema: Sendable {
    indirect enum Kind: Sendable {
        case string
        case integer
        /// An `int32` field: a value outside its range is an error, never cut.
        case integer32
        case bool
        case timestamp
        case money
        /// An enum: the names of its values, without the unspecified one; a name's number is its
        /// place in the list plus one.
        case enumeration([String])
        case message(MessageSchema)
        case repeated(Kind)
    }

    struct Field: Sendable {
        let name: String
        let number: Int
        let kind: Kind
    }

    let name: String
    /// The fields, in the `.proto`'s order.
    let fields: [Field]
    /// Fields of which at most one may be set (the event's payload).
    var oneOf: Set<String> = []

    init(name: String, fields: [(String, Int, Kind)], oneOf: Set<String> = []) {
        self.name = name
        self.fields = fields.map { Field(name: $0.0, number: $0.1, kind: $0.2) }
        self.oneOf = oneOf
    }

    func field(_ name: String) -> Field? {
        fields.first { $0.name == name }
    }

    static func names(_ prefix: String, _ values: String...) -> [String] {
        values.map { prefix + $0 }
    }

    static let identity = MessageSchema(name: "Identity", fields: [
        ("type", 1, .enumeration(names("IDENTITY_TYPE_", "EMAIL", "PHONE", "COOKIE_ID", "DEVICE_ID", "LOYALTY_ID"))),
        ("value", 2, .string),
    ])
    static let address = MessageSchema(name: "Address", fields: [
        ("line1", 1, .string), ("line2", 2, .string), ("city", 3, .string), ("region", 4, .string), ("postal_code", 5, .string), ("country", 6, .string),
    ])
    static let consent = MessageSchema(name: "ConsentFlags", fields: [
        ("email_marketing", 1, .bool), ("sms_marketing", 2, .bool), ("personalisation", 3, .bool),
    ])
    static let customerUpserted = MessageSchema(name: "CustomerUpserted", fields: [
        ("first_name", 1, .string), ("last_name", 2, .string), ("email", 3, .string), ("phone", 4, .string), ("date_of_birth", 5, .string),
        ("gender", 6, .enumeration(names("GENDER_", "FEMALE", "MALE", "NON_BINARY", "UNDISCLOSED"))),
        ("address", 7, .message(address)),
        ("loyalty_tier", 8, .enumeration(names("LOYALTY_TIER_", "NONE", "BRONZE", "SILVER", "GOLD", "PLATINUM"))),
        ("loyalty_points", 9, .integer), ("signup_date", 10, .string), ("acquisition_channel", 11, .string), ("consent", 12, .message(consent)),
    ])
    static let orderStatus = Kind.enumeration(names("ORDER_STATUS_", "PLACED", "SHIPPED", "DELIVERED", "CANCELLED", "RETURNED"))
    static let lineItem = MessageSchema(name: "LineItem", fields: [
        ("product_id", 1, .string), ("name", 2, .string), ("category", 3, .string), ("quantity", 4, .integer32), ("unit_price", 5, .money),
    ])
    static let orderPlaced = MessageSchema(name: "OrderPlaced", fields: [
        ("order_id", 1, .string), ("channel", 2, .enumeration(names("ORDER_CHANNEL_", "ONLINE", "INSTORE", "MOBILE", "MARKETPLACE"))),
        ("store_id", 3, .string), ("items", 4, .repeated(.message(lineItem))), ("total", 5, .money), ("status", 6, orderStatus),
    ])
    static let orderStatusChanged = MessageSchema(name: "OrderStatusChanged", fields: [
        ("order_id", 1, .string), ("status", 2, orderStatus), ("refunded", 3, .money),
    ])
    static let webEvent = MessageSchema(name: "WebEvent", fields: [
        ("session_id", 1, .string),
        ("type", 2, .enumeration(names("WEB_EVENT_TYPE_", "PAGE_VIEW", "PRODUCT_VIEW", "SEARCH", "ADD_TO_CART", "LOGIN_SUCCESS", "LOGIN_FAILURE", "ERROR"))),
        ("page", 3, .string), ("product_id", 4, .string), ("error_message", 5, .string), ("device", 6, .string), ("search_query", 7, .string),
    ])
    static let emailEvent = MessageSchema(name: "EmailEvent", fields: [
        ("campaign_id", 1, .string),
        ("type", 2, .enumeration(names("EMAIL_EVENT_TYPE_", "SENT", "DELIVERED", "OPENED", "CLICKED", "BOUNCED", "UNSUBSCRIBED"))),
        ("items", 3, .repeated(.string)),
    ])
    static let ticketEvent = MessageSchema(name: "TicketEvent", fields: [
        ("ticket_id", 1, .string), ("type", 2, .enumeration(names("TICKET_EVENT_TYPE_", "OPENED", "ESCALATED", "RESOLVED", "REOPENED"))),
        ("category", 3, .string), ("channel", 4, .enumeration(names("TICKET_CHANNEL_", "CHAT", "PHONE", "EMAIL"))), ("satisfaction_score", 5, .integer32),
    ])
    static let identityChange = MessageSchema(name: "IdentityLinked", fields: [("identity", 1, .message(identity))])

    static let payloads: [(name: String, number: Int, schema: MessageSchema)] = [
        ("customer_upserted", 10, customerUpserted), ("order_placed", 11, orderPlaced), ("order_status_changed", 12, orderStatusChanged),
        ("web_event", 13, webEvent), ("email_event", 14, emailEvent), ("ticket_event", 15, ticketEvent),
        ("identity_linked", 16, identityChange), ("identity_unlinked", 17, identityChange),
    ]

    static let event = MessageSchema(
        name: "Event",
        fields: [
            ("event_id", 1, .string), ("customer_id", 2, .string), ("identities", 3, .repeated(.message(identity))),
            ("occurred_at", 4, .timestamp), ("source", 5, .string),
        ] + payloads.map { ($0.name, $0.number, .message($0.schema)) },
        oneOf: Set(payloads.map(\.name)))
}
