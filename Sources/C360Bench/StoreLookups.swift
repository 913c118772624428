import C360Core
import C360Generator
import C360Store

/// Profile lookups inside the process, without any transport: how much of a lookup's cost is
/// the store's, and how much a random customer costs more than the same customer every time
/// (h2load posts one fixed body, so its runs look up one customer).
public enum StoreLookups {
    public struct Figures: Sendable {
        public var lookups = 0
        public var randomNanosecondsPerLookup = 0.0
        public var fixedNanosecondsPerLookup = 0.0

        public var json: [String: Any] {
            ["lookups": lookups, "random_customer_ns_per_lookup": randomNanosecondsPerLookup,
             "fixed_customer_ns_per_lookup": fixedNanosecondsPerLookup]
        }
    }

    public static func run(store: EventStore, customers: Int, lookups: Int) throws(C360Error) -> Figures {
        var figures = Figures()
        figures.lookups = lookups
        var random = SystemRandomNumberGenerator()
        let ids = (0..<lookups).map { _ in SyntheticDataGenerator.customerID(Int.random(in: 1...customers, using: &random)) }
        let asOf = Instant.now
        var start = monotonicNanoseconds()
        for id in ids { _ = try store.profile(customerID: id, asOf: asOf) }
        figures.randomNanosecondsPerLookup = Double(monotonicNanoseconds() - start) / Double(max(1, lookups))
        let fixed = SyntheticDataGenerator.customerID(42)
        start = monotonicNanoseconds()
        for _ in 0..<lookups { _ = try store.profile(customerID: fixed, asOf: asOf) }
        figures.fixedNanosecondsPerLookup = Double(monotonicNanoseconds() - start) / Double(max(1, lookups))
        return figures
    }
}
