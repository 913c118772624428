public import C360Model
import SwiftProtobuf

/// The API's message for a plain `Profile`, for the paths that hand SwiftProtobuf messages on
/// (the command line, change streams, the console). Every field the evaluator always sets is set,
/// so that the message encodes to the bytes `ProfileWireEncoder` writes for the plain value.
extension C360_V1_Profile {
    public init(_ profile: Profile) {
        self.init()
        customerID = profile.customerID
        details = C360_V1_CustomerDetails(profile.details)
        purchases = C360_V1_Purchases(profile.purchases)
        activity = C360_V1_Activity(profile.activity)
        support = C360_V1_Support(profile.support)
        seq = profile.seq
        projectionVersion = profile.projectionVersion
        asOf = profile.asOf.timestamp
        eventCount = profile.eventCount
        identities = profile.identities.map { stored in
            var linked = C360_V1_LinkedIdentity()
            linked.identity = stored.identity
            linked.linkedByEventID = stored.linkedByEventID
            linked.linkedSeq = stored.linkedSeq
            linked.linkedAt = stored.linkedAt.timestamp
            linked.mergedFromAnonymous = stored.mergedFromAnonymous
            return linked
        }
        identityConflicts = profile.identityConflicts.map { stored in
            var conflict = C360_V1_IdentityConflict()
            conflict.identity = stored.identity
            conflict.eventID = stored.eventID
            conflict.seq = stored.seq
            conflict.at = stored.at.timestamp
            conflict.reason = stored.reason
            return conflict
        }
        var recent = C360_V1_RecentActivity()
        recent.windowDays = profile.recent.windowDays
        recent.webEvents = profile.recent.webEvents
        recent.pageViews = profile.recent.pageViews
        recent.productViews = profile.recent.productViews
        recent.sessions = profile.recent.sessions
        recent.orders = profile.recent.orders
        self.recent = recent
        derived = C360_V1_Derived(profile.derived)
        personalDataRedacted = profile.personalDataRedacted
    }
}

extension C360_V1_CustomerDetails {
    init(_ plain: Profile.Details) {
        self.init()
        firstName = plain.firstName
        lastName = plain.lastName
        email = plain.email
        phone = plain.phone
        dateOfBirth = plain.dateOfBirth
        if let age = plain.age { self.age = age }
        gender = plain.gender
        if let address = plain.address { self.address = address }
        loyaltyTier = plain.loyaltyTier
        loyaltyPoints = plain.loyaltyPoints
        signupDate = plain.signupDate
        acquisitionChannel = plain.acquisitionChannel
        if let consent = plain.consent { self.consent = consent }
    }
}

extension C360_V1_Money {
    init(_ plain: Profile.Money) {
        self.init()
        minorUnits = plain.minorUnits
        currency = plain.currency
    }
}

extension C360_V1_Purchases {
    init(_ plain: Profile.Purchases) {
        self.init()
        onlineOrders = plain.onlineOrders
        instoreOrders = plain.instoreOrders
        mobileOrders = plain.mobileOrders
        marketplaceOrders = plain.marketplaceOrders
        totalOrders = plain.totalOrders
        itemsBought = plain.itemsBought
        lifetimeValue = plain.lifetimeValue.map(C360_V1_Money.init)
        if let first = plain.firstOrderAt { firstOrderAt = first.timestamp }
        if let last = plain.lastOrderAt { lastOrderAt = last.timestamp }
        lastOrderID = plain.lastOrderID
        lastOrderStatus = plain.lastOrderStatus
        topProducts = plain.topProducts.map { tally in
            var product = C360_V1_ProductCount()
            product.productID = tally.productID
            product.name = tally.name
            product.category = tally.category
            product.quantity = tally.quantity
            product.orders = tally.orders
            return product
        }
        cancelledOrders = plain.cancelledOrders
        returnedOrders = plain.returnedOrders
        refunded = plain.refunded.map(C360_V1_Money.init)
        itemsPerOrder = plain.itemsPerOrder
        if let average = plain.averageOrderValue { averageOrderValue = C360_V1_Money(average) }
        preferredChannel = plain.preferredChannel
        topCategories = plain.topCategories.map { tally in
            var category = C360_V1_CategoryCount()
            category.category = tally.category
            category.quantity = tally.quantity
            category.orders = tally.orders
            return category
        }
    }
}

extension C360_V1_Activity {
    init(_ plain: Profile.Activity) {
        self.init()
        if let at = plain.lastLoginAt { lastLoginAt = at.timestamp }
        if let at = plain.lastVisitAt { lastVisitAt = at.timestamp }
        if let at = plain.lastActiveAt { lastActiveAt = at.timestamp }
        if let at = plain.lastEmailSentAt { lastEmailSentAt = at.timestamp }
        if let at = plain.lastEmailOpenedAt { lastEmailOpenedAt = at.timestamp }
        if let at = plain.lastEmailClickedAt { lastEmailClickedAt = at.timestamp }
        webEvents = plain.webEvents
        pageViews = plain.pageViews
        productViews = plain.productViews
        sessions = plain.sessions
        loginFailures = plain.loginFailures
        emailsSent = plain.emailsSent
        emailsOpened = plain.emailsOpened
        emailsClicked = plain.emailsClicked
        unsubscribed = plain.unsubscribed
        recentErrors = plain.recentErrors.map { tally in
            var error = C360_V1_RecentError()
            error.page = tally.page
            error.message = tally.message
            error.count = tally.count
            error.lastAt = tally.lastAt.timestamp
            return error
        }
        emailOpenRate = plain.emailOpenRate
        emailClickRate = plain.emailClickRate
    }
}

extension C360_V1_Support {
    init(_ plain: Profile.Support) {
        self.init()
        openTickets = plain.openTickets
        totalTickets = plain.totalTickets
        if let at = plain.lastTicketAt { lastTicketAt = at.timestamp }
        openTicketIds = plain.openTicketIDs
        if let average = plain.averageSatisfaction { averageSatisfaction = average }
        reopenedTickets = plain.reopenedTickets
        escalations = plain.escalations
    }
}

extension C360_V1_Derived {
    init(_ plain: Profile.Derived) {
        self.init()
        lifecycleStage = plain.lifecycleStage
        if let days = plain.daysSinceLastOrder { daysSinceLastOrder = days }
        if let scores = plain.rfm {
            var rfm = C360_V1_RfmScores()
            rfm.recency = scores.recency
            rfm.frequency = scores.frequency
            rfm.monetary = scores.monetary
            self.rfm = rfm
        }
        healthScore = plain.healthScore
        churnRisk = plain.churnRisk
        hasOpenSupportIssue_p = plain.hasOpenSupportIssue
        var flags = C360_V1_OpportunityFlags()
        flags.channelExpansion = plain.opportunities.channelExpansion
        flags.tierUpgrade = plain.opportunities.tierUpgrade
        flags.appAdoption = plain.opportunities.appAdoption
        opportunities = flags
    }
}
