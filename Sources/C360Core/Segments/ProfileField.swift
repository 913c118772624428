public import C360Model

/// A profile field a segment condition can test, by the name configuration files use.
public enum ProfileField: String, CaseIterable, Sendable {
    // Numbers.
    case totalOrders = "total_orders", onlineOrders = "online_orders", instoreOrders = "instore_orders"
    case mobileOrders = "mobile_orders", marketplaceOrders = "marketplace_orders", itemsBought = "items_bought"
    case cancelledOrders = "cancelled_orders", returnedOrders = "returned_orders"
    /// Major units of the main currency (the one with the highest lifetime value).
    case lifetimeValue = "lifetime_value", averageOrderValue = "average_order_value"
    case daysSinceLastOrder = "days_since_last_order"
    case recentWebEvents = "recent_web_events", recentPageViews = "recent_page_views"
    case recentProductViews = "recent_product_views", recentSessions = "recent_sessions", recentOrders = "recent_orders"
    case webEvents = "web_events", productViews = "product_views", sessions = "sessions"
    case emailsSent = "emails_sent", emailOpenRate = "email_open_rate", emailClickRate = "email_click_rate"
    case openTickets = "open_tickets", totalTickets = "total_tickets", averageSatisfaction = "average_satisfaction"
    case healthScore = "health_score", rfmRecency = "rfm_recency", rfmFrequency = "rfm_frequency", rfmMonetary = "rfm_monetary"
    case loyaltyPoints = "loyalty_points", age = "age"
    // Names.
    case lifecycleStage = "lifecycle_stage", loyaltyTier = "loyalty_tier", preferredChannel = "preferred_channel"
    case acquisitionChannel = "acquisition_channel"
    // Flags.
    case churnRisk = "churn_risk", hasOpenSupportIssue = "has_open_support_issue", unsubscribed = "unsubscribed"
    case channelExpansion = "channel_expansion", tierUpgrade = "tier_upgrade", appAdoption = "app_adoption"

    public enum Kind: Sendable { case number, name, flag }

    public var kind: Kind {
        switch self {
        case .lifecycleStage, .loyaltyTier, .preferredChannel, .acquisitionChannel: .name
        case .churnRisk, .hasOpenSupportIssue, .unsubscribed, .channelExpansion, .tierUpgrade, .appAdoption: .flag
        default: .number
        }
    }

    /// The field's value in `profile`: a number, a lower-case name, or a flag. `nil` when the
    /// profile has no value (no orders for `days_since_last_order`, no date of birth for `age`):
    /// a condition on a missing value never holds.
    public func value(in profile: Profile) -> SegmentValue? {
        let purchases = profile.purchases, recent = profile.recent, activity = profile.activity, derived = profile.derived
        // Scores of 0 for a customer who never ordered, as the message reads without them.
        let rfm = derived.rfm ?? Profile.RfmScores()
        switch self {
        case .totalOrders: return .number(Double(purchases.totalOrders))
        case .onlineOrders: return .number(Double(purchases.onlineOrders))
        case .instoreOrders: return .number(Double(purchases.instoreOrders))
        case .mobileOrders: return .number(Double(purchases.mobileOrders))
        case .marketplaceOrders: return .number(Double(purchases.marketplaceOrders))
        case .itemsBought: return .number(Double(purchases.itemsBought))
        case .cancelledOrders: return .number(Double(purchases.cancelledOrders))
        case .returnedOrders: return .number(Double(purchases.returnedOrders))
        case .lifetimeValue:
            let main = ProfileEvaluator.mainCurrency(purchases.lifetimeValue, currency: \.currency, minorUnits: \.minorUnits)
            return .number(main.map { Double($0.minorUnits) / Double(Currency.minorUnitsPerMajor($0.currency)) } ?? 0)
        case .averageOrderValue:
            guard let money = purchases.averageOrderValue else { return nil }
            return .number(Double(money.minorUnits) / Double(Currency.minorUnitsPerMajor(money.currency)))
        case .daysSinceLastOrder: return derived.daysSinceLastOrder.map { .number(Double($0)) }
        case .recentWebEvents: return .number(Double(recent.webEvents))
        case .recentPageViews: return .number(Double(recent.pageViews))
        case .recentProductViews: return .number(Double(recent.productViews))
        case .recentSessions: return .number(Double(recent.sessions))
        case .recentOrders: return .number(Double(recent.orders))
        case .webEvents: return .number(Double(activity.webEvents))
        case .productViews: return .number(Double(activity.productViews))
        case .sessions: return .number(Double(activity.sessions))
        case .emailsSent: return .number(Double(activity.emailsSent))
        case .emailOpenRate: return .number(activity.emailOpenRate)
        case .emailClickRate: return .number(activity.emailClickRate)
        case .openTickets: return .number(Double(profile.support.openTickets))
        case .totalTickets: return .number(Double(profile.support.totalTickets))
        case .averageSatisfaction: return profile.support.averageSatisfaction.map { .number($0) }
        case .healthScore: return .number(Double(derived.healthScore))
        case .rfmRecency: return .number(Double(rfm.recency))
        case .rfmFrequency: return .number(Double(rfm.frequency))
        case .rfmMonetary: return .number(Double(rfm.monetary))
        case .loyaltyPoints: return .number(Double(profile.details.loyaltyPoints))
        case .age: return profile.details.age.map { .number(Double($0)) }
        case .lifecycleStage: return .name(DerivedFigures.name(of: derived.lifecycleStage))
        case .loyaltyTier: return .name(Self.name(of: profile.details.loyaltyTier))
        case .preferredChannel: return .name(Self.name(of: purchases.preferredChannel))
        case .acquisitionChannel: return .name(profile.details.acquisitionChannel.lowercased())
        case .churnRisk: return .flag(derived.churnRisk)
        case .hasOpenSupportIssue: return .flag(derived.hasOpenSupportIssue)
        case .unsubscribed: return .flag(activity.unsubscribed)
        case .channelExpansion: return .flag(derived.opportunities.channelExpansion)
        case .tierUpgrade: return .flag(derived.opportunities.tierUpgrade)
        case .appAdoption: return .flag(derived.opportunities.appAdoption)
        }
    }

    static func name(of tier: C360_V1_LoyaltyTier) -> String {
        switch tier {
        case .none: "none"
        case .bronze: "bronze"
        case .silver: "silver"
        case .gold: "gold"
        case .platinum: "platinum"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }

    static func name(of channel: C360_V1_OrderChannel) -> String {
        switch channel {
        case .online: "online"
        case .instore: "instore"
        case .mobile: "mobile"
        case .marketplace: "marketplace"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }
}

public enum SegmentValue: Sendable, Equatable {
    case number(Double)
    case name(String)
    case flag(Bool)
}
