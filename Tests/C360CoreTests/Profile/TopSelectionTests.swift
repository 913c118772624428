@testable import C360Core
import C360Generator
import Testing

/// `ProfileEvaluator.top` picks the first few without sorting everything: it must give exactly
/// what a stable sort followed by `prefix` gives, ties included.
@Suite struct TopSelectionTests {
    struct Tally: Equatable {
        let quantity: Int
        let orders: Int
        let name: String
    }

    static func isBefore(_ a: Tally, _ b: Tally) -> Bool {
        (a.quantity, a.orders, b.name) > (b.quantity, b.orders, a.name)
    }

    @Test("equals sort-then-prefix on random lists with many ties", arguments: 0..<200)
    func matchesSort(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let count = Int(random.next() % 40)
        // Few distinct values, so that ties (equal on every key) are common.
        let tallies = (0..<count).map { _ in
            Tally(quantity: Int(random.next() % 4), orders: Int(random.next() % 3), name: "p\(random.next() % 5)")
        }
        for k in [0, 1, 3, 5, 50] {
            let expected = Array(tallies.sorted(by: Self.isBefore).prefix(k))
            #expect(ProfileEvaluator.top(k, of: tallies, by: Self.isBefore) == expected, "k=\(k) \(tallies)")
        }
    }
}
