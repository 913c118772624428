import C360Codec
import C360Core
import C360Model
import Foundation
import SwiftProtobuf
import Testing

/// The plain projection and its codec agree with SwiftProtobuf on random projections that set every
/// field (and leave each out), present-but-empty nested messages, extreme numbers, unrecognised
/// enum values and non-ASCII strings: the same bytes written, the same projection read.
@Suite struct ProjectionWireCodecTests {
    @Test(arguments: 0..<400)
    func writesSwiftProtobufsBytes(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 50_000)
        let message = try random.projection()
        let plain = Projection(message)
        let reference: [UInt8] = try message.serializedBytes()
        #expect(ProjectionWireCodec.encode(plain) == reference)
        #expect(plain.generatedMessage == message)
    }

    @Test(arguments: 0..<400)
    func readsWhatSwiftProtobufReads(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 60_000)
        let message = try random.projection()
        let bytes: [UInt8] = try message.serializedBytes()
        let decoded = try ProjectionWireCodec.decode(bytes)
        #expect(decoded == Projection(message))
        #expect(ProjectionWireCodec.encode(decoded) == bytes)
    }

    @Test("the customer id read alone from a projection's bytes is the one the whole decoding reads", arguments: 0..<200)
    func customerIDAlone(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 70_000)
        let message = try random.projection()
        let bytes: [UInt8] = try message.serializedBytes()
        #expect(try bytes.withUnsafeBytes { try ProjectionWireCodec.customerID($0) } == message.customerID)
    }

    @Test("a singular message field seen twice is merged, as SwiftProtobuf merges it; unknown fields are skipped")
    func mergesAndSkips() throws {
        var first = C360_Store_V1_Projection()
        first.orders.online = 3
        var second = C360_Store_V1_Projection()
        second.orders.instore = 2
        second.customerID = "cust_1"
        let unknown: [UInt8] = [0x98, 0x06, 0x05]
        let bytes: [UInt8] = try first.serializedBytes() + unknown + second.serializedBytes()
        let reference = try C360_Store_V1_Projection(serializedBytes: bytes)
        var withoutUnknown = reference
        withoutUnknown.unknownFields = UnknownStorage()
        #expect(try ProjectionWireCodec.decode(bytes) == Projection(withoutUnknown))
        #expect(try ProjectionWireCodec.decode(bytes).orders.online == 3)
        #expect(try ProjectionWireCodec.decode(bytes).orders.instore == 2)
    }

    @Test("presence follows protobuf: reading a nested message leaves it absent, changing it makes it present")
    func presence() {
        var projection = Projection()
        #expect(projection.orders.online == 0)
        #expect(!projection.hasOrders)
        #expect(ProjectionWireCodec.encode(projection).isEmpty)
        projection.orders.online += 0
        #expect(projection.hasOrders)
        #expect(ProjectionWireCodec.encode(projection) == [0x3A, 0x00])
        projection.clearOrders()
        #expect(!projection.hasOrders)
    }

    @Test("malformed bytes are an error, never a crash or a read past the buffer", arguments: 0..<200)
    func malformed(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 70_000)
        var bytes: [UInt8] = try random.projection().serializedBytes()
        guard !bytes.isEmpty else { return }
        switch random.int(0...2) {
        case 0: bytes.removeLast(random.int(1...bytes.count))
        case 1: bytes[random.int(0...bytes.count - 1)] = UInt8(random.int(0...255))
        default: bytes.append(contentsOf: [0xFF, 0xFF, 0xFF])
        }
        // Either outcome is fine; what matters is that it returns.
        let reference = try? C360_Store_V1_Projection(serializedBytes: bytes)
        let decoded = try? ProjectionWireCodec.decode(bytes)
        if reference == nil { #expect(decoded == nil, "SwiftProtobuf refuses these bytes; so must the codec") }
    }
}

