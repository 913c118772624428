import C360Core
import C360Model
import Testing

/// A profile ages with no new events: evaluated at later and later times, its windowed counts
/// fall and its lifecycle stage moves on.
@Suite struct AgeingTests {
    typealias F = EventFactory

    static let projection = F.fold([
        F.event("o1", days: 0, F.order("o1", channel: .online, total: 12_000, items: [("sku_a", 1)])),
        F.event("v1", days: 0.5, F.web(.productView, session: "s1", product: "sku_a")),
        F.event("v2", days: 1, F.web(.productView, session: "s2", product: "sku_b")),
        F.event("v3", days: 2, F.web(.pageView, session: "s3")),
    ])

    @Test("active, then at_risk, lapsing and churned, with the 30-day counts falling to zero", arguments: [
        // (days after the order, stage, recent web events, recent product views, recent sessions, recent orders, recency score)
        // Day 0 is 2026-01-01: the order and a view on Jan 1, a view on Jan 2, a page view on Jan 3.
        (3.0, C360_V1_LifecycleStage.active, 3, 2, 3, 1, 5),
        (30.0, .active, 2, 1, 2, 0, 5),
        (31.5, .atRisk, 1, 0, 1, 0, 4),
        (32.5, .atRisk, 0, 0, 0, 0, 4),
        (90.0, .atRisk, 0, 0, 0, 0, 4),
        (91.0, .lapsing, 0, 0, 0, 0, 3),
        (365.0, .lapsing, 0, 0, 0, 0, 2),
        (366.0, .churned, 0, 0, 0, 0, 1),
        (2_000.0, .churned, 0, 0, 0, 0, 1),
    ] as [(Double, C360_V1_LifecycleStage, Int64, Int64, Int64, Int64, Int32)])
    func ages(days: Double, stage: C360_V1_LifecycleStage, webEvents: Int64, productViews: Int64, sessions: Int64, orders: Int64, recency: Int32) {
        let profile = ProfileEvaluator().profile(of: Self.projection, asOf: Instant(F.time(days: days)))
        #expect(profile.derived.lifecycleStage == stage)
        #expect(profile.recent.webEvents == webEvents)
        #expect(profile.recent.productViews == productViews)
        #expect(profile.recent.sessions == sessions)
        #expect(profile.recent.orders == orders)
        #expect(profile.derived.rfm?.recency == recency)
        // The lifetime figures never change with time.
        #expect(profile.activity.webEvents == 3)
        #expect(profile.purchases.totalOrders == 1)
        #expect(profile.derived.churnRisk == (stage == .atRisk || stage == .lapsing || profile.derived.healthScore < 25))
    }

    @Test("thresholds are settings: a 7-day window and a 10-day active stage")
    func configuredThresholds() throws {
        var settings = ProfileSettings()
        settings.windowDays = 7
        settings.activeDays = 10
        try settings.validate()
        let profile = ProfileEvaluator(settings: settings).profile(of: Self.projection, asOf: Instant(F.time(days: 7.5)))
        #expect(profile.recent.windowDays == 7)
        #expect(profile.recent.webEvents == 2, "Jan 2 to Jan 8: the views of Jan 2 and 3, not Jan 1's")
        #expect(profile.derived.lifecycleStage == .active)
        let later = ProfileEvaluator(settings: settings).profile(of: Self.projection, asOf: Instant(F.time(days: 11)))
        #expect(later.derived.lifecycleStage == .atRisk)
    }

    @Test("settings that make no sense are refused, naming the setting")
    func invalidSettings() {
        var settings = ProfileSettings()
        settings.windowDays = 120
        #expect(throws: C360Error.self) { try settings.validate() }
        settings = ProfileSettings()
        settings.atRiskDays = 10
        #expect(performing: { try settings.validate() }, throws: { ($0 as? C360Error)?.field == "profile.lifecycle" })
        settings = ProfileSettings()
        settings.recencyDays = [30, 20, 180, 365]
        #expect(performing: { try settings.validate() }, throws: { ($0 as? C360Error)?.field == "profile.rfm.recency_days" })
    }
}
