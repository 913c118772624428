import C360Model
import SwiftProtobuf

/// `GetProfileResponse` and `BatchGetProfilesResponse` encoded field by field, without
/// SwiftProtobuf's generic visitor (which measured every nested message before writing it, 34% of
/// a lookup's server CPU in `perf`). Proto3's rules: a singular field at its default value is left
/// out, an `optional` one is written when set, fields in field-number order, unknown fields last:
/// the bytes are SwiftProtobuf's, which the property tests check.
public enum ProfileWireEncoder {
    public static func encode(_ response: C360_V1_GetProfileResponse) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 1_024)
        if response.hasProfile {
            writer.messageField(1) { write(response.profile, to: &$0) }
        }
        writer.unknown(response.unknownFields)
        return writer.bytes
    }

    public static func encode(_ response: C360_V1_BatchGetProfilesResponse) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 1_024 * max(1, response.results.count))
        for result in response.results {
            writer.messageField(1) { writer in
                if !result.customerID.isEmpty { writer.stringField(1, result.customerID) }
                switch result.result {
                case .profile(let profile)?:
                    writer.messageField(2) { write(profile, to: &$0) }
                case .error(let error)?:
                    writer.messageField(3) { writer in
                        if error.code.rawValue != 0 { writer.int64Field(1, Int64(error.code.rawValue)) }
                        if !error.message.isEmpty { writer.stringField(2, error.message) }
                        writer.unknown(error.unknownFields)
                    }
                case nil:
                    break
                }
                writer.unknown(result.unknownFields)
            }
        }
        writer.unknown(response.unknownFields)
        return writer.bytes
    }

    public static func encode(_ profile: C360_V1_Profile) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 1_024)
        write(profile, to: &writer)
        return writer.bytes
    }

    // MARK: Messages

    static func write(_ profile: C360_V1_Profile, to writer: inout ProtobufWireWriter) {
        if !profile.customerID.isEmpty { writer.stringField(1, profile.customerID) }
        if profile.hasDetails { writer.messageField(2) { write(profile.details, to: &$0) } }
        if profile.hasPurchases { writer.messageField(4) { write(profile.purchases, to: &$0) } }
        if profile.hasActivity { writer.messageField(5) { write(profile.activity, to: &$0) } }
        if profile.hasSupport { writer.messageField(6) { write(profile.support, to: &$0) } }
        if profile.seq != 0 { writer.uint64Field(7, profile.seq) }
        if profile.projectionVersion != 0 { writer.uint64Field(8, UInt64(profile.projectionVersion)) }
        if profile.hasAsOf { writer.messageField(9) { write(profile.asOf, to: &$0) } }
        if profile.eventCount != 0 { writer.uint64Field(10, profile.eventCount) }
        for identity in profile.identities {
            writer.messageField(11) { writer in
                if identity.hasIdentity { writer.messageField(1) { write(identity.identity, to: &$0) } }
                if !identity.linkedByEventID.isEmpty { writer.stringField(2, identity.linkedByEventID) }
                if identity.linkedSeq != 0 { writer.uint64Field(3, identity.linkedSeq) }
                if identity.hasLinkedAt { writer.messageField(4) { write(identity.linkedAt, to: &$0) } }
                if identity.mergedFromAnonymous { writer.boolField(5, true) }
                writer.unknown(identity.unknownFields)
            }
        }
        for conflict in profile.identityConflicts {
            writer.messageField(12) { writer in
                if conflict.hasIdentity { writer.messageField(1) { write(conflict.identity, to: &$0) } }
                if !conflict.eventID.isEmpty { writer.stringField(2, conflict.eventID) }
                if conflict.seq != 0 { writer.uint64Field(3, conflict.seq) }
                if conflict.hasAt { writer.messageField(4) { write(conflict.at, to: &$0) } }
                if conflict.reason.rawValue != 0 { writer.int64Field(5, Int64(conflict.reason.rawValue)) }
                writer.unknown(conflict.unknownFields)
            }
        }
        if profile.hasRecent {
            let recent = profile.recent
            writer.messageField(13) { writer in
                if recent.windowDays != 0 { writer.int64Field(1, Int64(recent.windowDays)) }
                if recent.webEvents != 0 { writer.int64Field(2, recent.webEvents) }
                if recent.pageViews != 0 { writer.int64Field(3, recent.pageViews) }
                if recent.productViews != 0 { writer.int64Field(4, recent.productViews) }
                if recent.sessions != 0 { writer.int64Field(5, recent.sessions) }
                if recent.orders != 0 { writer.int64Field(6, recent.orders) }
                writer.unknown(recent.unknownFields)
            }
        }
        if profile.hasDerived { writer.messageField(14) { write(profile.derived, to: &$0) } }
        if profile.personalDataRedacted { writer.boolField(15, true) }
        writer.unknown(profile.unknownFields)
    }

    static func write(_ details: C360_V1_CustomerDetails, to writer: inout ProtobufWireWriter) {
        if !details.firstName.isEmpty { writer.stringField(1, details.firstName) }
        if !details.lastName.isEmpty { writer.stringField(2, details.lastName) }
        if !details.email.isEmpty { writer.stringField(3, details.email) }
        if !details.phone.isEmpty { writer.stringField(4, details.phone) }
        if !details.dateOfBirth.isEmpty { writer.stringField(5, details.dateOfBirth) }
        if details.hasAge { writer.int64Field(6, Int64(details.age)) }
        if details.gender.rawValue != 0 { writer.int64Field(7, Int64(details.gender.rawValue)) }
        if details.hasAddress {
            let address = details.address
            writer.messageField(8) { writer in
                if !address.line1.isEmpty { writer.stringField(1, address.line1) }
                if !address.line2.isEmpty { writer.stringField(2, address.line2) }
                if !address.city.isEmpty { writer.stringField(3, address.city) }
                if !address.region.isEmpty { writer.stringField(4, address.region) }
                if !address.postalCode.isEmpty { writer.stringField(5, address.postalCode) }
                if !address.country.isEmpty { writer.stringField(6, address.country) }
                writer.unknown(address.unknownFields)
            }
        }
        if details.loyaltyTier.rawValue != 0 { writer.int64Field(9, Int64(details.loyaltyTier.rawValue)) }
        if details.loyaltyPoints != 0 { writer.int64Field(10, details.loyaltyPoints) }
        if !details.signupDate.isEmpty { writer.stringField(11, details.signupDate) }
        if !details.acquisitionChannel.isEmpty { writer.stringField(12, details.acquisitionChannel) }
        if details.hasConsent {
            let consent = details.consent
            writer.messageField(13) { writer in
                if consent.emailMarketing { writer.boolField(1, true) }
                if consent.smsMarketing { writer.boolField(2, true) }
                if consent.personalisation { writer.boolField(3, true) }
                writer.unknown(consent.unknownFields)
            }
        }
        writer.unknown(details.unknownFields)
    }

    static func write(_ purchases: C360_V1_Purchases, to writer: inout ProtobufWireWriter) {
        if purchases.onlineOrders != 0 { writer.int64Field(1, purchases.onlineOrders) }
        if purchases.instoreOrders != 0 { writer.int64Field(2, purchases.instoreOrders) }
        if purchases.mobileOrders != 0 { writer.int64Field(3, purchases.mobileOrders) }
        if purchases.marketplaceOrders != 0 { writer.int64Field(4, purchases.marketplaceOrders) }
        if purchases.totalOrders != 0 { writer.int64Field(5, purchases.totalOrders) }
        if purchases.itemsBought != 0 { writer.int64Field(6, purchases.itemsBought) }
        for money in purchases.lifetimeValue { writer.messageField(7) { write(money, to: &$0) } }
        if purchases.hasFirstOrderAt { writer.messageField(8) { write(purchases.firstOrderAt, to: &$0) } }
        if purchases.hasLastOrderAt { writer.messageField(9) { write(purchases.lastOrderAt, to: &$0) } }
        if !purchases.lastOrderID.isEmpty { writer.stringField(10, purchases.lastOrderID) }
        if purchases.lastOrderStatus.rawValue != 0 { writer.int64Field(11, Int64(purchases.lastOrderStatus.rawValue)) }
        for product in purchases.topProducts {
            writer.messageField(12) { writer in
                if !product.productID.isEmpty { writer.stringField(1, product.productID) }
                if !product.name.isEmpty { writer.stringField(2, product.name) }
                if !product.category.isEmpty { writer.stringField(3, product.category) }
                if product.quantity != 0 { writer.int64Field(4, product.quantity) }
                if product.orders != 0 { writer.int64Field(5, product.orders) }
                writer.unknown(product.unknownFields)
            }
        }
        if purchases.cancelledOrders != 0 { writer.int64Field(13, purchases.cancelledOrders) }
        if purchases.returnedOrders != 0 { writer.int64Field(14, purchases.returnedOrders) }
        for money in purchases.refunded { writer.messageField(15) { write(money, to: &$0) } }
        if purchases.itemsPerOrder.bitPattern != 0 { writer.doubleField(16, purchases.itemsPerOrder) }
        if purchases.hasAverageOrderValue { writer.messageField(17) { write(purchases.averageOrderValue, to: &$0) } }
        if purchases.preferredChannel.rawValue != 0 { writer.int64Field(18, Int64(purchases.preferredChannel.rawValue)) }
        for category in purchases.topCategories {
            writer.messageField(19) { writer in
                if !category.category.isEmpty { writer.stringField(1, category.category) }
                if category.quantity != 0 { writer.int64Field(2, category.quantity) }
                if category.orders != 0 { writer.int64Field(3, category.orders) }
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
        if activity.webEvents != 0 { writer.int64Field(7, activity.webEvents) }
        if activity.pageViews != 0 { writer.int64Field(8, activity.pageViews) }
        if activity.productViews != 0 { writer.int64Field(9, activity.productViews) }
        if activity.sessions != 0 { writer.int64Field(10, activity.sessions) }
        if activity.loginFailures != 0 { writer.int64Field(11, activity.loginFailures) }
        if activity.emailsSent != 0 { writer.int64Field(12, activity.emailsSent) }
        if activity.emailsOpened != 0 { writer.int64Field(13, activity.emailsOpened) }
        if activity.emailsClicked != 0 { writer.int64Field(14, activity.emailsClicked) }
        if activity.unsubscribed { writer.boolField(15, true) }
        for error in activity.recentErrors {
            writer.messageField(16) { writer in
                if !error.page.isEmpty { writer.stringField(1, error.page) }
                if !error.message.isEmpty { writer.stringField(2, error.message) }
                if error.count != 0 { writer.int64Field(3, error.count) }
                if error.hasLastAt { writer.messageField(4) { write(error.lastAt, to: &$0) } }
                writer.unknown(error.unknownFields)
            }
        }
        if activity.emailOpenRate.bitPattern != 0 { writer.doubleField(17, activity.emailOpenRate) }
        if activity.emailClickRate.bitPattern != 0 { writer.doubleField(18, activity.emailClickRate) }
        writer.unknown(activity.unknownFields)
    }

    static func write(_ support: C360_V1_Support, to writer: inout ProtobufWireWriter) {
        if support.openTickets != 0 { writer.int64Field(1, support.openTickets) }
        if support.totalTickets != 0 { writer.int64Field(2, support.totalTickets) }
        if support.hasLastTicketAt { writer.messageField(3) { write(support.lastTicketAt, to: &$0) } }
        for id in support.openTicketIds { writer.stringField(4, id) }
        if support.hasAverageSatisfaction { writer.doubleField(5, support.averageSatisfaction) }
        if support.reopenedTickets != 0 { writer.int64Field(6, support.reopenedTickets) }
        if support.escalations != 0 { writer.int64Field(7, support.escalations) }
        writer.unknown(support.unknownFields)
    }

    static func write(_ derived: C360_V1_Derived, to writer: inout ProtobufWireWriter) {
        if derived.lifecycleStage.rawValue != 0 { writer.int64Field(1, Int64(derived.lifecycleStage.rawValue)) }
        if derived.hasDaysSinceLastOrder { writer.int64Field(2, derived.daysSinceLastOrder) }
        if derived.hasRfm {
            let rfm = derived.rfm
            writer.messageField(3) { writer in
                if rfm.recency != 0 { writer.int64Field(1, Int64(rfm.recency)) }
                if rfm.frequency != 0 { writer.int64Field(2, Int64(rfm.frequency)) }
                if rfm.monetary != 0 { writer.int64Field(3, Int64(rfm.monetary)) }
                writer.unknown(rfm.unknownFields)
            }
        }
        if derived.healthScore != 0 { writer.int64Field(4, Int64(derived.healthScore)) }
        if derived.churnRisk { writer.boolField(5, true) }
        if derived.hasOpenSupportIssue_p { writer.boolField(6, true) }
        if derived.hasOpportunities {
            let flags = derived.opportunities
            writer.messageField(7) { writer in
                if flags.channelExpansion { writer.boolField(1, true) }
                if flags.tierUpgrade { writer.boolField(2, true) }
                if flags.appAdoption { writer.boolField(3, true) }
                writer.unknown(flags.unknownFields)
            }
        }
        writer.unknown(derived.unknownFields)
    }

    static func write(_ identity: C360_V1_Identity, to writer: inout ProtobufWireWriter) {
        if identity.type.rawValue != 0 { writer.int64Field(1, Int64(identity.type.rawValue)) }
        if !identity.value.isEmpty { writer.stringField(2, identity.value) }
        writer.unknown(identity.unknownFields)
    }

    static func write(_ money: C360_V1_Money, to writer: inout ProtobufWireWriter) {
        if money.minorUnits != 0 { writer.int64Field(1, money.minorUnits) }
        if !money.currency.isEmpty { writer.stringField(2, money.currency) }
        writer.unknown(money.unknownFields)
    }

    static func write(_ timestamp: Google_Protobuf_Timestamp, to writer: inout ProtobufWireWriter) {
        if timestamp.seconds != 0 { writer.int64Field(1, timestamp.seconds) }
        if timestamp.nanos != 0 { writer.int64Field(2, Int64(timestamp.nanos)) }
        writer.unknown(timestamp.unknownFields)
    }
}

extension ProtobufWireWriter {
    /// A message's unknown fields, kept as they came, after its known ones.
    @inline(__always)
    mutating func unknown(_ fields: UnknownStorage) {
        if !fields.data.isEmpty { raw(fields.data) }
    }
}