extension Random {
    mutating func projection() throws -> C360_Store_V1_Projection {
        var projection = C360_Store_V1_Projection()
        projection.version = UInt32(truncatingIfNeeded: uint64())
        projection.seq = uint64()
        projection.customerID = string()
        projection.eventCount = uint64()
        if chance(60) { projection.details = try customerUpserted() }
        if chance(80) {
            var orders = C360_Store_V1_Orders()
            if chance(10) { projection.orders = orders } else {
                orders.online = int64(); orders.instore = int64(); orders.mobile = int64(); orders.marketplace = int64()
                orders.items = int64()
                orders.spend = (0..<int(0...3)).map { _ in moneyTotal() }
                orders.refunded = (0..<int(0...2)).map { _ in moneyTotal() }
                orders.firstOrderAtUs = int64(); orders.lastOrderAtUs = int64(); orders.lastOrderID = string()
                orders.lastOrderStatus = C360_V1_OrderStatus(rawValue: enumValue()) ?? .unspecified
                orders.cancelled = int64(); orders.returned = int64()
                for _ in 0..<int(0...4) {
                    var summary = C360_Store_V1_OrderSummary()
                    summary.orderID = string(); summary.placedAtUs = int64()
                    summary.channel = C360_V1_OrderChannel(rawValue: enumValue()) ?? .unspecified
                    if chance(80) { summary.total = try money() }
                    summary.status = C360_V1_OrderStatus(rawValue: enumValue()) ?? .unspecified
                    summary.placementSeq = uint64(); summary.statusAtUs = int64(); summary.statusSeq = uint64()
                    summary.refunds = (0..<int(0...2)).map { _ in moneyTotal() }
                    orders.ledger.append(summary)
                }
                for _ in 0..<int(0...3) {
                    var product = C360_Store_V1_ProductTally()
                    product.productID = string(); product.name = string(); product.category = string()
                    product.quantity = int64(); product.orders = int64(); product.namedAtUs = int64(); product.namedSeq = uint64()
                    orders.products.append(product)
                }
                for _ in 0..<int(0...3) {
                    var category = C360_Store_V1_CategoryTally()
                    category.category = string(); category.quantity = int64(); category.orders = int64()
                    orders.categories.append(category)
                }
                orders.onlineLastAtUs = int64(); orders.instoreLastAtUs = int64()
                orders.mobileLastAtUs = int64(); orders.marketplaceLastAtUs = int64()
                projection.orders = orders
            }
        }
        if chance(70) {
            var web = C360_Store_V1_Web()
            web.events = int64(); web.pageViews = int64(); web.productViews = int64(); web.sessions = int64()
            web.lastSessionID = string(); web.loginFailures = int64(); web.lastLoginAtUs = int64(); web.lastVisitAtUs = int64()
            for _ in 0..<int(0...3) {
                var error = C360_Store_V1_ErrorTally()
                error.page = string(); error.message = string(); error.count = int64(); error.lastAtUs = int64()
                web.recentErrors.append(error)
            }
            web.appEvents = int64()
            projection.web = web
        }
        if chance(70) {
            var email = C360_Store_V1_Email()
            email.sent = int64(); email.delivered = int64(); email.opened = int64(); email.clicked = int64()
            email.bounced = int64(); email.unsubscribed = chance(50)
            email.lastSentAtUs = int64(); email.lastOpenedAtUs = int64(); email.lastClickedAtUs = int64()
            projection.email = email
        }
        if chance(70) {
            var support = C360_Store_V1_Support()
            support.total = int64(); support.lastTicketAtUs = int64(); support.escalations = int64()
            support.satisfactionSum = int64(); support.satisfactionCount = int64(); support.reopened = int64()
            for _ in 0..<int(0...3) {
                var ticket = C360_Store_V1_TicketState()
                ticket.ticketID = string(); ticket.latestAtUs = int64(); ticket.latestSeq = uint64(); ticket.open = chance(50)
                support.tickets.append(ticket)
            }
            projection.support = support
        }
        for _ in 0..<int(0...3) {
            var linked = C360_Store_V1_LinkedIdentity()
            if chance(90) { linked.identity = try identity() }
            linked.linkedByEventID = string(); linked.linkedSeq = uint64(); linked.linkedAtUs = int64()
            linked.mergedFromAnonymous = chance(30)
            projection.identities.append(linked)
        }
        for _ in 0..<int(0...2) {
            var conflict = C360_Store_V1_IdentityConflict()
            if chance(90) { conflict.identity = try identity() }
            conflict.eventID = string(); conflict.seq = uint64(); conflict.atUs = int64()
            conflict.reason = C360_Store_V1_RefusalReason(rawValue: enumValue()) ?? .unspecified
            projection.identityConflicts.append(conflict)
        }
        for _ in 0..<int(0...4) {
            var day = C360_Store_V1_DayBucket()
            day.day = int32(); day.webEvents = int64(); day.pageViews = int64(); day.productViews = int64()
            day.sessions = int64(); day.orders = int64()
            projection.days.append(day)
        }
        return projection
    }

    mutating func moneyTotal() -> C360_Store_V1_MoneyTotal {
        var total = C360_Store_V1_MoneyTotal()
        total.currency = chance(80) ? "GBP" : string()
        total.minorUnits = int64()
        total.orders = int64()
        return total
    }
}
