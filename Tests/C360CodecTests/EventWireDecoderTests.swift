import C360Codec
import C360Core
import C360Model
import Foundation
import SwiftProtobuf
import Testing

/// The hand-written event decoder reads what SwiftProtobuf reads: for random events of every
/// payload kind, for concatenations (protobuf's merge: singular messages merged, oneof cases merged
/// or replaced, repeated fields appended) with unknown fields of every wire type between them, and
/// for damaged bytes, where both fail or both give the same message. Nothing crashes.
@Suite struct EventWireDecoderTests {
    @Test(arguments: 0..<500)
    func randomEventsDecodeAsSwiftProtobufDecodes(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 50_000)
        let event = try random.event()
        let bytes: [UInt8] = try event.serializedBytes()
        #expect(try EventWireDecoder.event(bytes) == event)
    }

    @Test(arguments: 0..<300)
    func concatenationsWithUnknownFieldsMergeAsSwiftProtobufMerges(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 90_000)
        var bytes: [UInt8] = []
        for _ in 0..<random.int(1...4) {
            bytes += try random.event().serializedBytes() as [UInt8]
            if random.chance(60) { bytes += random.unknownField() }
        }
        let reference = try C360_V1_Event(serializedBytes: bytes)
        #expect(try EventWireDecoder.event(bytes) == reference)
    }

    @Test(arguments: 0..<300)
    func appendRequestsDecodeAsSwiftProtobufDecodes(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 120_000)
        var request = C360_V1_AppendEventsRequest()
        request.events = try (0..<random.int(0...6)).map { _ in try random.event() }
        var bytes: [UInt8] = try request.serializedBytes()
        if random.chance(30) { bytes += random.unknownField() }
        #expect(try EventWireDecoder.appendEventsRequest(bytes) == (try C360_V1_AppendEventsRequest(serializedBytes: bytes)))
    }

    /// The bytes kept with each event of a request are exactly those it was sent as — SwiftProtobuf's
    /// encoding of it when the sender encoded canonically, and otherwise (merged concatenations,
    /// unknown fields) bytes SwiftProtobuf decodes to the same event — and the events are those
    /// SwiftProtobuf decodes from the request.
    @Test(arguments: 0..<300)
    func appendRequestsKeepEachEventsBytes(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 130_000)
        let canonical = random.chance(50)
        var sent: [[UInt8]] = []
        var request: [UInt8] = []
        for _ in 0..<random.int(0...6) {
            var eventBytes: [UInt8] = try random.event().serializedBytes()
            if !canonical {
                if random.chance(50) { eventBytes += try random.event().serializedBytes() as [UInt8] }
                if random.chance(50) { eventBytes += random.unknownField() }
            }
            sent.append(eventBytes)
            request += [0x0A] + random.varint(UInt64(eventBytes.count)) + eventBytes
            if !canonical, random.chance(30) { request += random.unknownField() }
        }
        let decoded = try request.withUnsafeBytes { try EventWireDecoder.appendEventsKeepingBytes($0) }
        #expect(decoded.events == (try C360_V1_AppendEventsRequest(serializedBytes: request)).events)
        #expect(decoded.encoded == sent)
        for (event, bytes) in zip(decoded.events, decoded.encoded) {
            #expect(try C360_V1_Event(serializedBytes: bytes) == event)
            if canonical { #expect(try event.serializedBytes() == bytes) }
        }
    }

    /// What the fold reads of an event, read from its bytes (`foldableEvent`), equals what it
    /// reads of the message SwiftProtobuf decodes from them (`FoldableEvent(_:)`), for random
    /// concatenations of events of every payload kind with unknown fields of every wire type
    /// between them: merges, replaced oneof cases and steps over unknown fields included.
    @Test(arguments: 0..<500)
    func foldableEventsReadAsFromTheGeneratedMessage(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 140_000)
        var bytes: [UInt8] = []
        for _ in 0..<random.int(1...3) {
            if random.chance(30) { bytes += random.unknownField() }
            bytes += try random.event().serializedBytes() as [UInt8]
        }
        if random.chance(30) { bytes += random.unknownField() }
        let reference = try C360_V1_Event(serializedBytes: bytes)
        #expect(try EventWireDecoder.foldableEvent(bytes) == FoldableEvent(reference), "bytes \(bytes)")
    }

    /// What the fold reads of events, read from their bytes (`foldableEvent`), folds into the
    /// projection the whole events fold into, over random histories of every payload kind with
    /// unknown fields among them: a field it steps over is one the fold does not read.
    @Test(arguments: 0..<300)
    func theFieldsTheFoldReadsFoldAsTheWholeEvent(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 160_000)
        let fold = ProjectionFold()
        var whole = ProjectionFold.emptyProjection(customerID: ""), read = whole
        for seq in 1...UInt64(random.int(1...30)) {
            let event = Self.foldable(try random.event(), random: &random)
            var bytes: [UInt8] = try event.serializedBytes()
            if random.chance(30) { bytes += random.unknownField() }
            fold.apply(try C360_V1_Event(serializedBytes: bytes), seq: seq, resolution: nil, to: &whole)
            fold.apply(try EventWireDecoder.foldableEvent(bytes), seq: seq, resolution: nil, to: &read)
        }
        #expect(ProjectionWireCodec.encode(read) == ProjectionWireCodec.encode(whole))
    }

    /// `event` with the values a validated event has where the fold computes with them (a time
    /// in this century, amounts and quantities of a real order), random everywhere else: the wire
    /// format's extremes would overflow the fold's arithmetic, which validation keeps them from.
    static func foldable(_ event: C360_V1_Event, random: inout Random) -> C360_V1_Event {
        var event = event
        event.occurredAt = Google_Protobuf_Timestamp(seconds: Int64(random.int(946_684_800...1_900_000_000)), nanos: Int32(random.int(0...999_999_999)))
        func amount(_ money: inout C360_V1_Money) { money.minorUnits = Int64(random.int(0...1_000_000)) }
        switch event.payload {
        case .orderPlaced(var order):
            if order.hasTotal { amount(&order.total) }
            for index in order.items.indices {
                order.items[index].quantity = Int32(random.int(0...20))
                if order.items[index].hasUnitPrice { amount(&order.items[index].unitPrice) }
            }
            event.orderPlaced = order
        case .orderStatusChanged(var change):
            if change.hasRefunded { amount(&change.refunded) }
            event.orderStatusChanged = change
        case .ticketEvent(var ticket):
            ticket.satisfactionScore = Int32(random.int(0...5))
            event.ticketEvent = ticket
        default:
            break
        }
        return event
    }

    /// Bytes flipped, cut short, lengthened: either both decoders refuse them or both read the
    /// same message.
    @Test(arguments: 0..<2_000)
    func damagedBytesFailOrDecodeAsSwiftProtobufDoes(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 200_000)
        var bytes: [UInt8] = try random.event().serializedBytes()
        for _ in 0..<random.int(1...3) {
            switch random.int(0...3) {
            case 0 where !bytes.isEmpty: bytes[random.int(0...bytes.count - 1)] = UInt8(random.int(0...255))
            case 1 where !bytes.isEmpty: bytes.removeLast(random.int(1...bytes.count))
            case 2: bytes.insert(UInt8(random.int(0...255)), at: random.int(0...bytes.count))
            default: bytes += random.unknownField()
            }
        }
        let reference = try? C360_V1_Event(serializedBytes: bytes)
        let fast = try? EventWireDecoder.event(bytes)
        #expect(fast == reference, "bytes \(bytes)")
        // The fold's decoder steps over fields without reading them, so it may take bytes the
        // whole decoder refuses; never the other way round, and never a crash.
        let foldable = try? EventWireDecoder.foldableEvent(bytes)
        if let reference { #expect(foldable == FoldableEvent(reference), "bytes \(bytes)") }
    }

    @Test func edgeCases() throws {
        // A known field with a wire type its declaration does not allow is kept as unknown.
        let wrongType: [UInt8] = [0x08, 0x05, 0x12, 0x02, 0x63, 0x31]  // field 1 as a varint, then customer_id "c1"
        #expect(try EventWireDecoder.event(wrongType) == (try C360_V1_Event(serializedBytes: wrongType)))
        // Ten-byte varints: the most a varint has; an eleventh byte is malformed.
        let tenBytes: [UInt8] = [0x3A, 0x0C, 0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01]  // timestamp.seconds = -1
        #expect(try EventWireDecoder.event([0x22, 0x0B] + tenBytes.dropFirst(2)) == (try C360_V1_Event(serializedBytes: [0x22, 0x0B] + tenBytes.dropFirst(2))))
        #expect(throws: ProtobufWireError.self) { try EventWireDecoder.event([0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01]) }
        // A field's key is five bytes at most (found by the codec fuzzer): a sixth is malformed.
        #expect(throws: ProtobufWireError.self) { try EventWireDecoder.appendEventsRequest([0x89, 0x89, 0x89, 0x89, 0x89, 0x00, 0, 0, 0, 0, 0, 0, 0x89, 0x0A]) }
        // Not UTF-8.
        #expect(throws: ProtobufWireError.self) { try EventWireDecoder.event([0x0A, 0x02, 0xC3, 0x28]) }
        // A length past the end; field number 0; an end-group with no start.
        #expect(throws: ProtobufWireError.self) { try EventWireDecoder.event([0x0A, 0x05, 0x61]) }
        #expect(throws: ProtobufWireError.self) { try EventWireDecoder.event([0x00, 0x01]) }
        #expect(throws: ProtobufWireError.self) { try EventWireDecoder.event([0xCC, 0x06]) }
        // Empty input is the empty event.
        #expect(try EventWireDecoder.event([UInt8]()) == C360_V1_Event())
    }
}

