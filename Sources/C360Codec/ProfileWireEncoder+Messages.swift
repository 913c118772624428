public import C360Model
import SwiftProtobuf

/// The responses' messages encoded field by field, as SwiftProtobuf would (the property tests
/// check the bytes).
extension ProfileWireEncoder {
    public static func encode(_ response: C360_V1_GetProfileResponse) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 1_024)
        if response.hasProfile {
            writer.messageField(1) { write(response.profile, to: &$0) }
        }
        writer.unknown(response.unknownFields)
        return writer.finish()
    }

    public static func encode(_ response: C360_V1_BatchGetProfilesResponse) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 1_024 * max(1, response.results.count))
        for result in response.results {
            writer.messageField(1) { writer in
                writer.proto3String(1, result.customerID)
                switch result.result {
                case .profile(let profile)?:
                    writer.messageField(2) { write(profile, to: &$0) }
                case .error(let error)?:
                    writer.messageField(3) { writer in
                        writer.proto3Int64(1, Int64(error.code.rawValue))
                        writer.proto3String(2, error.message)
                        writer.unknown(error.unknownFields)
                    }
                case nil:
                    break
                }
                writer.unknown(result.unknownFields)
            }
        }
        writer.unknown(response.unknownFields)
        return writer.finish()
    }

    public static func encode(_ profile: C360_V1_Profile) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 1_024)
        write(profile, to: &writer)
        return writer.finish()
    }

    // MARK: Messages

    static func write(_ profile: C360_V1_Profile, to writer: inout ProtobufWireWriter) {
        writeBeforeAsOf(profile, to: &writer)
        if profile.hasAsOf { writer.messageField(9) { write(profile.asOf, to: &$0) } }
        writeAfterAsOf(profile, to: &writer)
    }

    /// Fields 1 to 8.
    static func writeBeforeAsOf(_ profile: C360_V1_Profile, to writer: inout ProtobufWireWriter) {
        writer.proto3String(1, profile.customerID)
        if profile.hasDetails { writer.messageField(2) { write(profile.details, to: &$0) } }
        if profile.hasPurchases { writer.messageField(4) { write(profile.purchases, to: &$0) } }
        if profile.hasActivity { writer.messageField(5) { write(profile.activity, to: &$0) } }
        if profile.hasSupport { writer.messageField(6) { write(profile.support, to: &$0) } }
        writer.proto3UInt64(7, profile.seq)
        writer.proto3UInt64(8, UInt64(profile.projectionVersion))
    }

    /// Fields 10 to 15 and the unknown fields.
    static func writeAfterAsOf(_ profile: C360_V1_Profile, to writer: inout ProtobufWireWriter) {
        writer.proto3UInt64(10, profile.eventCount)
        for identity in profile.identities {
            writer.messageField(11) { writer in
                if identity.hasIdentity { writer.messageField(1) { write(identity.identity, to: &$0) } }
                writer.proto3String(2, identity.linkedByEventID)
                writer.proto3UInt64(3, identity.linkedSeq)
                if identity.hasLinkedAt { writer.messageField(4) { write(identity.linkedAt, to: &$0) } }
                writer.proto3Bool(5, identity.mergedFromAnonymous)
                writer.unknown(identity.unknownFields)
            }
        }
        for conflict in profile.identityConflicts {
            writer.messageField(12) { writer in
                if conflict.hasIdentity { writer.messageField(1) { write(conflict.identity, to: &$0) } }
                writer.proto3String(2, conflict.eventID)
                writer.proto3UInt64(3, conflict.seq)
                if conflict.hasAt { writer.messageField(4) { write(conflict.at, to: &$0) } }
                writer.proto3Int64(5, Int64(conflict.reason.rawValue))
                writer.unknown(conflict.unknownFields)
            }
        }
        if profile.hasRecent {
            let recent = profile.recent
            writer.messageField(13) { writer in
                writer.proto3Int64(1, Int64(recent.windowDays))
                writer.proto3Int64(2, recent.webEvents)
                writer.proto3Int64(3, recent.pageViews)
                writer.proto3Int64(4, recent.productViews)
                writer.proto3Int64(5, recent.sessions)
                writer.proto3Int64(6, recent.orders)
                writer.unknown(recent.unknownFields)
            }
        }
        if profile.hasDerived { writer.messageField(14) { write(profile.derived, to: &$0) } }
        writer.proto3Bool(15, profile.personalDataRedacted)
        writer.unknown(profile.unknownFields)
    }

    static func write(_ details: C360_V1_CustomerDetails, to writer: inout ProtobufWireWriter) {
        writer.proto3String(1, details.firstName)
        writer.proto3String(2, details.lastName)
        writer.proto3String(3, details.email)
        writer.proto3String(4, details.phone)
        writer.proto3String(5, details.dateOfBirth)
        if details.hasAge { writer.int64Field(6, Int64(details.age)) }
        writer.proto3Int64(7, Int64(details.gender.rawValue))
        if details.hasAddress {
            let address = details.address
            writer.messageField(8) { writer in
                writer.proto3String(1, address.line1)
                writer.proto3String(2, address.line2)
                writer.proto3String(3, address.city)
                writer.proto3String(4, address.region)
                writer.proto3String(5, address.postalCode)
                writer.proto3String(6, address.country)
                writer.unknown(address.unknownFields)
            }
        }
        writer.proto3Int64(9, Int64(details.loyaltyTier.rawValue))
        writer.proto3Int64(10, details.loyaltyPoints)
        writer.proto3String(11, details.signupDate)
        writer.proto3String(12, details.acquisitionChannel)
        if details.hasConsent {
            let consent = details.consent
            writer.messageField(13) { writer in
                writer.proto3Bool(1, consent.emailMarketing)
                writer.proto3Bool(2, consent.smsMarketing)
                writer.proto3Bool(3, consent.personalisation)
                writer.unknown(consent.unknownFields)
            }
        }
        writer.unknown(details.unknownFields)
    }

    static func write(_ purchases: C360_V1_Purchases, to writer: inout ProtobufWireWriter) {
        writer.proto3Int64(1, purchases.onlineOrders)
        writer.proto3Int64(2, purchases.instoreOrders)
        writer.proto3Int64(3, purchases.mobileOrders)
        writer.proto3Int64(4, purchases.marketplaceOrders)
        writer.proto3Int64(5, purchases.totalOrders)
        writer.proto3Int64(6, purchases.itemsBought)
        for money in purchases.lifetimeValue { writer.messageField(7) { write(money, to: &$0) } }
        if purchases.hasFirstOrderAt { writer.messageField(8) { write(purchases.firstOrderAt, to: &$0) } }
        if purchases.hasLastOrderAt { writer.messageField(9) { write(purchases.lastOrderAt, to: &$0) } }
        writer.proto3String(10, purchases.lastOrderID)
        writer.proto3Int64(11, Int64(purchases.lastOrderStatus.rawValue))
        for product in purchases.topProducts {
            writer.messageField(12) { writer in
                writer.proto3String(1, product.productID)
                writer.proto3String(2, product.name)
                writer.proto3String(3, product.category)
                writer.proto3Int64(4, product.quantity)
                writer.proto3Int64(5, product.orders)
                writer.unknown(product.unknownFields)
            }
        }
        writer.proto3Int64(13, purchases.cancelledOrders)
        writer.proto3Int64(14, purchases.returnedOrders)
        for money in purchases.refunded { writer.messageField(15) { write(money, to: &$0) } }
        writer.proto3Double(16, purchases.itemsPerOrder)
        if purchases.hasAverageOrderValue { writer.messageField(17) { write(purchases.averageOrderValue, to: &$0) } }
        writer.proto3Int64(18, Int64(purchases.preferredChannel.rawValue))
        for category in purchases.topCategories {
            writer.messageField(19) { writer in
                writer.proto3String(1, category.category)
                writer.proto3Int64(2, category.quantity)
                writer.proto3Int64(3, category.orders)
                writer.unknown(category.unknownFields)
            }
        }
        writer.unknown(purchases.unknownFields)
    }

    static func write(_ activity: C360_V1_Activity, to writer: inout ProtobufWireWriter) {
        if activity.hasLastLoginAt { writer.messageField(1) { write(activity.lastLoginAt, to: &$0) } }
        if activity.hasLastVisitAt { writer.messageField(2) { write(activity.lastVisitAt, to: &$0) } }
        if activity.hasLastActiveAt { writer.messageField(3) { write(activity.lastActiveAt, to: &$0) } }
        if activity.hasLastEmailSentAt { writer.messageField(4) { write(activity.lastEmailSentAt, to: &$0) } }
        if activity.hasLastEmailOpenedAt { writer.messageField(5) { write(activity.lastEmailOpenedAt, to: &$0) } }
        if activity.hasLastEmailClickedAt { writer.messageField(6) { write(activity.lastEmailClickedAt, to: &$0) } }
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
            writer.messageField(16) { writer in
                writer.proto3String(1, error.page)
                writer.proto3String(2, error.message)
                writer.proto3Int64(3, error.count)
                if error.hasLastAt { writer.messageField(4) { write(error.lastAt, to: &$0) } }
                writer.unknown(error.unknownFields)
            }
        }
        writer.proto3Double(17, activity.emailOpenRate)
        writer.proto3Double(18, activity.emailClickRate)
        writer.unknown(activity.unknownFields)
    }

    static func write(_ support: C360_V1_Support, to writer: inout ProtobufWireWriter) {
        writer.proto3Int64(1, support.openTickets)
        writer.proto3Int64(2, support.totalTickets)
        if support.hasLastTicketAt { writer.messageField(3) { write(support.lastTicketAt, to: &$0) } }
        for id in support.openTicketIds { writer.stringField(4, id) }
        if support.hasAverageSatisfaction { writer.doubleField(5, support.averageSatisfaction) }
        writer.proto3Int64(6, support.reopenedTickets)
        writer.proto3Int64(7, support.escalations)
        writer.unknown(support.unknownFields)
    }

    static func write(_ derived: C360_V1_Derived, to writer: inout ProtobufWireWriter) {
        writer.proto3Int64(1, Int64(derived.lifecycleStage.rawValue))
        if derived.hasDaysSinceLastOrder { writer.int64Field(2, derived.daysSinceLastOrder) }
        if derived.hasRfm {
            let rfm = derived.rfm
            writer.messageField(3) { writer in
                writer.proto3Int64(1, Int64(rfm.recency))
                writer.proto3Int64(2, Int64(rfm.frequency))
                writer.proto3Int64(3, Int64(rfm.monetary))
                writer.unknown(rfm.unknownFields)
            }
        }
        writer.proto3Int64(4, Int64(derived.healthScore))
        writer.proto3Bool(5, derived.churnRisk)
        writer.proto3Bool(6, derived.hasOpenSupportIssue_p)
        if derived.hasOpportunities {
            let flags = derived.opportunities
            writer.messageField(7) { writer in
                writer.proto3Bool(1, flags.channelExpansion)
                writer.proto3Bool(2, flags.tierUpgrade)
                writer.proto3Bool(3, flags.appAdoption)
                writer.unknown(flags.unknownFields)
            }
        }
        writer.unknown(derived.unknownFields)
    }

    static func write(_ identity: C360_V1_Identity, to writer: inout ProtobufWireWriter) {
        writer.proto3Int64(1, Int64(identity.type.rawValue))
        writer.proto3String(2, identity.value)
        writer.unknown(identity.unknownFields)
    }

    static func write(_ money: C360_V1_Money, to writer: inout ProtobufWireWriter) {
        writer.proto3Int64(1, money.minorUnits)
        writer.proto3String(2, money.currency)
        writer.unknown(money.unknownFields)
    }

    static func write(_ timestamp: Google_Protobuf_Timestamp, to writer: inout ProtobufWireWriter) {
        writer.proto3Int64(1, timestamp.seconds)
        writer.proto3Int64(2, Int64(timestamp.nanos))
        writer.unknown(timestamp.unknownFields)
    }
}

