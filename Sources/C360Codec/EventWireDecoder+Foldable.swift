public import C360Core
import C360Model

extension EventWireDecoder {
    /// What the fold reads of a stored event (`FoldableEvent`), straight from its bytes: the
    /// fields it reads are decoded as SwiftProtobuf decodes them (a singular message seen twice
    /// merged, a oneof's message merged when its case repeats and replaced when another case
    /// follows, strings checked as UTF-8); every other field, and a known one with a wire type its
    /// declaration does not allow, is stepped over. Equal to `FoldableEvent(_:)` of the message
    /// SwiftProtobuf reads from the same bytes, which the property tests and the codec fuzz target check.
    public static func foldableEvent(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> FoldableEvent {
        var reader = ProtobufWireReader(bytes)
        var event = FoldableEvent()
        try decode(&reader, into: &event)
        return event
    }

    public static func foldableEvent(_ bytes: [UInt8]) throws(ProtobufWireError) -> FoldableEvent {
        try bytes.decoded(by: foldableEvent)
    }

    /// Reads a message's fields until its end: `field` reads the ones it knows (returning true),
    /// the others are stepped over (`fields`, for the generated messages, keeps them as unknown fields).
    @inline(__always)
    private static func knownFields<Value>(
        _ reader: inout ProtobufWireReader, into value: inout Value,
        _ field: (Int, ProtobufWireReader.WireType, inout ProtobufWireReader, inout Value) throws(ProtobufWireError) -> Bool
    ) throws(ProtobufWireError) {
        while true {
            let fieldStart = reader.offset
            guard let (number, wireType) = try reader.nextField() else { break }
            if try !field(number, wireType, &reader, &value) {
                _ = try reader.skip(wireType, number: number, fieldStart: fieldStart)
            }
        }
    }

    private static func decode(_ reader: inout ProtobufWireReader, into event: inout FoldableEvent) throws(ProtobufWireError) {
        try knownFields(&reader, into: &event) { number, wireType, reader, event throws(ProtobufWireError) in
            guard wireType == .lengthDelimited else { return false }
            switch number {
            case 1: event.eventID = try reader.string()
            case 2: event.customerID = try reader.string()
            case 4:
                try nested(&reader, &event) { reader, event throws(ProtobufWireError) in
                    try knownFields(&reader, into: &event) { number, wireType, reader, event throws(ProtobufWireError) in
                        switch (number, wireType) {
                        case (1, .varint): event.occurredAtSeconds = Int64(bitPattern: try reader.varint())
                        case (2, .varint): event.occurredAtNanos = Int32(truncatingIfNeeded: try reader.varint())
                        default: return false
                        }
                        return true
                    }
                }
            case 10:
                var customer = C360_V1_CustomerUpserted()
                if case .customerUpserted(let existing)? = event.payload { customer = existing }
                try nested(&reader, &customer, decode)
                event.payload = .customerUpserted(customer)
            case 11:
                var order = FoldableEvent.Order()
                if case .orderPlaced(let existing)? = event.payload { order = existing }
                event.payload = nil  // the order's arrays stay uniquely referenced while it is read
                try nested(&reader, &order, decode)
                event.payload = .orderPlaced(order)
            case 12:
                var change = FoldableEvent.StatusChange()
                if case .orderStatusChanged(let existing)? = event.payload { change = existing }
                try nested(&reader, &change, decode)
                event.payload = .orderStatusChanged(change)
            case 13:
                var web = FoldableEvent.Web()
                if case .webEvent(let existing)? = event.payload { web = existing }
                try nested(&reader, &web, decode)
                event.payload = .webEvent(web)
            case 14:
                var type = C360_V1_EmailEventType.unspecified
                if case .emailEvent(let existing)? = event.payload { type = existing }
                try nested(&reader, &type) { reader, type throws(ProtobufWireError) in
                    try knownFields(&reader, into: &type) { number, wireType, reader, type throws(ProtobufWireError) in
                        guard number == 2, wireType == .varint else { return false }
                        type = try enumValue(&reader, as: C360_V1_EmailEventType.self)
                        return true
                    }
                }
                event.payload = .emailEvent(type)
            case 15:
                var ticket = FoldableEvent.Ticket()
                if case .ticketEvent(let existing)? = event.payload { ticket = existing }
                try nested(&reader, &ticket, decode)
                event.payload = .ticketEvent(ticket)
            case 16, 17:
                // An identity linked or unlinked: the fold reads nothing of it.
                _ = try reader.lengthDelimited()
                event.payload = .identityChange
            default: return false
            }
            return true
        }
    }

    private static func decode(_ reader: inout ProtobufWireReader, into order: inout FoldableEvent.Order) throws(ProtobufWireError) {
        try knownFields(&reader, into: &order) { number, wireType, reader, order throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): order.orderID = try reader.string()
            case (2, .varint): order.channel = try enumValue(&reader, as: C360_V1_OrderChannel.self)
            case (4, .lengthDelimited):
                var item = FoldableEvent.Item()
                try nested(&reader, &item, decode)
                order.items.append(item)
            case (5, .lengthDelimited): try nested(&reader, &order.total, decodeAmount)
            case (6, .varint): order.status = try enumValue(&reader, as: C360_V1_OrderStatus.self)
            default: return false
            }
            return true
        }
    }

    private static func decode(_ reader: inout ProtobufWireReader, into item: inout FoldableEvent.Item) throws(ProtobufWireError) {
        try knownFields(&reader, into: &item) { number, wireType, reader, item throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): item.productID = try reader.string()
            case (2, .lengthDelimited): item.name = try reader.internedString()
            case (3, .lengthDelimited): item.category = try reader.internedString()
            case (4, .varint): item.quantity = Int32(truncatingIfNeeded: try reader.varint())
            default: return false
            }
            return true
        }
    }

    private static func decode(_ reader: inout ProtobufWireReader, into change: inout FoldableEvent.StatusChange) throws(ProtobufWireError) {
        try knownFields(&reader, into: &change) { number, wireType, reader, change throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): change.orderID = try reader.string()
            case (2, .varint): change.status = try enumValue(&reader, as: C360_V1_OrderStatus.self)
            case (3, .lengthDelimited):
                var refunded = change.refunded ?? C360_V1_Money()
                try nested(&reader, &refunded, decodeAmount)
                change.refunded = refunded
            default: return false
            }
            return true
        }
    }

    /// An amount's two fields; its unknown fields are not kept (a projection keeps none).
    private static func decodeAmount(_ reader: inout ProtobufWireReader, into money: inout C360_V1_Money) throws(ProtobufWireError) {
        try knownFields(&reader, into: &money) { number, wireType, reader, money throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .varint): money.minorUnits = Int64(bitPattern: try reader.varint())
            case (2, .lengthDelimited): money.currency = try reader.string()
            default: return false
            }
            return true
        }
    }

    private static func decode(_ reader: inout ProtobufWireReader, into web: inout FoldableEvent.Web) throws(ProtobufWireError) {
        try knownFields(&reader, into: &web) { number, wireType, reader, web throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): web.sessionID = try reader.string()
            case (2, .varint): web.type = try enumValue(&reader, as: C360_V1_WebEventType.self)
            case (3, .lengthDelimited): web.page = try reader.string()
            case (5, .lengthDelimited): web.errorMessage = try reader.string()
            case (6, .lengthDelimited): web.device = try reader.string()
            default: return false
            }
            return true
        }
    }

    private static func decode(_ reader: inout ProtobufWireReader, into ticket: inout FoldableEvent.Ticket) throws(ProtobufWireError) {
        try knownFields(&reader, into: &ticket) { number, wireType, reader, ticket throws(ProtobufWireError) in
            switch (number, wireType) {
            case (1, .lengthDelimited): ticket.ticketID = try reader.string()
            case (2, .varint): ticket.type = try enumValue(&reader, as: C360_V1_TicketEventType.self)
            case (5, .varint): ticket.satisfactionScore = Int32(truncatingIfNeeded: try reader.varint())
            default: return false
            }
            return true
        }
    }
}
