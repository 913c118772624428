public import C360Model
import SwiftProtobuf

/// Reads the usual shape of an event's JSON (the protobuf JSON mapping of `c360.v1.Event`) in one
/// pass over its bytes, for `EventJSONDecoder`: SwiftProtobuf's JSON decoding was 18% of `c360
/// ingest`'s samples (`perf`, README).
///
/// It reads only what it is sure SwiftProtobuf reads the same way, and gives up (`nil`) on
/// anything else: a string with an escape, `null`, a number in any form but plain digits (an
/// int64 also quoted), an enum by number, a time that is not `YYYY-MM-DDTHH:MM:SS[.f…]Z` of a real
/// day, a key it does not know or one given twice, two payloads. The decoder then decodes the line
/// with SwiftProtobuf, which gives the same event or says what is wrong with it. So an event read
/// here is always the one SwiftProtobuf reads (`EventJSONReaderTests` compares the two over
/// generated lines and random changes to them).
public enum EventJSONReader {
    /// The event in `line`, or `nil` when the line is not in the shape this reads.
    public static func event(_ line: UnsafeRawBufferPointer) -> C360_V1_Event? {
        var cursor = Cursor(line)
        do throws(GaveUp) {
            var event = C360_V1_Event()
            try readEvent(&cursor, into: &event)
            cursor.skipSpace()
            guard cursor.atEnd else { throw GaveUp() }
            return event
        } catch {
            return nil
        }
    }

    /// The line is not in the shape this reads.
    struct GaveUp: Error {}

    // MARK: Messages

    private static func readEvent(_ cursor: inout Cursor, into event: inout C360_V1_Event) throws(GaveUp) {
        try cursor.object(Fields.event) { cursor, field throws(GaveUp) in
            switch field {
            case 1: event.eventID = try cursor.string()
            case 2: event.customerID = try cursor.string()
            case 3:
                try cursor.array { cursor throws(GaveUp) in
                    var identity = C360_V1_Identity()
                    try readIdentity(&cursor, into: &identity)
                    event.identities.append(identity)
                }
            case 4: event.occurredAt = try cursor.timestamp()
            case 5: event.source = try cursor.string()
            default:
                // A payload: the field numbers 10-17, at most one of them (the object refuses a
                // number given twice, not two different ones).
                guard event.payload == nil else { throw GaveUp() }
                event.payload = try readPayload(field, &cursor)
            }
        }
    }

    private static func readPayload(_ field: Int, _ cursor: inout Cursor) throws(GaveUp) -> C360_V1_Event.OneOf_Payload {
        switch field {
        case 10:
            var upserted = C360_V1_CustomerUpserted()
            try readCustomer(&cursor, into: &upserted)
            return .customerUpserted(upserted)
        case 11:
            var placed = C360_V1_OrderPlaced()
            try cursor.object(Fields.orderPlaced) { cursor, field throws(GaveUp) in
                switch field {
                case 1: placed.orderID = try cursor.string()
                case 2: placed.channel = try cursor.enumValue(Names.orderChannel)
                case 3: placed.storeID = try cursor.string()
                case 4:
                    try cursor.array { cursor throws(GaveUp) in
                        var item = C360_V1_LineItem()
                        try readLineItem(&cursor, into: &item)
                        placed.items.append(item)
                    }
                case 5: placed.total = try readMoney(&cursor)
                default: placed.status = try cursor.enumValue(Names.orderStatus)
                }
            }
            return .orderPlaced(placed)
        case 12:
            var changed = C360_V1_OrderStatusChanged()
            try cursor.object(Fields.orderStatusChanged) { cursor, field throws(GaveUp) in
                switch field {
                case 1: changed.orderID = try cursor.string()
                case 2: changed.status = try cursor.enumValue(Names.orderStatus)
                default: changed.refunded = try readMoney(&cursor)
                }
            }
            return .orderStatusChanged(changed)
        case 13:
            var web = C360_V1_WebEvent()
            try cursor.object(Fields.webEvent) { cursor, field throws(GaveUp) in
                switch field {
                case 1: web.sessionID = try cursor.string()
                case 2: web.type = try cursor.enumValue(Names.webEventType)
                case 3: web.page = try cursor.string()
                case 4: web.productID = try cursor.string()
                case 5: web.errorMessage = try cursor.string()
                case 6: web.device = try cursor.string()
                default: web.searchQuery = try cursor.string()
                }
            }
            return .webEvent(web)
        case 14:
            var email = C360_V1_EmailEvent()
            try cursor.object(Fields.emailEvent) { cursor, field throws(GaveUp) in
                switch field {
                case 1: email.campaignID = try cursor.string()
                case 2: email.type = try cursor.enumValue(Names.emailEventType)
                default: try cursor.array { cursor throws(GaveUp) in email.items.append(try cursor.string()) }
                }
            }
            return .emailEvent(email)
        case 15:
            var ticket = C360_V1_TicketEvent()
            try cursor.object(Fields.ticketEvent) { cursor, field throws(GaveUp) in
                switch field {
                case 1: ticket.ticketID = try cursor.string()
                case 2: ticket.type = try cursor.enumValue(Names.ticketEventType)
                case 3: ticket.category = try cursor.string()
                case 4: ticket.channel = try cursor.enumValue(Names.ticketChannel)
                default: ticket.satisfactionScore = try cursor.int32()
                }
            }
            return .ticketEvent(ticket)
        case 16:
            var linked = C360_V1_IdentityLinked()
            try cursor.object(Fields.identityChange) { cursor, _ throws(GaveUp) in
                try readIdentity(&cursor, into: &linked.identity)
            }
            return .identityLinked(linked)
        default:
            var unlinked = C360_V1_IdentityUnlinked()
            try cursor.object(Fields.identityChange) { cursor, _ throws(GaveUp) in
                try readIdentity(&cursor, into: &unlinked.identity)
            }
            return .identityUnlinked(unlinked)
        }
    }