extension Random {
    /// One unknown field of a random wire type, numbered past every declared field.
    mutating func unknownField() -> [UInt8] {
        let number = UInt64(int(90...2_000))
        func key(_ wireType: UInt64) -> [UInt8] { varint(number << 3 | wireType) }
        switch int(0...4) {
        case 0: return key(0) + varint(next() >> UInt64(int(0...63)))
        case 1: return key(1) + (0..<8).map { _ in UInt8(int(0...255)) }
        case 2:
            let body = (0..<int(0...20)).map { _ in UInt8(int(0...255)) }
            return key(2) + varint(UInt64(body.count)) + body
        case 3: return key(5) + (0..<4).map { _ in UInt8(int(0...255)) }
        default: return key(3) + varint(8) + varint(7) + key(4)  // a group holding field 1 = 7
        }
    }

    func varint(_ value: UInt64) -> [UInt8] {
        var value = value, bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }

    mutating func customerUpserted() throws -> C360_V1_CustomerUpserted {
        var customer = try withUnknownField(C360_V1_CustomerUpserted.self)
        if chance(60) { customer.firstName = string() }
        if chance(60) { customer.lastName = string() }
        if chance(60) { customer.email = string() }
        if chance(60) { customer.phone = string() }
        if chance(60) { customer.dateOfBirth = string() }
        customer.gender = C360_V1_Gender(rawValue: enumValue()) ?? .unspecified
        if chance(50) {
            var address = try withUnknownField(C360_V1_Address.self)
            address.line1 = string(); address.line2 = string(); address.city = string()
            address.region = string(); address.postalCode = string(); address.country = string()
            customer.address = address
        }
        customer.loyaltyTier = C360_V1_LoyaltyTier(rawValue: enumValue()) ?? .unspecified
        if chance(50) { customer.loyaltyPoints = int64() }
        if chance(50) { customer.signupDate = string() }
        if chance(50) { customer.acquisitionChannel = string() }
        if chance(50) {
            var consent = try withUnknownField(C360_V1_ConsentFlags.self)
            consent.emailMarketing = chance(50); consent.smsMarketing = chance(50); consent.personalisation = chance(50)
            customer.consent = consent
        }
        return customer
    }

