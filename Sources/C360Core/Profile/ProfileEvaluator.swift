import C360Model
import SwiftProtobuf

/// Evaluates a stored projection as of a time into the profile a lookup returns.
public struct ProfileEvaluator: Sendable {
    /// How many products `top_products` lists.
    public var topProductsShown = 5

    public init() {}

    public func profile(of projection: C360_Store_V1_Projection, asOf: Instant) -> C360_V1_Profile {
        var profile = C360_V1_Profile()
        profile.customerID = projection.customerID
        profile.details = details(of: projection.details, asOf: asOf)
        profile.identities = projection.identities
        profile.purchases = purchases(of: projection.orders)
        profile.activity = activity(of: projection)
        profile.support = support(of: projection.support)
        profile.seq = projection.seq
        profile.projectionVersion = projection.version
        profile.asOf = asOf.timestamp
        profile.eventCount = projection.eventCount
        return profile
    }

    private func details(of upserted: C360_V1_CustomerUpserted, asOf: Instant) -> C360_V1_CustomerDetails {
        var details = C360_V1_CustomerDetails()
        details.firstName = upserted.firstName
        details.lastName = upserted.lastName
        details.email = upserted.email
        details.phone = upserted.phone
        details.dateOfBirth = upserted.dateOfBirth
        if let birth = CalendarDate(upserted.dateOfBirth) {
            details.age = Int32(birth.wholeYears(until: CalendarDate(asOf)))
        }
        details.gender = upserted.gender
        if upserted.hasAddress { details.address = upserted.address }
        details.loyaltyTier = upserted.loyaltyTier
        details.loyaltyPoints = upserted.loyaltyPoints
        details.signupDate = upserted.signupDate
        details.acquisitionChannel = upserted.acquisitionChannel
        if upserted.hasConsent { details.consent = upserted.consent }
        return details
    }

    private func purchases(of orders: C360_Store_V1_Orders) -> C360_V1_Purchases {
        var purchases = C360_V1_Purchases()
        purchases.onlineOrders = orders.online
        purchases.instoreOrders = orders.instore
        purchases.mobileOrders = orders.mobile
        purchases.marketplaceOrders = orders.marketplace
        purchases.totalOrders = orders.online + orders.instore + orders.mobile + orders.marketplace
        purchases.itemsBought = orders.items
        purchases.lifetimeValue = orders.spend.map(Self.money)
        purchases.refunded = orders.refunded.map(Self.money)
        if orders.firstOrderAtUs != 0 { purchases.firstOrderAt = Self.timestamp(orders.firstOrderAtUs) }
        if orders.lastOrderAtUs != 0 { purchases.lastOrderAt = Self.timestamp(orders.lastOrderAtUs) }
        purchases.lastOrderID = orders.lastOrderID
        purchases.lastOrderStatus = orders.lastOrderStatus
        purchases.cancelledOrders = orders.cancelled
        purchases.returnedOrders = orders.returned
        purchases.topProducts = orders.products
            .sorted { ($0.quantity, $0.orders, $1.productID) > ($1.quantity, $1.orders, $0.productID) }
            .prefix(topProductsShown)
            .map { tally in
                var product = C360_V1_ProductCount()
                product.productID = tally.productID
                product.name = tally.name
                product.category = tally.category
                product.quantity = tally.quantity
                product.orders = tally.orders
                return product
            }
        return purchases
    }

    private func activity(of projection: C360_Store_V1_Projection) -> C360_V1_Activity {
        let web = projection.web
        let email = projection.email
        var activity = C360_V1_Activity()
        if web.lastLoginAtUs != 0 { activity.lastLoginAt = Self.timestamp(web.lastLoginAtUs) }
        if web.lastVisitAtUs != 0 { activity.lastVisitAt = Self.timestamp(web.lastVisitAtUs) }
        // Active means the customer did something: bought, browsed, read or clicked a mail, or
        // contacted support. A mail merely sent to them is not their activity.
        let lastActive = [projection.orders.lastOrderAtUs, web.lastVisitAtUs, email.lastOpenedAtUs,
                          email.lastClickedAtUs, projection.support.lastTicketAtUs].max() ?? 0
        if lastActive != 0 { activity.lastActiveAt = Self.timestamp(lastActive) }
        if email.lastSentAtUs != 0 { activity.lastEmailSentAt = Self.timestamp(email.lastSentAtUs) }
        if email.lastOpenedAtUs != 0 { activity.lastEmailOpenedAt = Self.timestamp(email.lastOpenedAtUs) }
        if email.lastClickedAtUs != 0 { activity.lastEmailClickedAt = Self.timestamp(email.lastClickedAtUs) }
        activity.webEvents = web.events
        activity.pageViews = web.pageViews
        activity.productViews = web.productViews
        activity.sessions = web.sessions
        activity.loginFailures = web.loginFailures
        activity.emailsSent = email.sent
        activity.emailsOpened = email.opened
        activity.emailsClicked = email.clicked
        activity.unsubscribed = email.unsubscribed
        activity.recentErrors = web.recentErrors.map { tally in
            var error = C360_V1_RecentError()
            error.page = tally.page
            error.message = tally.message
            error.count = tally.count
            error.lastAt = Self.timestamp(tally.lastAtUs)
            return error
        }
        return activity
    }

    private func support(of state: C360_Store_V1_Support) -> C360_V1_Support {
        var support = C360_V1_Support()
        support.openTickets = Int64(state.openTicketIds.count)
        support.totalTickets = state.total
        if state.lastTicketAtUs != 0 { support.lastTicketAt = Self.timestamp(state.lastTicketAtUs) }
        support.openTicketIds = state.openTicketIds
        return support
    }

    static func money(_ total: C360_Store_V1_MoneyTotal) -> C360_V1_Money {
        var money = C360_V1_Money()
        money.currency = total.currency
        money.minorUnits = total.minorUnits
        return money
    }

    static func timestamp(_ micros: Int64) -> Google_Protobuf_Timestamp {
        Instant(microsecondsSinceEpoch: micros).timestamp
    }
}
