public import C360Model

/// Evaluates a stored projection as of a time into the profile a lookup returns.
///
/// Evaluation is pure: the same projection, settings and `asOf` always give the same profile, so
/// a profile ages (windowed counts fall, the lifecycle stage moves on) without new events.
public struct ProfileEvaluator: Sendable {
    public var settings: ProfileSettings

    public init(settings: ProfileSettings = ProfileSettings()) {
        self.settings = settings
    }

    public func profile(of projection: Projection, asOf: Instant) -> Profile {
        var profile = Profile()
        profile.customerID = projection.customerID
        profile.details = details(of: projection.details, asOf: asOf)
        profile.identities = projection.identities.map(Self.linkedIdentity)
        profile.identityConflicts = projection.identityConflicts.map(Self.conflict)
        profile.purchases = purchases(of: projection.orders)
        profile.activity = activity(of: projection)
        profile.support = support(of: projection.support)
        profile.recent = recent(of: projection.days, asOf: asOf)
        profile.derived = DerivedFigures(settings: settings).derive(profile: profile, projection: projection, asOf: asOf)
        profile.seq = projection.seq
        profile.projectionVersion = projection.version
        profile.asOf = asOf
        profile.eventCount = projection.eventCount
        return profile
    }

    /// The first instant after `asOf` at which evaluating the same projection may give figures
    /// other than `profile`, its evaluation at `asOf` (only `as_of` differs before it): the next
    /// midnight UTC, when the window's days and the age move on, or the next whole day since the
    /// last order, when the days since it (and the stage, recency and health that follow from
    /// them) do. A lookup may answer with `profile` until then.
    public static func unchangedUntil(_ profile: Profile, evaluatedAt asOf: Instant) -> Instant {
        let day = DerivedFigures.microsecondsPerDay
        var until = (asOf.dayNumber + 1) * day
        if profile.purchases.totalOrders > 0, let lastOrderAt = profile.purchases.lastOrderAt {
            let lastOrder = lastOrderAt.microsecondsSinceEpoch
            let elapsedDays = max(0, (asOf.microsecondsSinceEpoch - lastOrder) / day)
            until = min(until, lastOrder + (elapsedDays + 1) * day)
        }
        return Instant(microsecondsSinceEpoch: until)
    }

    private func recent(of days: [Projection.DayBucket], asOf: Instant) -> Profile.Recent {
        var recent = Profile.Recent()
        recent.windowDays = Int32(settings.windowDays)
        let last = asOf.dayNumber
        let first = last - Int64(settings.windowDays) + 1
        for bucket in days where (first...last).contains(Int64(bucket.day)) {
            recent.webEvents += bucket.webEvents
            recent.pageViews += bucket.pageViews
            recent.productViews += bucket.productViews
            recent.sessions += bucket.sessions
            recent.orders += bucket.orders
        }
        return recent
    }

    static func linkedIdentity(_ stored: Projection.LinkedIdentity) -> Profile.LinkedIdentity {
        var linked = Profile.LinkedIdentity()
        linked.identity = stored.identity
        linked.linkedByEventID = stored.linkedByEventID
        linked.linkedSeq = stored.linkedSeq
        linked.linkedAt = Instant(microsecondsSinceEpoch: stored.linkedAtUs)
        linked.mergedFromAnonymous = stored.mergedFromAnonymous
        return linked
    }

    static func conflict(_ stored: Projection.IdentityConflict) -> Profile.IdentityConflict {
        var conflict = Profile.IdentityConflict()
        conflict.identity = stored.identity
        conflict.eventID = stored.eventID
        conflict.seq = stored.seq
        conflict.at = Instant(microsecondsSinceEpoch: stored.atUs)
        conflict.reason = C360_V1_IdentityConflictReason(rawValue: stored.reason.rawValue) ?? .unspecified
        return conflict
    }

