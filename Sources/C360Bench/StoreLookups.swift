public import C360Core
import C360Generator
public import C360Store

/// Profile lookups inside the process, without any transport, each encoded as `GetProfile`
/// answers: how much of a lookup's cost is the store's, evaluated from the projection every time
/// and answered from the profiles kept (`storage.cached_profiles`).
public enum StoreLookups {
    public struct Figures: Sendable {
        public var lookups = 0
        public var evaluatedNanosecondsPerLookup = 0.0
        public var keptNanosecondsPerLookup = 0.0

        public var json: [String: Any] {
            ["lookups": lookups, "evaluated_ns_per_lookup": evaluatedNanosecondsPerLookup,
             "kept_ns_per_lookup": keptNanosecondsPerLookup]
        }
    }

    public static func run(store: EventStore, customers: Int, lookups: Int) throws(C360Error) -> Figures {
        var figures = Figures()
        figures.lookups = lookups
        var random = SystemRandomNumberGenerator()
        let ids = (0..<lookups).map { _ in SyntheticDataGenerator.customerID(Int.random(in: 1...customers, using: &random)) }
        // As of a given time, a lookup is evaluated every time (only lookups as of now are kept).
        let asOf = Instant.now
        var start = monotonicNanoseconds()
        for id in ids { _ = try store.encodedProfile(customerID: id, asOf: asOf, redacted: false).getProfileResponse }
        figures.evaluatedNanosecondsPerLookup = Double(monotonicNanoseconds() - start) / Double(max(1, lookups))
        for id in ids { _ = try store.encodedProfile(customerID: id, redacted: false) }
        start = monotonicNanoseconds()
        for id in ids { _ = try store.encodedProfile(customerID: id, redacted: false).getProfileResponse }
        figures.keptNanosecondsPerLookup = Double(monotonicNanoseconds() - start) / Double(max(1, lookups))
        return figures
    }
}
