import C360Model

/// The thresholds and cut points a profile is evaluated with. Every one has a documented default
/// (README, "Profile fields"); a configuration file overrides any of them.
public struct ProfileSettings: Sendable, Equatable {
    /// Days the windowed figures (`recent`) cover, ending on `as_of`'s day. At most the fold's
    /// `dayBucketsKept` (90). Default 30.
    public var windowDays = 30
    /// Lifecycle stage by whole days since the last order: `active` up to `activeDays`, `at_risk`
    /// up to `atRiskDays`, `lapsing` up to `lapsingDays`, `churned` beyond. Defaults 30, 90, 365.
    public var activeDays = 30
    public var atRiskDays = 90
    public var lapsingDays = 365
    /// Recency score: 5 up to the first value's days since the last order, 4 up to the second,
    /// 3 up to the third, 2 up to the fourth, 1 beyond. Default [30, 90, 180, 365].
    public var recencyDays = [30, 90, 180, 365]
    /// Frequency score: 1, plus one for each value the order count reaches. Default [2, 4, 8, 16].
    public var frequencyOrders = [2, 4, 8, 16]
    /// Monetary score: 1, plus one for each value (major units of the main currency) the lifetime
    /// value reaches. Default [100, 500, 1000, 5000].
    public var monetaryMajorUnits = [100, 500, 1000, 5000]
    /// Weights of the health score's parts; they are normalised by their sum.
    public var healthWeights = HealthWeights()
    /// Stages that raise the churn-risk flag. Default at_risk and lapsing.
    public var churnRiskStages: [String] = ["at_risk", "lapsing"]
    /// A health score below this raises the churn-risk flag for a customer who has ordered. Default 25.
    public var churnRiskHealthBelow = 25
    /// Channel expansion: at least this many orders, all through one channel. Default 3.
    public var channelExpansionMinimumOrders = 3
    /// App adoption: at least this many web events in the window, none from the app or a phone,
    /// and no mobile orders. Default 5.
    public var appAdoptionMinimumRecentWebEvents = 5
    /// Tier upgrade: lifetime value (major units of the main currency) that earns each tier; a
    /// customer holding a tier who has earned a higher one is flagged.
    /// Defaults bronze 0, silver 500, gold 1,000, platinum 5,000.
    public var tierThresholds = TierThresholds()
    /// How many products and categories the profile lists. Default 5 each.
    public var topProducts = 5
    public var topCategories = 5

    public struct HealthWeights: Sendable, Equatable {
        public var recency = 0.30
        public var frequency = 0.20
        public var monetary = 0.20
        public var engagement = 0.15
        public var support = 0.15
        public init() {}
    }

    public struct TierThresholds: Sendable, Equatable {
        public var bronze = 0
        public var silver = 500
        public var gold = 1_000
        public var platinum = 5_000
        public init() {}
    }

    public init() {}

    /// The stage names `churnRiskStages` accepts.
    public static let stageNames = ["prospect", "active", "at_risk", "lapsing", "churned"]

    /// Checks that the settings make sense together.
    /// - Throws: `C360Error` `.invalidArgument` naming the setting at fault.
    public func validate(dayBucketsKept: Int = ProjectionFold().dayBucketsKept) throws(C360Error) {
        guard (1...dayBucketsKept).contains(windowDays) else {
            throw .invalid("profile.window_days", "must be from 1 to \(dayBucketsKept) (the days of activity a projection keeps), not \(windowDays)")
        }
        guard 0 <= activeDays, activeDays < atRiskDays, atRiskDays < lapsingDays else {
            throw .invalid("profile.lifecycle", "needs 0 <= active_days < at_risk_days < lapsing_days, not \(activeDays), \(atRiskDays), \(lapsingDays)")
        }
        for (name, cuts) in [("profile.rfm.recency_days", recencyDays), ("profile.rfm.frequency_orders", frequencyOrders),
                             ("profile.rfm.monetary_major_units", monetaryMajorUnits)] {
            guard cuts.count == 4, cuts.allSatisfy({ $0 >= 0 }), zip(cuts, cuts.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw .invalid(name, "needs 4 increasing non-negative values, not \(cuts)")
            }
        }
        let weights = healthWeights
        let parts = [weights.recency, weights.frequency, weights.monetary, weights.engagement, weights.support]
        guard parts.allSatisfy({ $0 >= 0 && $0.isFinite }), parts.reduce(0, +) > 0 else {
            throw .invalid("profile.health_weights", "must be non-negative with a positive sum")
        }
        for stage in churnRiskStages where !Self.stageNames.contains(stage) {
            throw .invalid("profile.churn_risk_stages", "has \"\(stage)\"; stages are \(Self.stageNames.joined(separator: ", "))")
        }
        let tiers = tierThresholds
        guard 0 <= tiers.bronze, tiers.bronze <= tiers.silver, tiers.silver <= tiers.gold, tiers.gold <= tiers.platinum else {
            throw .invalid("profile.tier_thresholds", "needs 0 <= bronze <= silver <= gold <= platinum")
        }
        guard topProducts >= 0, topCategories >= 0, channelExpansionMinimumOrders >= 1, appAdoptionMinimumRecentWebEvents >= 1 else {
            throw .invalid("profile", "top_products and top_categories must be >= 0, the opportunity minimums >= 1")
        }
    }
}
