import C360Config
import C360Core
import C360Service
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
        ("access:\n  tokens:\n    - {name: a, sha256: abc, scopes: [read]}", "access.tokens.0.sha256"),
        ("access:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "ab", count: 32)), scopes: [root]}", "access.tokens.0.scopes.0"),
        ("access:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "ab", count: 32)), scopes: []}", "access.tokens.0.scopes"),
        ("access:\n  tokens:\n    - {name: a, scopes: [read]}", "access.tokens.0"),
        ("access:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "ab", count: 32)), scopes: [read]}\n    - {name: a, sha256: \(String(repeating: "cd", count: 32)), scopes: [write]}", "access.tokens"),
        ("access:\n  tokenz: []", "access.tokenz"),
        ("tls:\n  certificate_chain: /nonexistent/cert.pem\n  private_key: /nonexistent/key.pem", "tls.certificate_chain"),
        ("tls:\n  client_ca: /etc/hostname", "tls"),
        ("audit_log: \"\"", "audit_log"),
    ])
    func mistakes(yaml: String, key: String) {
        #expect(performing: { try ConfigurationFile(yaml: yaml) }, throws: { ($0 as? C360Error)?.field == key })
    }

    @Test("tokens are read with their scopes, and a token's secret is checked by its SHA-256")
    func tokens() throws {
        let (secret, token) = AccessToken.generate(name: "support-desk", scopes: [.read, .readPersonalData])
        #expect(secret.hasPrefix("c360_") && secret.count >= 40)
        let hex = token.sha256.map { String(format: "%02x", $0) }.joined()
        let file = try ConfigurationFile(yaml: """
            access:
              tokens:
                - name: support-desk
                  sha256: \(hex)
                  scopes: [read, "read:pii"]
            audit_log: /var/log/c360/audit.jsonl
            """)
        #expect(file.security.tokens == [token])
        #expect(file.store.auditLogPath == "/var/log/c360/audit.jsonl")
        let access = try AccessControl(tokens: file.security.tokens, audit: nil)
        let allowed = access.authorize(method: "/c360.v1.ProfileService/GetProfile", authorization: "Bearer \(secret)", peer: "test")
        #expect((try? allowed.get())?.seesPersonalData == true)
        let refused = access.authorize(method: "/c360.v1.ProfileService/AppendEvents", authorization: "Bearer \(secret)", peer: "test")
        #expect(throws: C360Error.self) { try refused.get() }
        let unlisted = access.authorize(method: "/c360.v1.ProfileService/DropEverything", authorization: "Bearer \(secret)", peer: "test")
        #expect(throws: C360Error.self) { try unlisted.get() }
        #expect((try? access.authorize(method: "/grpc.health.v1.Health/Check", authorization: nil, peer: "test").get()) != nil)
    }

    @Test("a segment from the file decides membership")
    func segmentMembership() throws {
        let file = try ConfigurationFile(yaml: "segments:\n  loyal:\n    all: [\"loyalty_tier in [gold]\", \"total_orders >= 2\"]")
        let loyal = try #require(file.store.segments.first)
        #expect(loyal.name == "loyal")
        #expect(loyal.conditions.map(\.field) == [.loyaltyTier, .totalOrders])
    }
}
