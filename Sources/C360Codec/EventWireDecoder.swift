public import C360Model
import SwiftProtobuf

/// Events decoded from the protobuf wire format field by field, without SwiftProtobuf's generic
/// decoder. The result is the message SwiftProtobuf decodes from the same bytes, which the property
/// tests check: a field with a wire type its declaration does not allow is kept as an unknown
/// field (as SwiftProtobuf keeps it), a singular message field seen twice is merged, a oneof's
/// message merged when its case repeats and replaced when another case follows, strings must be
/// UTF-8. Malformed bytes throw `ProtobufWireError`; nothing is read past the buffer.
public enum EventWireDecoder {
    public static func event(_ bytes: [UInt8]) throws(ProtobufWireError) -> C360_V1_Event {
        try bytes.decoded(by: event)
    }

    public static func event(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> C360_V1_Event {
        var reader = ProtobufWireReader(bytes)
        var event = C360_V1_Event()
        try decode(&reader, into: &event)
        return event
    }

    public static func appendEventsRequest(_ bytes: [UInt8]) throws(ProtobufWireError) -> C360_V1_AppendEventsRequest {
        try bytes.decoded(by: appendEventsRequest)
    }

    public static func appendEventsRequest(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> C360_V1_AppendEventsRequest {
        var reader = ProtobufWireReader(bytes)
        var request = C360_V1_AppendEventsRequest()
        try fields(&reader, into: &request) { number, wireType, reader, request throws(ProtobufWireError) in
            guard number == 1, wireType == .lengthDelimited else { return false }
            var event = C360_V1_Event()
            try nested(&reader, &event) { reader, event throws(ProtobufWireError) in try decode(&reader, into: &event) }
            request.events.append(event)
            return true
        }
        return request
    }

    /// An `AppendEventsRequest`'s events, each with the bytes it was sent as: what the store
    /// keeps, so that an appended event is not encoded again (SwiftProtobuf's encoding was 8% of
    /// bulk ingest's event loop, `perf`). The bytes decode to the event by definition; for a
    /// sender that encodes canonically (every protobuf library) they are also its encoding.
    public static func appendEventsKeepingBytes(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> EventsWithBytes {
        var reader = ProtobufWireReader(bytes)
        var request = C360_V1_AppendEventsRequest()
        var encoded: [[UInt8]] = []
        try fields(&reader, into: &request) { number, wireType, reader, request throws(ProtobufWireError) in
            guard number == 1, wireType == .lengthDelimited else { return false }
            var inner = try reader.nested()
            let eventBytes = inner.unread
            var event = C360_V1_Event()
            try decode(&inner, into: &event)
            // Moved in: appended as a copy, every string and array in it was retained, then
            // released with the local (`perf`: 0.5% of bulk ingest's samples).
            request.events.append(consume event)
            encoded.append(Array(eventBytes))
            return true
        }
        return EventsWithBytes(events: request.events, encoded: encoded)
    }

    /// Events decoded from a request, with the bytes each was decoded from.
    public struct EventsWithBytes: Sendable {
        public var events: [C360_V1_Event]
        /// `encoded[i]` is the wire form `events[i]` was decoded from.
        public var encoded: [[UInt8]]

        public init(events: [C360_V1_Event], encoded: [[UInt8]]) {
            self.events = events
            self.encoded = encoded
        }
    }

    // MARK: The frame every message shares

    /// Reads a message's fields until its end: `field` sets the ones it knows (returning true);
    /// the others, and known ones with a wire type their declaration does not allow, are kept as
    /// unknown fields, as SwiftProtobuf keeps them.
    @inline(__always)
    private static func fields<M: Message>(
        _ reader: inout ProtobufWireReader, into message: inout M,
        _ field: (Int, ProtobufWireReader.WireType, inout ProtobufWireReader, inout M) throws(ProtobufWireError) -> Bool
    ) throws(ProtobufWireError) {
        var unknown: [UInt8] = []
        while true {
            let fieldStart = reader.offset
            guard let (number, wireType) = try reader.nextField() else { break }
            if try !field(number, wireType, &reader, &message) {
                let skipped = try reader.skip(wireType, number: number, fieldStart: fieldStart)
                unknown.append(contentsOf: skipped)
            }
        }
        keep(unknown, in: &message)
    }

    /// Decodes the length-delimited message at the reader into `value` (merging into what it holds).
    @inline(__always)
    static func nested<V>(
        _ reader: inout ProtobufWireReader, _ value: inout V,
        _ decode: (inout ProtobufWireReader, inout V) throws(ProtobufWireError) -> Void
    ) throws(ProtobufWireError) {
        var inner = try reader.nested()
        try decode(&inner, &value)
    }

    /// Unknown fields kept as SwiftProtobuf keeps them. UnknownStorage can only be filled by
    /// SwiftProtobuf's own decoder, so the fields' bytes are merged through it: rare (data written
    /// by a newer c360), so its cost does not matter.
    private static func keep<M: Message>(_ unknown: [UInt8], in message: inout M) {
        guard !unknown.isEmpty else { return }
        try? message.merge(serializedBytes: unknown)
    }

    /// An enum's value as SwiftProtobuf reads it: the varint cut to 32 bits, sign included. Open
    /// (proto3) enums take any value, unknown ones as `.UNRECOGNIZED`.
    @inline(__always)
    static func enumValue<E: SwiftProtobuf.Enum>(_ reader: inout ProtobufWireReader, as type: E.Type) throws(ProtobufWireError) -> E
    where E.RawValue == Int {
        E(rawValue: Int(Int32(truncatingIfNeeded: try reader.varint()))) ?? E()
    }

    // MARK: Messages

    static func decode(_ reader: inout ProtobufWireReader, into event: inout C360_V1_Event) throws(ProtobufWireError) {
        try fields(&reader, into: &event) { number, wireType, reader, event throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): event.eventID = try reader.string()
            case (2, .lengthDelimited): event.customerID = try reader.string()
            case (3, .lengthDelimited):
                var identity = C360_V1_Identity()
                try nested(&reader, &identity, decode)
                event.identities.append(identity)
            case (4, .lengthDelimited):
                var timestamp = event.hasOccurredAt ? event.occurredAt : Google_Protobuf_Timestamp()
                try nested(&reader, &timestamp, decode)
                event.occurredAt = timestamp
            case (5, .lengthDelimited): event.source = try reader.string()
            case (10, .lengthDelimited):
                var value = C360_V1_CustomerUpserted()
                if case .customerUpserted(let existing)? = event.payload { value = existing }
                try nested(&reader, &value, decode)
                event.payload = .customerUpserted(value)
            case (11, .lengthDelimited):
                var value = C360_V1_OrderPlaced()
                if case .orderPlaced(let existing)? = event.payload { value = existing }
                try nested(&reader, &value, decode)
                event.payload = .orderPlaced(value)
            case (12, .lengthDelimited):
                var value = C360_V1_OrderStatusChanged()
                if case .orderStatusChanged(let existing)? = event.payload { value = existing }
                try nested(&reader, &value, decode)
                event.payload = .orderStatusChanged(value)
            case (13, .lengthDelimited):
                var value = C360_V1_WebEvent()
                if case .webEvent(let existing)? = event.payload { value = existing }
                try nested(&reader, &value, decode)
                event.payload = .webEvent(value)
            case (14, .lengthDelimited):
                var value = C360_V1_EmailEvent()
                if case .emailEvent(let existing)? = event.payload { value = existing }
                try nested(&reader, &value, decode)
                event.payload = .emailEvent(value)
            case (15, .lengthDelimited):
                var value = C360_V1_TicketEvent()
                if case .ticketEvent(let existing)? = event.payload { value = existing }
                try nested(&reader, &value, decode)
                event.payload = .ticketEvent(value)
            case (16, .lengthDelimited):
                var value = C360_V1_IdentityLinked()
                if case .identityLinked(let existing)? = event.payload { value = existing }
                try nested(&reader, &value, decode)
                event.payload = .identityLinked(value)
            case (17, .lengthDelimited):
                var value = C360_V1_IdentityUnlinked()
                if case .identityUnlinked(let existing)? = event.payload { value = existing }
                try nested(&reader, &value, decode)
                event.payload = .identityUnlinked(value)
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into linked: inout C360_V1_IdentityLinked) throws(ProtobufWireError) {
        try fields(&reader, into: &linked) { number, wireType, reader, linked throws(ProtobufWireError) in
            guard number == 1, wireType == .lengthDelimited else { return false }
            var identity = linked.hasIdentity ? linked.identity : C360_V1_Identity()
            try nested(&reader, &identity, decode)
            linked.identity = identity
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into unlinked: inout C360_V1_IdentityUnlinked) throws(ProtobufWireError) {
        try fields(&reader, into: &unlinked) { number, wireType, reader, unlinked throws(ProtobufWireError) in
            guard number == 1, wireType == .lengthDelimited else { return false }
            var identity = unlinked.hasIdentity ? unlinked.identity : C360_V1_Identity()
            try nested(&reader, &identity, decode)
            unlinked.identity = identity
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into identity: inout C360_V1_Identity) throws(ProtobufWireError) {
        try fields(&reader, into: &identity) { number, wireType, reader, identity throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .varint): identity.type = try enumValue(&reader, as: C360_V1_IdentityType.self)
            case (2, .lengthDelimited): identity.value = try reader.string()
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into timestamp: inout Google_Protobuf_Timestamp) throws(ProtobufWireError) {
        try fields(&reader, into: &timestamp) { number, wireType, reader, timestamp throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .varint): timestamp.seconds = Int64(bitPattern: try reader.varint())
            case (2, .varint): timestamp.nanos = Int32(truncatingIfNeeded: try reader.varint())
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into money: inout C360_V1_Money) throws(ProtobufWireError) {
        try fields(&reader, into: &money) { number, wireType, reader, money throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .varint): money.minorUnits = Int64(bitPattern: try reader.varint())
            case (2, .lengthDelimited): money.currency = try reader.string()
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into customer: inout C360_V1_CustomerUpserted) throws(ProtobufWireError) {
        try fields(&reader, into: &customer) { number, wireType, reader, customer throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): customer.firstName = try reader.string()
            case (2, .lengthDelimited): customer.lastName = try reader.string()
            case (3, .lengthDelimited): customer.email = try reader.string()
            case (4, .lengthDelimited): customer.phone = try reader.string()
            case (5, .lengthDelimited): customer.dateOfBirth = try reader.string()
            case (6, .varint): customer.gender = try enumValue(&reader, as: C360_V1_Gender.self)
            case (7, .lengthDelimited):
                var address = customer.hasAddress ? customer.address : C360_V1_Address()
                try nested(&reader, &address, decode)
                customer.address = address
            case (8, .varint): customer.loyaltyTier = try enumValue(&reader, as: C360_V1_LoyaltyTier.self)
            case (9, .varint): customer.loyaltyPoints = Int64(bitPattern: try reader.varint())
            case (10, .lengthDelimited): customer.signupDate = try reader.string()
            case (11, .lengthDelimited): customer.acquisitionChannel = try reader.string()
            case (12, .lengthDelimited):
                var consent = customer.hasConsent ? customer.consent : C360_V1_ConsentFlags()
                try nested(&reader, &consent, decode)
                customer.consent = consent
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into address: inout C360_V1_Address) throws(ProtobufWireError) {
        try fields(&reader, into: &address) { number, wireType, reader, address throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): address.line1 = try reader.string()
            case (2, .lengthDelimited): address.line2 = try reader.string()
            case (3, .lengthDelimited): address.city = try reader.string()
            case (4, .lengthDelimited): address.region = try reader.string()
            case (5, .lengthDelimited): address.postalCode = try reader.string()
            case (6, .lengthDelimited): address.country = try reader.string()
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into consent: inout C360_V1_ConsentFlags) throws(ProtobufWireError) {
        try fields(&reader, into: &consent) { number, wireType, reader, consent throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .varint): consent.emailMarketing = try reader.varint() != 0
            case (2, .varint): consent.smsMarketing = try reader.varint() != 0
            case (3, .varint): consent.personalisation = try reader.varint() != 0
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into order: inout C360_V1_OrderPlaced) throws(ProtobufWireError) {
        try fields(&reader, into: &order) { number, wireType, reader, order throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): order.orderID = try reader.string()
            case (2, .varint): order.channel = try enumValue(&reader, as: C360_V1_OrderChannel.self)
            case (3, .lengthDelimited): order.storeID = try reader.string()
            case (4, .lengthDelimited):
                var item = C360_V1_LineItem()
                try nested(&reader, &item, decode)
                order.items.append(item)
            case (5, .lengthDelimited):
                var total = order.hasTotal ? order.total : C360_V1_Money()
                try nested(&reader, &total, decode)
                order.total = total
            case (6, .varint): order.status = try enumValue(&reader, as: C360_V1_OrderStatus.self)
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into item: inout C360_V1_LineItem) throws(ProtobufWireError) {
        try fields(&reader, into: &item) { number, wireType, reader, item throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): item.productID = try reader.string()
            case (2, .lengthDelimited): item.name = try reader.internedString()
            case (3, .lengthDelimited): item.category = try reader.internedString()
            case (4, .varint): item.quantity = Int32(truncatingIfNeeded: try reader.varint())
            case (5, .lengthDelimited):
                var price = item.hasUnitPrice ? item.unitPrice : C360_V1_Money()
                try nested(&reader, &price, decode)
                item.unitPrice = price
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into change: inout C360_V1_OrderStatusChanged) throws(ProtobufWireError) {
        try fields(&reader, into: &change) { number, wireType, reader, change throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): change.orderID = try reader.string()
            case (2, .varint): change.status = try enumValue(&reader, as: C360_V1_OrderStatus.self)
            case (3, .lengthDelimited):
                var refunded = change.hasRefunded ? change.refunded : C360_V1_Money()
                try nested(&reader, &refunded, decode)
                change.refunded = refunded
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into web: inout C360_V1_WebEvent) throws(ProtobufWireError) {
        try fields(&reader, into: &web) { number, wireType, reader, web throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): web.sessionID = try reader.string()
            case (2, .varint): web.type = try enumValue(&reader, as: C360_V1_WebEventType.self)
            case (3, .lengthDelimited): web.page = try reader.string()
            case (4, .lengthDelimited): web.productID = try reader.string()
            case (5, .lengthDelimited): web.errorMessage = try reader.string()
            case (6, .lengthDelimited): web.device = try reader.string()
            case (7, .lengthDelimited): web.searchQuery = try reader.string()
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into email: inout C360_V1_EmailEvent) throws(ProtobufWireError) {
        try fields(&reader, into: &email) { number, wireType, reader, email throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): email.campaignID = try reader.string()
            case (2, .varint): email.type = try enumValue(&reader, as: C360_V1_EmailEventType.self)
            case (3, .lengthDelimited): email.items.append(try reader.string())
            default: return false
            }
            return true
        }
    }

    static func decode(_ reader: inout ProtobufWireReader, into ticket: inout C360_V1_TicketEvent) throws(ProtobufWireError) {
        try fields(&reader, into: &ticket) { number, wireType, reader, ticket throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): ticket.ticketID = try reader.string()
            case (2, .varint): ticket.type = try enumValue(&reader, as: C360_V1_TicketEventType.self)
            case (3, .lengthDelimited): ticket.category = try reader.string()
            case (4, .varint): ticket.channel = try enumValue(&reader, as: C360_V1_TicketChannel.self)
            case (5, .varint): ticket.satisfactionScore = Int32(truncatingIfNeeded: try reader.varint())
            default: return false
            }
            return true
        }
    }
}
