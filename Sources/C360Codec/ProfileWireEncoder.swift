public import C360Core
public import C360Model
import SwiftProtobuf

/// A profile's `GetProfileResponse`, and the `BatchGetProfilesResponse` of profiles encoded
/// one by one, written field by field from the plain `Profile` the evaluator gives: no
/// SwiftProtobuf message is built or visited (the generic visitor measured every nested message
/// before writing it, 34% of a lookup's server CPU in `perf`, and building the message took as
/// long again). Proto3's rules: a singular field at its default value is left out, an `optional`
/// or message field is written when set, fields in field-number order. The bytes are those
/// SwiftProtobuf writes for `C360_V1_Profile(profile)`, which the property tests check.
public enum ProfileWireEncoder {
    /// The `Profile` message's bytes.
    public static func encode(_ profile: Profile) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 1_024)
        write(profile, to: &writer)
        return writer.finish()
    }

    /// A `GetProfileResponse` holding `profile`.
    public static func getProfileResponse(_ profile: Profile) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 1_024)
        let message = writer.beginMessage(1)
        write(profile, to: &writer)
        writer.endMessage(message)
        return writer.finish()
    }

    /// One `BatchGetProfilesResponse` result: a customer's profile already encoded, or why there is none.
    public enum BatchResult {
        case profile([UInt8])
        case error(C360_V1_LookupError)
    }

    /// A `BatchGetProfilesResponse` of profiles already encoded (`EncodedProfile`): the bytes
    /// `encode(_:)` gives for the same results as messages.
    public static func batchGetProfilesResponse(_ results: [(customerID: String, result: BatchResult)]) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 64 + results.reduce(0) { total, entry in
            if case .profile(let bytes) = entry.result { return total + bytes.count + 48 }
            return total + 128
        })
        for (customerID, result) in results {
            writer.messageField(1) { writer in
                writer.proto3String(1, customerID)
                switch result {
                case .profile(let bytes):
                    writer.bytesField(2, bytes)
                case .error(let error):
                    writer.messageField(3) { writer in
                        writer.proto3Int64(1, Int64(error.code.rawValue))
                        writer.proto3String(2, error.message)
                        writer.unknown(error.unknownFields)
                    }
                }
            }
        }
        return writer.finish()
    }

    // MARK: Messages

    static func write(_ profile: Profile, to writer: inout ProtobufWireWriter) {
        writeBeforeAsOf(profile, to: &writer)
        write(9, profile.asOf, to: &writer)
        writeAfterAsOf(profile, to: &writer)
    }

    /// Fields 1 to 8.
    static func writeBeforeAsOf(_ profile: Profile, to writer: inout ProtobufWireWriter) {
        writer.proto3String(1, profile.customerID)
        write(profile.details, to: &writer)
        write(profile.purchases, to: &writer)
        write(profile.activity, to: &writer)
        write(profile.support, to: &writer)
        writer.proto3UInt64(7, profile.seq)
        writer.proto3UInt64(8, UInt64(profile.projectionVersion))
    }

    /// Fields 10 to 15.
    static func writeAfterAsOf(_ profile: Profile, to writer: inout ProtobufWireWriter) {
        writer.proto3UInt64(10, profile.eventCount)
        for identity in profile.identities {
            let message = writer.beginMessage(11)
            write(1, identity.identity, to: &writer)
            writer.proto3String(2, identity.linkedByEventID)
            writer.proto3UInt64(3, identity.linkedSeq)
            write(4, identity.linkedAt, to: &writer)
            writer.proto3Bool(5, identity.mergedFromAnonymous)
            writer.endMessage(message)
        }
        for conflict in profile.identityConflicts {
            let message = writer.beginMessage(12)
            write(1, conflict.identity, to: &writer)
            writer.proto3String(2, conflict.eventID)
            writer.proto3UInt64(3, conflict.seq)
            write(4, conflict.at, to: &writer)
            writer.proto3Int64(5, Int64(conflict.reason.rawValue))
            writer.endMessage(message)
        }
        let recent = writer.beginMessage(13)
        writer.proto3Int64(1, Int64(profile.recent.windowDays))
        writer.proto3Int64(2, profile.recent.webEvents)
        writer.proto3Int64(3, profile.recent.pageViews)
        writer.proto3Int64(4, profile.recent.productViews)
        writer.proto3Int64(5, profile.recent.sessions)
        writer.proto3Int64(6, profile.recent.orders)
        writer.endMessage(recent)
        write(profile.derived, to: &writer)
        writer.proto3Bool(15, profile.personalDataRedacted)
    }

    /// Field 2.
    static func write(_ details: Profile.Details, to writer: inout ProtobufWireWriter) {
        let message = writer.beginMessage(2)
        writer.proto3String(1, details.firstName)
        writer.proto3String(2, details.lastName)
        writer.proto3String(3, details.email)
        writer.proto3String(4, details.phone)
        writer.proto3String(5, details.dateOfBirth)
        if let age = details.age { writer.int64Field(6, Int64(age)) }
        writer.proto3Int64(7, Int64(details.gender.rawValue))
        if let address = details.address {
            let nested = writer.beginMessage(8)
            writer.proto3String(1, address.line1)
            writer.proto3String(2, address.line2)
            writer.proto3String(3, address.city)
            writer.proto3String(4, address.region)
            writer.proto3String(5, address.postalCode)
            writer.proto3String(6, address.country)
            writer.unknown(address.unknownFields)
            writer.endMessage(nested)
        }
        writer.proto3Int64(9, Int64(details.loyaltyTier.rawValue))
        writer.proto3Int64(10, details.loyaltyPoints)
        writer.proto3String(11, details.signupDate)
        writer.proto3String(12, details.acquisitionChannel)
        if let consent = details.consent {
            let nested = writer.beginMessage(13)
            writer.proto3Bool(1, consent.emailMarketing)
            writer.proto3Bool(2, consent.smsMarketing)
            writer.proto3Bool(3, consent.personalisation)
            writer.unknown(consent.unknownFields)
            writer.endMessage(nested)
        }
        writer.endMessage(message)
    }

    /// Field 4.
    static func write(_ purchases: Profile.Purchases, to writer: inout ProtobufWireWriter) {
        let message = writer.beginMessage(4)
        writer.proto3Int64(1, purchases.onlineOrders)
        writer.proto3Int64(2, purchases.instoreOrders)
        writer.proto3Int64(3, purchases.mobileOrders)
        writer.proto3Int64(4, purchases.marketplaceOrders)
        writer.proto3Int64(5, purchases.totalOrders)
        writer.proto3Int64(6, purchases.itemsBought)
        for money in purchases.lifetimeValue { write(7, money, to: &writer) }
        if let at = purchases.firstOrderAt { write(8, at, to: &writer) }
        if let at = purchases.lastOrderAt { write(9, at, to: &writer) }
        writer.proto3String(10, purchases.lastOrderID)
        writer.proto3Int64(11, Int64(purchases.lastOrderStatus.rawValue))
        for product in purchases.topProducts {
            let nested = writer.beginMessage(12)
            writer.proto3String(1, product.productID)
            writer.proto3String(2, product.name)
            writer.proto3String(3, product.category)
            writer.proto3Int64(4, product.quantity)
            writer.proto3Int64(5, product.orders)
            writer.endMessage(nested)
        }
        writer.proto3Int64(13, purchases.cancelledOrders)
        writer.proto3Int64(14, purchases.returnedOrders)
        for money in purchases.refunded { write(15, money, to: &writer) }
        writer.proto3Double(16, purchases.itemsPerOrder)
        if let average = purchases.averageOrderValue { write(17, average, to: &writer) }
        writer.proto3Int64(18, Int64(purchases.preferredChannel.rawValue))
        for category in purchases.topCategories {
            let nested = writer.beginMessage(19)
            writer.proto3String(1, category.category)
            writer.proto3Int64(2, category.quantity)
            writer.proto3Int64(3, category.orders)
            writer.endMessage(nested)
        }
        writer.endMessage(message)
    }

    /// Field 5.
    static func write(_ activity: Profile.Activity, to writer: inout ProtobufWireWriter) {
        let message = writer.beginMessage(5)
        if let at = activity.lastLoginAt { write(1, at, to: &writer) }
        if let at = activity.lastVisitAt { write(2, at, to: &writer) }
        if let at = activity.lastActiveAt { write(3, at, to: &writer) }
        if let at = activity.lastEmailSentAt { write(4, at, to: &writer) }
        if let at = activity.lastEmailOpenedAt { write(5, at, to: &writer) }
        if let at = activity.lastEmailClickedAt { write(6, at, to: &writer) }
        writer.proto3Int64(7, activity.webEvents)
        writer.proto3Int64(8, activity.pageViews)
        writer.proto3Int64(9, activity.productViews)
        writer.proto3Int64(10, activity.sessions)
        writer.proto3Int64(11, activity.loginFailures)
        writer.proto3Int64(12, activity.emailsSent)
        writer.proto3Int64(13, activity.emailsOpened)
        writer.proto3Int64(14, activity.emailsClicked)
        writer.proto3Bool(15, activity.unsubscribed)
        for error in activity.recentErrors {
            let nested = writer.beginMessage(16)
            writer.proto3String(1, error.page)
            writer.proto3String(2, error.message)
            writer.proto3Int64(3, error.count)
            write(4, error.lastAt, to: &writer)
            writer.endMessage(nested)
        }
        writer.proto3Double(17, activity.emailOpenRate)
        writer.proto3Double(18, activity.emailClickRate)
        writer.endMessage(message)
    }

    /// Field 6.
    static func write(_ support: Profile.Support, to writer: inout ProtobufWireWriter) {
        let message = writer.beginMessage(6)
        writer.proto3Int64(1, support.openTickets)
        writer.proto3Int64(2, support.totalTickets)
        if let at = support.lastTicketAt { write(3, at, to: &writer) }
        for id in support.openTicketIDs { writer.stringField(4, id) }
        if let average = support.averageSatisfaction { writer.doubleField(5, average) }
        writer.proto3Int64(6, support.reopenedTickets)
        writer.proto3Int64(7, support.escalations)
        writer.endMessage(message)
    }

    /// Field 14.
    static func write(_ derived: Profile.Derived, to writer: inout ProtobufWireWriter) {
        let message = writer.beginMessage(14)
        writer.proto3Int64(1, Int64(derived.lifecycleStage.rawValue))
        if let days = derived.daysSinceLastOrder { writer.int64Field(2, days) }
        if let rfm = derived.rfm {
            let nested = writer.beginMessage(3)
            writer.proto3Int64(1, Int64(rfm.recency))
            writer.proto3Int64(2, Int64(rfm.frequency))
            writer.proto3Int64(3, Int64(rfm.monetary))
            writer.endMessage(nested)
        }
        writer.proto3Int64(4, Int64(derived.healthScore))
        writer.proto3Bool(5, derived.churnRisk)
        writer.proto3Bool(6, derived.hasOpenSupportIssue)
        let flags = writer.beginMessage(7)
        writer.proto3Bool(1, derived.opportunities.channelExpansion)
        writer.proto3Bool(2, derived.opportunities.tierUpgrade)
        writer.proto3Bool(3, derived.opportunities.appAdoption)
        writer.endMessage(flags)
        writer.endMessage(message)
    }

    static func write(_ field: Int, _ identity: C360_V1_Identity, to writer: inout ProtobufWireWriter) {
        let message = writer.beginMessage(field)
        writer.proto3Int64(1, Int64(identity.type.rawValue))
        writer.proto3String(2, identity.value)
        writer.unknown(identity.unknownFields)
        writer.endMessage(message)
    }

    static func write(_ field: Int, _ money: Profile.Money, to writer: inout ProtobufWireWriter) {
        let message = writer.beginMessage(field)
        writer.proto3Int64(1, money.minorUnits)
        writer.proto3String(2, money.currency)
        writer.endMessage(message)
    }

    /// A `google.protobuf.Timestamp`.
    @inline(__always)
    static func write(_ field: Int, _ instant: Instant, to writer: inout ProtobufWireWriter) {
        writer.appendInPlace(maxBytes: timestampFieldCapacity) { timestampField(field, instant, at: $0) }
    }

    /// Most bytes `timestampField` writes: a key of up to 2 bytes, a length byte, then seconds
    /// (key and up to 10 bytes) and nanoseconds (key and up to 5).
    static let timestampFieldCapacity = 20

    /// Writes a `google.protobuf.Timestamp` field (proto3: seconds and nanoseconds left out at 0) at
    /// `start`, which must have room for `timestampFieldCapacity` bytes; returns its length.
    @inline(__always)
    static func timestampField(_ field: Int, _ instant: Instant, at start: UnsafeMutablePointer<UInt8>) -> Int {
        let (seconds, nanos) = instant.secondsAndNanos
        var length = 0
        if seconds != 0 { length += 1 + Varint.length(UInt64(bitPattern: seconds)) }
        if nanos != 0 { length += 1 + Varint.length(UInt64(nanos)) }
        var at = Varint.write(UInt64(field) << 3 | 2, at: start)
        at += Varint.write(UInt64(length), at: start + at)
        if seconds != 0 {
            start[at] = 1 << 3
            at += 1 + Varint.write(UInt64(bitPattern: seconds), at: start + at + 1)
        }
        if nanos != 0 {
            start[at] = 2 << 3
            at += 1 + Varint.write(UInt64(nanos), at: start + at + 1)
        }
        return at
    }
}

/// Proto3's singular fields: left out at their default value (0, false, empty; a double whose bits
/// are all zero, so -0.0 is written), each value read once from its message.
extension ProtobufWireWriter {
    @inline(__always)
    mutating func proto3String(_ field: Int, _ value: String) {
        if !value.isEmpty { stringField(field, value) }
    }

    @inline(__always)
    mutating func proto3Int64(_ field: Int, _ value: Int64) {
        if value != 0 { int64Field(field, value) }
    }

    @inline(__always)
    mutating func proto3UInt64(_ field: Int, _ value: UInt64) {
        if value != 0 { uint64Field(field, value) }
    }

    @inline(__always)
    mutating func proto3Bool(_ field: Int, _ value: Bool) {
        if value { boolField(field, true) }
    }

    @inline(__always)
    mutating func proto3Double(_ field: Int, _ value: Double) {
        if value.bitPattern != 0 { doubleField(field, value) }
    }

}