    private static func readCustomer(_ cursor: inout Cursor, into customer: inout C360_V1_CustomerUpserted) throws(GaveUp) {
        try cursor.object(Fields.customerUpserted) { cursor, field throws(GaveUp) in
            switch field {
            case 1: customer.firstName = try cursor.string()
            case 2: customer.lastName = try cursor.string()
            case 3: customer.email = try cursor.string()
            case 4: customer.phone = try cursor.string()
            case 5: customer.dateOfBirth = try cursor.string()
            case 6: customer.gender = try cursor.enumValue(Names.gender)
            case 7:
                var address = C360_V1_Address()
                try cursor.object(Fields.address) { cursor, field throws(GaveUp) in
                    switch field {
                    case 1: address.line1 = try cursor.string()
                    case 2: address.line2 = try cursor.string()
                    case 3: address.city = try cursor.string()
                    case 4: address.region = try cursor.string()
                    case 5: address.postalCode = try cursor.string()
                    default: address.country = try cursor.string()
                    }
                }
                customer.address = address
            case 8: customer.loyaltyTier = try cursor.enumValue(Names.loyaltyTier)
            case 9: customer.loyaltyPoints = try cursor.int64()
            case 10: customer.signupDate = try cursor.string()
            case 11: customer.acquisitionChannel = try cursor.string()
            default:
                var consent = C360_V1_ConsentFlags()
                try cursor.object(Fields.consent) { cursor, field throws(GaveUp) in
                    switch field {
                    case 1: consent.emailMarketing = try cursor.bool()
                    case 2: consent.smsMarketing = try cursor.bool()
                    default: consent.personalisation = try cursor.bool()
                    }
                }
                customer.consent = consent
            }
        }
    }

    private static func readIdentity(_ cursor: inout Cursor, into identity: inout C360_V1_Identity) throws(GaveUp) {
        try cursor.object(Fields.identity) { cursor, field throws(GaveUp) in
            switch field {
            case 1: identity.type = try cursor.enumValue(Names.identityType)
            default: identity.value = try cursor.string()
            }
        }
    }

    private static func readLineItem(_ cursor: inout Cursor, into item: inout C360_V1_LineItem) throws(GaveUp) {
        try cursor.object(Fields.lineItem) { cursor, field throws(GaveUp) in
            switch field {
            case 1: item.productID = try cursor.string()
            case 2: item.name = try cursor.string()
            case 3: item.category = try cursor.string()
            case 4: item.quantity = try cursor.int32()
            default: item.unitPrice = try readMoney(&cursor)
            }
        }
    }

