import C360Model

/// The derived part of a profile: lifecycle stage, RFM scores, health score and flags, from the
/// rest of the profile and the settings' thresholds. The README documents each formula.
struct DerivedFigures {
    let settings: ProfileSettings

    static let microsecondsPerDay: Int64 = 86_400_000_000

    func derive(profile: Profile, projection: Projection, asOf: Instant) -> Profile.Derived {
        var derived = Profile.Derived()
        let purchases = profile.purchases
        let ordered = purchases.totalOrders > 0
        var daysSinceLastOrder: Int64?
        if ordered, let lastOrderAt = purchases.lastOrderAt {
            let elapsed = asOf.microsecondsSinceEpoch - lastOrderAt.microsecondsSinceEpoch
            daysSinceLastOrder = max(0, elapsed / Self.microsecondsPerDay)
        }
        derived.daysSinceLastOrder = daysSinceLastOrder
        derived.lifecycleStage = stage(daysSinceLastOrder: daysSinceLastOrder)

        let main = ProfileEvaluator.mainCurrency(projection.orders.spend)
        // Thresholds are whole major units: compared in minor units, exactly.
        let lifetime: (minor: Int64, perMajor: Int64) = main.map { ($0.minorUnits, Currency.minorUnitsPerMajor($0.currency)) } ?? (0, 100)
        func reaches(_ majorUnits: Int) -> Bool { lifetime.minor >= Int64(majorUnits) * lifetime.perMajor }
        if let daysSinceLastOrder {
            var rfm = Profile.RfmScores()
            rfm.recency = Int32(5 - settings.recencyDays.count { daysSinceLastOrder > Int64($0) })
            rfm.frequency = Int32(1 + settings.frequencyOrders.count { purchases.totalOrders >= Int64($0) })
            rfm.monetary = Int32(1 + settings.monetaryMajorUnits.count(where: reaches))
            derived.rfm = rfm
        }
        derived.healthScore = healthScore(profile: profile, rfm: derived.rfm ?? Profile.RfmScores())
        derived.hasOpenSupportIssue = profile.support.openTickets > 0
        let stageName = Self.name(of: derived.lifecycleStage)
        derived.churnRisk = settings.churnRiskStages.contains(stageName)
            || (ordered && derived.healthScore < settings.churnRiskHealthBelow)

        var opportunities = Profile.OpportunityFlags()
        let channelsUsed = (purchases.onlineOrders > 0 ? 1 : 0) + (purchases.instoreOrders > 0 ? 1 : 0)
            + (purchases.mobileOrders > 0 ? 1 : 0) + (purchases.marketplaceOrders > 0 ? 1 : 0)
        opportunities.channelExpansion = channelsUsed == 1 && purchases.totalOrders >= Int64(settings.channelExpansionMinimumOrders)
        // An upgrade needs a tier to upgrade from: a customer outside the loyalty programme is not flagged.
        let held = profile.details.loyaltyTier
        opportunities.tierUpgrade = ordered && held.rawValue >= C360_V1_LoyaltyTier.bronze.rawValue
            && earnedTier(reaches: reaches).rawValue > held.rawValue
        opportunities.appAdoption = profile.recent.webEvents >= Int64(settings.appAdoptionMinimumRecentWebEvents)
            && projection.web.appEvents == 0 && purchases.mobileOrders == 0
        derived.opportunities = opportunities
        return derived
    }

    func stage(daysSinceLastOrder: Int64?) -> C360_V1_LifecycleStage {
        guard let days = daysSinceLastOrder else { return .prospect }
        if days <= Int64(settings.activeDays) { return .active }
        if days <= Int64(settings.atRiskDays) { return .atRisk }
        if days <= Int64(settings.lapsingDays) { return .lapsing }
        return .churned
    }

    /// 0 to 100: the weighted mean of recency, frequency and monetary (each (score - 1) / 4, 0
    /// without orders), engagement (half the email open rate, half whether the customer browsed in
    /// the window) and support (1 with no open ticket, 0.5 with one; times (mean satisfaction - 1) / 4
    /// when rated), rounded.
    func healthScore(profile: Profile, rfm: Profile.RfmScores) -> Int32 {
        func part(_ score: Int32) -> Double { score > 0 ? Double(score - 1) / 4 : 0 }
        let engagement = (profile.activity.emailOpenRate + (profile.recent.webEvents > 0 ? 1 : 0)) / 2
        var support = profile.support.openTickets > 0 ? 0.5 : 1
        if let satisfaction = profile.support.averageSatisfaction { support *= (satisfaction - 1) / 4 }
        let weights = settings.healthWeights
        let total = weights.recency + weights.frequency + weights.monetary + weights.engagement + weights.support
        let score = (weights.recency * part(rfm.recency) + weights.frequency * part(rfm.frequency)
            + weights.monetary * part(rfm.monetary) + weights.engagement * engagement + weights.support * support) / total
        return Int32((score * 100).rounded())
    }

    func earnedTier(reaches: (Int) -> Bool) -> C360_V1_LoyaltyTier {
        let tiers = settings.tierThresholds
        if reaches(tiers.platinum) { return .platinum }
        if reaches(tiers.gold) { return .gold }
        if reaches(tiers.silver) { return .silver }
        if reaches(tiers.bronze) { return .bronze }
        return .none
    }

    static func name(of stage: C360_V1_LifecycleStage) -> String {
        switch stage {
        case .prospect: "prospect"
        case .active: "active"
        case .atRisk: "at_risk"
        case .lapsing: "lapsing"
        case .churned: "churned"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }
}

/// ISO 4217 minor-unit exponents that differ from the common two decimals.
public enum Currency {
    public static func minorUnitsPerMajor(_ code: String) -> Int64 {
        switch code {
        case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF": 1
        case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND": 1_000
        default: 100
        }
    }
}
