import C360Config
import C360Core
import C360Store
import Foundation
import Testing

@Suite struct ConfigurationFileTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../ops/c360.example.yaml").standardized.path

    @Test("the shipped example parses to the defaults plus the three example segments")
    func example() throws {
        let file = try ConfigurationFile(contentsOf: Self.example)
        #expect(file.store.profile == ProfileSettings())
        #expect(file.store.maximumIdentitiesPerCustomer == StoreConfiguration().maximumIdentitiesPerCustomer)
        #expect(file.store.segments == Segment.examples.sorted { $0.name < $1.name })
    }

    @Test("values override the defaults")
    func overrides() throws {
        let file = try ConfigurationFile(yaml: """
            profile:
              window_days: 14
              lifecycle: {active_days: 20, at_risk_days: 60, lapsing_days: 200}
              health_weights: {support: 0}
            identity:
              max_identities_per_customer: 7
            """)
        #expect(file.store.profile.windowDays == 14)
        #expect(file.store.profile.activeDays == 20)
        #expect(file.store.profile.lapsingDays == 200)
        #expect(file.store.profile.healthWeights.support == 0)
        #expect(file.store.maximumIdentitiesPerCustomer == 7)
        #expect(file.store.segments.isEmpty)
    }

    @Test("mistakes are refused naming the key", arguments: [
        ("profile:\n  window_dayz: 3", "profile.window_dayz"),
        ("profile:\n  window_days: thirty", "profile.window_days"),
        ("profile:\n  window_days: 365", "profile.window_days"),
        ("profile:\n  lifecycle: {active_days: 100}", "profile.lifecycle"),
        ("profile:\n  rfm: {recency_days: [1, 2]}", "profile.rfm.recency_days"),
        ("profile:\n  churn_risk_stages: [doomed]", "profile.churn_risk_stages"),
        ("identity:\n  max_identities_per_customer: 0", "identity.max_identities_per_customer"),
        ("segments:\n  vip:\n    all: [\"loyalty_tier > 3\"]", "segments.vip"),
        ("segments:\n  vip:\n    all: [\"favourite_colour == red\"]", "segments.vip"),
        ("segments:\n  Bad Name:\n    all: [\"total_orders > 1\"]", "segments.Bad Name"),
        ("segments:\n  vip:\n    any: [\"total_orders > 1\"]", "segments.vip.any"),
        ("colour: blue", "colour"),
    ])
    func mistakes(yaml: String, key: String) {
        #expect(performing: { try ConfigurationFile(yaml: yaml) }, throws: { ($0 as? C360Error)?.field == key })
    }

    @Test("a segment from the file decides membership")
    func segmentMembership() throws {
        let file = try ConfigurationFile(yaml: "segments:\n  loyal:\n    all: [\"loyalty_tier in [gold]\", \"total_orders >= 2\"]")
        let loyal = try #require(file.store.segments.first)
        #expect(loyal.name == "loyal")
        #expect(loyal.conditions.map(\.field) == [.loyaltyTier, .totalOrders])
    }
}