    mutating func event() throws -> C360_V1_Event {
        var event = try withUnknownField(C360_V1_Event.self)
        event.eventID = string()
        event.customerID = string()
        event.identities = try (0..<int(0...3)).map { _ in try identity() }
        if chance(80) { event.occurredAt = timestamp() }
        event.source = string()
        switch int(0...8) {
        case 0:
            event.customerUpserted = try customerUpserted()
        case 1:
            var order = try withUnknownField(C360_V1_OrderPlaced.self)
            order.orderID = string()
            order.channel = C360_V1_OrderChannel(rawValue: enumValue()) ?? .unspecified
            order.storeID = string()
            for _ in 0..<int(0...4) {
                var item = try withUnknownField(C360_V1_LineItem.self)
                item.productID = string(); item.name = string(); item.category = string(); item.quantity = int32()
                if chance(80) { item.unitPrice = try money() }
                order.items.append(item)
            }
            if chance(80) { order.total = try money() }
            order.status = C360_V1_OrderStatus(rawValue: enumValue()) ?? .unspecified
            event.orderPlaced = order
        case 2:
            var change = try withUnknownField(C360_V1_OrderStatusChanged.self)
            change.orderID = string()
            change.status = C360_V1_OrderStatus(rawValue: enumValue()) ?? .unspecified
            if chance(50) { change.refunded = try money() }
            event.orderStatusChanged = change
        case 3:
            var web = try withUnknownField(C360_V1_WebEvent.self)
            web.sessionID = string(); web.type = C360_V1_WebEventType(rawValue: enumValue()) ?? .unspecified
            web.page = string(); web.productID = string(); web.errorMessage = string(); web.device = string()
            web.searchQuery = string()
            event.webEvent = web
        case 4:
            var email = try withUnknownField(C360_V1_EmailEvent.self)
            email.campaignID = string(); email.type = C360_V1_EmailEventType(rawValue: enumValue()) ?? .unspecified
            email.items = (0..<int(0...3)).map { _ in string() }
            event.emailEvent = email
        case 5:
            var ticket = try withUnknownField(C360_V1_TicketEvent.self)
            ticket.ticketID = string(); ticket.type = C360_V1_TicketEventType(rawValue: enumValue()) ?? .unspecified
            ticket.category = string(); ticket.channel = C360_V1_TicketChannel(rawValue: enumValue()) ?? .unspecified
            ticket.satisfactionScore = int32()
            event.ticketEvent = ticket
        case 6:
            var linked = try withUnknownField(C360_V1_IdentityLinked.self)
            if chance(80) { linked.identity = try identity() }
            event.identityLinked = linked
        case 7:
            var unlinked = try withUnknownField(C360_V1_IdentityUnlinked.self)
            if chance(80) { unlinked.identity = try identity() }
            event.identityUnlinked = unlinked
        default:
            break
        }
        return event
    }
}