    private func details(of upserted: C360_V1_CustomerUpserted, asOf: Instant) -> Profile.Details {
        var details = Profile.Details()
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

    private func purchases(of orders: Projection.Orders) -> Profile.Purchases {
        var purchases = Profile.Purchases()
        purchases.onlineOrders = orders.online
        purchases.instoreOrders = orders.instore
        purchases.mobileOrders = orders.mobile
        purchases.marketplaceOrders = orders.marketplace
        purchases.totalOrders = orders.online + orders.instore + orders.mobile + orders.marketplace
        purchases.itemsBought = orders.items
        purchases.lifetimeValue = orders.spend.map(Self.money)
        purchases.refunded = orders.refunded.map(Self.money)
        if orders.firstOrderAtUs != 0 { purchases.firstOrderAt = Instant(microsecondsSinceEpoch: orders.firstOrderAtUs) }
        if orders.lastOrderAtUs != 0 { purchases.lastOrderAt = Instant(microsecondsSinceEpoch: orders.lastOrderAtUs) }
        purchases.lastOrderID = orders.lastOrderID
        purchases.lastOrderStatus = orders.lastOrderStatus
        purchases.cancelledOrders = orders.cancelled
        purchases.returnedOrders = orders.returned
        if purchases.totalOrders > 0 {
            purchases.itemsPerOrder = Double(orders.items) / Double(purchases.totalOrders)
        }
        if let main = Self.mainCurrency(orders.spend), main.orders > 0 {
            purchases.averageOrderValue = Profile.Money(
                minorUnits: Self.dividedRoundingHalfUp(main.minorUnits, by: main.orders), currency: main.currency)
        }
        purchases.preferredChannel = Self.preferredChannel(orders)
        purchases.topCategories = Self.top(settings.topCategories, of: orders.categories) {
            ($0.quantity, $0.orders, $1.category) > ($1.quantity, $1.orders, $0.category)
        }
            .map { tally in
                var category = Profile.CategoryCount()
                category.category = tally.category
                category.quantity = tally.quantity
                category.orders = tally.orders
                return category
            }
        purchases.topProducts = Self.top(settings.topProducts, of: orders.products) {
            ($0.quantity, $0.orders, $1.productID) > ($1.quantity, $1.orders, $0.productID)
        }
            .map { tally in
                var product = Profile.ProductCount()
                product.productID = tally.productID
                product.name = tally.name
                product.category = tally.category
                product.quantity = tally.quantity
                product.orders = tally.orders
                return product
            }
        return purchases
    }

    /// The first `count` of `elements` in the order `isBefore` gives, as a sort would give them,
    /// without sorting them all: a lookup asks for the top few of a long-time customer's hundreds.
    static func top<Element>(_ count: Int, of elements: [Element], by isBefore: (Element, Element) -> Bool) -> [Element] {
        guard count > 0 else { return [] }
        var top: [Element] = []
        top.reserveCapacity(count + 1)
        for element in elements {
            if top.count == count, let last = top.last, !isBefore(element, last) { continue }
            let position = top.firstIndex { isBefore(element, $0) } ?? top.endIndex
            top.insert(element, at: position)
            if top.count > count { top.removeLast() }
        }
        return top
    }

    private func activity(of projection: Projection) -> Profile.Activity {
        let web = projection.web
        let email = projection.email
        var activity = Profile.Activity()
        activity.lastLoginAt = Self.instant(web.lastLoginAtUs)
        activity.lastVisitAt = Self.instant(web.lastVisitAtUs)
        // Active means the customer did something: bought, browsed, read or clicked a mail, or
        // contacted support. A mail merely sent to them is not their activity.
        let lastActive = max(projection.orders.lastOrderAtUs, web.lastVisitAtUs, email.lastOpenedAtUs,
                             email.lastClickedAtUs, projection.support.lastTicketAtUs)
        activity.lastActiveAt = Self.instant(lastActive)
        activity.lastEmailSentAt = Self.instant(email.lastSentAtUs)
        activity.lastEmailOpenedAt = Self.instant(email.lastOpenedAtUs)
        activity.lastEmailClickedAt = Self.instant(email.lastClickedAtUs)
        activity.webEvents = web.events
        activity.pageViews = web.pageViews
        activity.productViews = web.productViews
        activity.sessions = web.sessions
        activity.loginFailures = web.loginFailures
        activity.emailsSent = email.sent
        activity.emailsOpened = email.opened
        activity.emailsClicked = email.clicked
        activity.unsubscribed = email.unsubscribed
        if email.sent > 0 {
            activity.emailOpenRate = min(1, Double(email.opened) / Double(email.sent))
            activity.emailClickRate = min(1, Double(email.clicked) / Double(email.sent))
        }
        activity.recentErrors = web.recentErrors.map { tally in
            var error = Profile.RecentError()
            error.page = tally.page
            error.message = tally.message
            error.count = tally.count
            error.lastAt = Instant(microsecondsSinceEpoch: tally.lastAtUs)
            return error
        }
        return activity
    }

    private func support(of state: Projection.Support) -> Profile.Support {
        var support = Profile.Support()
        for ticket in state.tickets where ticket.open { support.openTicketIDs.append(ticket.ticketID) }
        support.openTickets = Int64(support.openTicketIDs.count)
        support.totalTickets = state.total
        support.lastTicketAt = Self.instant(state.lastTicketAtUs)
        if state.satisfactionCount > 0 {
            support.averageSatisfaction = Double(state.satisfactionSum) / Double(state.satisfactionCount)
        }
        support.reopenedTickets = state.reopened
        support.escalations = state.escalations
        return support
    }

    /// A time the projection holds, nil for 0 (never).
    static func instant(_ micros: Int64) -> Instant? {
        micros == 0 ? nil : Instant(microsecondsSinceEpoch: micros)
    }

    /// The currency with the highest lifetime value (ties: the first by code), the one money
    /// figures that need a single currency use.
    static func mainCurrency(_ spend: [Projection.MoneyTotal]) -> Projection.MoneyTotal? {
        mainCurrency(spend, currency: \.currency, minorUnits: \.minorUnits)
    }

    static func mainCurrency<Total>(_ totals: [Total], currency: (Total) -> String, minorUnits: (Total) -> Int64) -> Total? {
        totals.min { (-minorUnits($0), currency($0)) < (-minorUnits($1), currency($1)) }
    }

    /// The channel with the most orders; among equals, the one ordered through most recently,
    /// then the first in the order online, in-store, mobile, marketplace.
    static func preferredChannel(_ orders: Projection.Orders) -> C360_V1_OrderChannel {
        var best: (channel: C360_V1_OrderChannel, orders: Int64, lastAtUs: Int64) = (.unspecified, 0, 0)
        func consider(_ channel: C360_V1_OrderChannel, _ count: Int64, _ lastAtUs: Int64) {
            guard count > 0 else { return }
            if best.orders > 0, (count, lastAtUs) <= (best.orders, best.lastAtUs) { return }
            best = (channel, count, lastAtUs)
        }
        consider(.online, orders.online, orders.onlineLastAtUs)
        consider(.instore, orders.instore, orders.instoreLastAtUs)
        consider(.mobile, orders.mobile, orders.mobileLastAtUs)
        consider(.marketplace, orders.marketplace, orders.marketplaceLastAtUs)
        return best.channel
    }

    static func dividedRoundingHalfUp(_ value: Int64, by divisor: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        if remainder.magnitude * 2 >= divisor.magnitude { return quotient + (value < 0 ? -1 : 1) }
        return quotient
    }

    static func money(_ total: Projection.MoneyTotal) -> Profile.Money {
        Profile.Money(minorUnits: total.minorUnits, currency: total.currency)
    }
}