    private static func readMoney(_ cursor: inout Cursor) throws(GaveUp) -> C360_V1_Money {
        var money = C360_V1_Money()
        try cursor.object(Fields.money) { cursor, field throws(GaveUp) in
            switch field {
            case 1: money.minorUnits = try cursor.int64()
            default: money.currency = try cursor.string()
            }
        }
        return money
    }

    // MARK: Names

    /// A message's keys: each field's proto name and JSON name (SwiftProtobuf accepts both), with
    /// its number.
    struct Fields: Sendable {
        let keys: [(name: [UInt8], number: Int)]

        init(_ fields: [(proto: String, json: String, number: Int)]) {
            keys = fields.flatMap { field in
                field.proto == field.json
                    ? [(Array(field.proto.utf8), field.number)]
                    : [(Array(field.proto.utf8), field.number), (Array(field.json.utf8), field.number)]
            }
        }

        /// The number of the field named `key`, `nil` when none is.
        func number(of key: UnsafeRawBufferPointer) -> Int? {
            for (name, number) in keys where name.count == key.count {
                if name.withUnsafeBytes({ $0.elementsEqual(key) }) { return number }
            }
            return nil
        }

        static let event = Fields([
            ("event_id", "eventId", 1), ("customer_id", "customerId", 2), ("identities", "identities", 3),
            ("occurred_at", "occurredAt", 4), ("source", "source", 5),
            ("customer_upserted", "customerUpserted", 10), ("order_placed", "orderPlaced", 11),
            ("order_status_changed", "orderStatusChanged", 12), ("web_event", "webEvent", 13),
            ("email_event", "emailEvent", 14), ("ticket_event", "ticketEvent", 15),
            ("identity_linked", "identityLinked", 16), ("identity_unlinked", "identityUnlinked", 17),
        ])
        static let identity = Fields([("type", "type", 1), ("value", "value", 2)])
        static let money = Fields([("minor_units", "minorUnits", 1), ("currency", "currency", 2)])
        static let address = Fields([
            ("line1", "line1", 1), ("line2", "line2", 2), ("city", "city", 3), ("region", "region", 4),
            ("postal_code", "postalCode", 5), ("country", "country", 6),
        ])
        static let consent = Fields([
            ("email_marketing", "emailMarketing", 1), ("sms_marketing", "smsMarketing", 2),
            ("personalisation", "personalisation", 3),
        ])
        static let customerUpserted = Fields([
            ("first_name", "firstName", 1), ("last_name", "lastName", 2), ("email", "email", 3), ("phone", "phone", 4),
            ("date_of_birth", "dateOfBirth", 5), ("gender", "gender", 6), ("address", "address", 7),
            ("loyalty_tier", "loyaltyTier", 8), ("loyalty_points", "loyaltyPoints", 9), ("signup_date", "signupDate", 10),
            ("acquisition_channel", "acquisitionChannel", 11), ("consent", "consent", 12),
        ])
        static let lineItem = Fields([
            ("product_id", "productId", 1), ("name", "name", 2), ("category", "category", 3),
            ("quantity", "quantity", 4), ("unit_price", "unitPrice", 5),
        ])
        static let orderPlaced = Fields([
            ("order_id", "orderId", 1), ("channel", "channel", 2), ("store_id", "storeId", 3),
            ("items", "items", 4), ("total", "total", 5), ("status", "status", 6),
        ])
        static let orderStatusChanged = Fields([("order_id", "orderId", 1), ("status", "status", 2), ("refunded", "refunded", 3)])
        static let webEvent = Fields([
            ("session_id", "sessionId", 1), ("type", "type", 2), ("page", "page", 3), ("product_id", "productId", 4),
            ("error_message", "errorMessage", 5), ("device", "device", 6), ("search_query", "searchQuery", 7),
        ])
        static let emailEvent = Fields([("campaign_id", "campaignId", 1), ("type", "type", 2), ("items", "items", 3)])
        static let ticketEvent = Fields([
            ("ticket_id", "ticketId", 1), ("type", "type", 2), ("category", "category", 3), ("channel", "channel", 4),
            ("satisfaction_score", "satisfactionScore", 5),
        ])
        static let identityChange = Fields([("identity", "identity", 1)])
    }

