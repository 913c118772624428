import C360Core
import C360Generator
import C360Model
import Testing

/// `ProfileEvaluator.unchangedUntil` lets a lookup answer with a profile evaluated earlier: it
/// must never claim a profile holds past an instant at which evaluation gives other figures.
@Suite struct UnchangedUntilTests {
    typealias F = EventFactory

    static func withoutAsOf(_ profile: Profile) -> Profile {
        var profile = profile
        profile.asOf = Instant(microsecondsSinceEpoch: 0)
        return profile
    }

    static func twoDigits(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }

    static func randomProjection(_ random: inout SeededRandom) -> Projection {
        var events: [C360_V1_Event] = []
        var customer = C360_V1_CustomerUpserted()
        // Birthdays on every day of the year, some on 29 February.
        customer.dateOfBirth = Bool.random(using: &random)
            ? "1996-02-29"
            : "19\(Int.random(in: 50...99, using: &random))-\(twoDigits(Int.random(in: 1...12, using: &random)))-\(twoDigits(Int.random(in: 1...28, using: &random)))"
        events.append(F.event("c", days: Double.random(in: -400...0, using: &random), .customerUpserted(customer)))
        for index in 0..<Int.random(in: 0...3, using: &random) {
            let total = Int64.random(in: 100...50_000, using: &random)
            events.append(F.event("o\(index)", days: Double.random(in: -500...60, using: &random), F.order("o\(index)", total: total)))
        }
        for index in 0..<Int.random(in: 0...6, using: &random) {
            events.append(F.event("v\(index)", days: Double.random(in: -60...60, using: &random), F.web(.pageView, session: "s\(index)")))
        }
        return F.fold(events)
    }

    @Test("the profile evaluated at any instant before the bound equals the one evaluated at the start, but for as_of", arguments: 0..<300)
    func holdsUntilTheBound(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let projection = Self.randomProjection(&random)
        let evaluator = ProfileEvaluator()
        let asOf = Instant(F.time(days: Double.random(in: -30...120, using: &random)))
        let profile = evaluator.profile(of: projection, asOf: asOf)
        let until = ProfileEvaluator.unchangedUntil(profile, evaluatedAt: asOf)
        #expect(until > asOf)
        #expect(until.microsecondsSinceEpoch - asOf.microsecondsSinceEpoch <= 86_400_000_000)
        let span = until.microsecondsSinceEpoch - asOf.microsecondsSinceEpoch
        let instants = [asOf.microsecondsSinceEpoch + span - 1, asOf.microsecondsSinceEpoch + span / 2]
            + (0..<8).map { _ in asOf.microsecondsSinceEpoch + Int64.random(in: 0..<span, using: &random) }
        for instant in instants {
            let later = evaluator.profile(of: projection, asOf: Instant(microsecondsSinceEpoch: instant))
            #expect(Self.withoutAsOf(later) == Self.withoutAsOf(profile), "at \(instant), evaluated at \(asOf)")
        }
    }

    @Test("the bound is the next midnight, or the next whole day since the last order when that comes first")
    func bound() {
        let projection = F.fold([F.event("o1", days: 10.75, F.order("o1", total: 1_000))])
        let evaluator = ProfileEvaluator()
        // 2026-01-13 06:00: the order was 1.5 days before; its second whole day starts at 18:00.
        let morning = Instant(F.time(days: 12.25))
        #expect(ProfileEvaluator.unchangedUntil(evaluator.profile(of: projection, asOf: morning), evaluatedAt: morning) == Instant(F.time(days: 12.75)))
        // 2026-01-13 20:00: midnight comes first.
        let evening = Instant(F.time(days: 12 + 20.0 / 24))
        #expect(ProfileEvaluator.unchangedUntil(evaluator.profile(of: projection, asOf: evening), evaluatedAt: evening) == Instant(F.time(days: 13)))
        // Without orders, midnight.
        let none = F.fold([F.event("v1", days: 1, F.web(.pageView))])
        #expect(ProfileEvaluator.unchangedUntil(evaluator.profile(of: none, asOf: morning), evaluatedAt: morning) == Instant(F.time(days: 13)))
    }
}