    /// An enum's value names, in the order of their numbers (0, 1, …), as the proto declares them.
    struct Names: Sendable {
        let names: [[UInt8]]

        init(_ prefix: String, _ suffixes: [String]) {
            names = suffixes.map { Array((prefix + $0).utf8) }
        }

        /// The number named `name`, `nil` when none is.
        func number(of name: UnsafeRawBufferPointer) -> Int? {
            names.firstIndex { $0.count == name.count && $0.withUnsafeBytes { $0.elementsEqual(name) } }
        }

        static let identityType = Names("IDENTITY_TYPE_", ["UNSPECIFIED", "EMAIL", "PHONE", "COOKIE_ID", "DEVICE_ID", "LOYALTY_ID"])
        static let gender = Names("GENDER_", ["UNSPECIFIED", "FEMALE", "MALE", "NON_BINARY", "UNDISCLOSED"])
        static let loyaltyTier = Names("LOYALTY_TIER_", ["UNSPECIFIED", "NONE", "BRONZE", "SILVER", "GOLD", "PLATINUM"])
        static let orderChannel = Names("ORDER_CHANNEL_", ["UNSPECIFIED", "ONLINE", "INSTORE", "MOBILE", "MARKETPLACE"])
        static let orderStatus = Names("ORDER_STATUS_", ["UNSPECIFIED", "PLACED", "SHIPPED", "DELIVERED", "CANCELLED", "RETURNED"])
        static let webEventType = Names("WEB_EVENT_TYPE_", [
            "UNSPECIFIED", "PAGE_VIEW", "PRODUCT_VIEW", "SEARCH", "ADD_TO_CART", "LOGIN_SUCCESS", "LOGIN_FAILURE", "ERROR",
        ])
        static let emailEventType = Names("EMAIL_EVENT_TYPE_", ["UNSPECIFIED", "SENT", "DELIVERED", "OPENED", "CLICKED", "BOUNCED", "UNSUBSCRIBED"])
        static let ticketEventType = Names("TICKET_EVENT_TYPE_", ["UNSPECIFIED", "OPENED", "ESCALATED", "RESOLVED", "REOPENED"])
        static let ticketChannel = Names("TICKET_CHANNEL_", ["UNSPECIFIED", "CHAT", "PHONE", "EMAIL"])
    }

    // MARK: Tokens

    struct Cursor {
        private let bytes: UnsafeRawBufferPointer
        private var index = 0

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func skipSpace() {
            while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        }

        private static func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
        }

        /// The next byte after any space, consumed when it is `byte`.
        private mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func expect(_ byte: UInt8) throws(GaveUp) {
            guard take(byte) else { throw GaveUp() }
        }

        /// An object of `fields`, each value read by `value` with its field's number. A key not
        /// among them, or one given twice, gives up.
        mutating func object(_ fields: Fields, _ value: (inout Cursor, Int) throws(GaveUp) -> Void) throws(GaveUp) {
            try expect(UInt8(ascii: "{"))
            if take(UInt8(ascii: "}")) { return }
            var seen: UInt64 = 0
            repeat {
                let key = try rawString()
                guard let number = fields.number(of: key), seen & (1 << number) == 0 else { throw GaveUp() }
                seen |= 1 << number
                try expect(UInt8(ascii: ":"))
                skipSpace()
                try value(&self, number)
            } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
        }

        /// An array, each element read by `element`.
        mutating func array(_ element: (inout Cursor) throws(GaveUp) -> Void) throws(GaveUp) {
            try expect(UInt8(ascii: "["))
            if take(UInt8(ascii: "]")) { return }
            repeat {
                skipSpace()
                try element(&self)
            } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        }

        /// A string's bytes between its quotes: no escape, no control character (which JSON does
        /// not allow unescaped).
        private mutating func rawString() throws(GaveUp) -> UnsafeRawBufferPointer {
            try expect(UInt8(ascii: "\""))
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return UnsafeRawBufferPointer(rebasing: bytes[start..<index - 1])
                }
                guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { throw GaveUp() }
                index += 1
            }
            throw GaveUp()
        }

        /// A string, valid UTF-8.
        mutating func string() throws(GaveUp) -> String {
            let bytes = try rawString()
            // `String(validating:as:)` is not specialized: it instantiated generic metadata for
            // every string (`perf` of `c360 ingest`: 2% of the samples). Decoding repairs invalid
            // UTF-8 instead of refusing it, so a string with bytes past ASCII is compared with them.
            let string = String(decoding: bytes, as: UTF8.self)
            guard bytes.allSatisfy({ $0 < 0x80 }) || string.utf8.elementsEqual(bytes) else { throw GaveUp() }
            return string
        }

        mutating func bool() throws(GaveUp) -> Bool {
            if literal("true") { return true }
            if literal("false") { return false }
            throw GaveUp()
        }

        private mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        /// An enum value by its name (by number gives up).
        mutating func enumValue<Value: SwiftProtobuf.Enum>(_ names: Names) throws(GaveUp) -> Value {
            guard let number = names.number(of: try rawString()), let value = Value(rawValue: number) else { throw GaveUp() }
            return value
        }

        mutating func int32() throws(GaveUp) -> Int32 {
            guard let value = Int32(exactly: try integer()) else { throw GaveUp() }
            return value
        }

        /// An int64: plain digits, quoted (as the mapping writes one) or not.
        mutating func int64() throws(GaveUp) -> Int64 {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return try integer() }
            index += 1
            let value = try integer()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw GaveUp() }
            index += 1
            return value
        }

        /// `-?(0|[1-9][0-9]*)` with no fraction or exponent, and not `-0`.
        private mutating func integer() throws(GaveUp) -> Int64 {
            let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            let start = index
            var magnitude: UInt64 = 0
            while index < bytes.count, let digit = Self.digit(bytes[index]) {
                let (shifted, overflowShift) = magnitude.multipliedReportingOverflow(by: 10)
                let (added, overflowAdd) = shifted.addingReportingOverflow(UInt64(digit))
                guard !overflowShift, !overflowAdd else { throw GaveUp() }
                magnitude = added
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), !(negative && magnitude == 0) else { throw GaveUp() }
            // A fraction or an exponent: SwiftProtobuf's rules for those are its own.
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { throw GaveUp() }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { throw GaveUp() }
                return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { throw GaveUp() }
            return Int64(magnitude)
        }

        private static func digit(_ byte: UInt8) -> Int? {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
        }

        /// A time as `"YYYY-MM-DDTHH:MM:SS[.f…]Z"`, one to nine fractional digits, of a real day of
        /// the years 1 to 9999.
        mutating func timestamp() throws(GaveUp) -> Google_Protobuf_Timestamp {
            let text = try rawString()
            var at = 0
            func number(_ count: Int) throws(GaveUp) -> Int {
                guard at + count <= text.count else { throw GaveUp() }
                var value = 0
                for offset in 0..<count {
                    guard let digit = Self.digit(text[at + offset]) else { throw GaveUp() }
                    value = value * 10 + digit
                }
                at += count
                return value
            }
            func separator(_ byte: UInt8) throws(GaveUp) {
                guard at < text.count, text[at] == byte else { throw GaveUp() }
                at += 1
            }
            let year = try number(4)
            try separator(UInt8(ascii: "-"))
            let month = try number(2)
            try separator(UInt8(ascii: "-"))
            let day = try number(2)
            try separator(UInt8(ascii: "T"))
            let hour = try number(2)
            try separator(UInt8(ascii: ":"))
            let minute = try number(2)
            try separator(UInt8(ascii: ":"))
            let second = try number(2)
            var nanos = 0
            if at < text.count, text[at] == UInt8(ascii: ".") {
                at += 1
                var digits = 0
                while at < text.count, let digit = Self.digit(text[at]) {
                    guard digits < 9 else { throw GaveUp() }
                    nanos = nanos * 10 + digit
                    digits += 1
                    at += 1
                }
                guard digits > 0 else { throw GaveUp() }
                for _ in digits..<9 { nanos *= 10 }
            }
            try separator(UInt8(ascii: "Z"))
            guard at == text.count, year >= 1, (1...12).contains(month), day >= 1, day <= CalendarDate.daysIn(month: month, year: year),
                  hour < 24, minute < 60, second < 60
            else { throw GaveUp() }
            let seconds = CalendarDate.dayNumber(year: year, month: month, day: day) * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
            return Google_Protobuf_Timestamp(seconds: seconds, nanos: Int32(nanos))
        }
    }
}
