@testable import C360Store
import C360Generator
import Testing

/// The bounded map under every cache of the store: it may forget, but never answers a value
/// other than the last one given for a key, never holds more than its capacity, and keeps what
/// is used while new keys stream through.
@Suite struct RecentlyUsedCacheTests {
    @Test("random operations against a plain dictionary: answers are the last value or nothing; nothing is forgotten below capacity", arguments: 0..<100)
    func matchesAModel(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let capacity = Int(random.next() % 40)
        let keys = UInt64(1) + random.next() % 80
        var cache = RecentlyUsedCache<UInt64, UInt64>(capacity: capacity)
        var model: [UInt64: UInt64] = [:]
        var everInserted = Set<UInt64>()
        for step in UInt64(0)..<2_000 {
            let key = random.next() % keys
            switch random.next() % 4 {
            case 0, 1:
                cache.insert(step, for: key)
                model[key] = step
                everInserted.insert(key)
            case 2:
                cache.remove(key)
                model[key] = nil
            default:
                if let value = cache.value(for: key) { #expect(model[key] == value) }
            }
            #expect(cache.count <= capacity)
            #expect(cache.count <= model.count)
        }
        // With no more distinct keys than the capacity, nothing is ever forgotten.
        if everInserted.count <= capacity {
            for (key, value) in model { #expect(cache.value(for: key) == value) }
        }
    }

    @Test("a key used between insertions survives a stream of new keys; full, it holds exactly its capacity")
    func keepsWhatIsUsed() {
        var cache = RecentlyUsedCache<UInt64, UInt64>(capacity: 8)
        cache.insert(42, for: 1_000_000)
        for key in UInt64(0)..<1_000 {
            cache.insert(key, for: key)
            #expect(cache.value(for: 1_000_000) == 42)
        }
        #expect(cache.count == 8)
        #expect(cache.value(for: 999) == 999)
        #expect(cache.value(for: 0) == nil)
    }

    /// A value that says what it costs, for a cache bounded by cost.
    struct Sized: Equatable {
        var step: UInt64
        var cost: Int
    }

    @Test("random operations with costs against a plain dictionary: answers are the last value or nothing; the cost held is what the entries cost and never past the budget", arguments: 0..<100)
    func matchesAModelWithCosts(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let budget = Int(random.next() % 60)
        let keys = UInt64(1) + random.next() % 40
        var cache = RecentlyUsedCache<UInt64, Sized>(budget: budget) { $0.cost }
        var model: [UInt64: Sized] = [:]
        for step in UInt64(0)..<2_000 {
            let key = random.next() % keys
            let value = Sized(step: step, cost: 1 + Int(random.next() % 12))
            switch random.next() % 5 {
            case 0, 1:
                cache.insert(value, for: key, evicting: random.next() % 4 != 0)
                model[key] = value
            case 2:
                cache.replace(value, for: key)
                if model[key] != nil { model[key] = value }
            case 3:
                cache.remove(key)
                model[key] = nil
            default:
                if let held = cache.value(for: key) { #expect(model[key] == held) }
            }
            #expect(cache.held <= budget)
            let heldCost = (0..<keys).reduce(0) { total, key in total + (cache.value(for: key)?.cost ?? 0) }
            #expect(cache.held == heldCost)
        }
    }

    @Test("by cost: a new entry evicts as many as it needs; a value dearer than the budget is not kept; a replaced one that grew keeps its place")
    func evictsByCost() {
        var cache = RecentlyUsedCache<Int, Sized>(budget: 10) { $0.cost }
        for key in 0..<5 { cache.insert(Sized(step: 0, cost: 2), for: key) }
        #expect(cache.count == 5 && cache.held == 10)
        _ = cache.value(for: 4)
        cache.insert(Sized(step: 1, cost: 5), for: 5)
        // Three of the unused went (2 + 2 + 2 make room for 5); the one used stayed.
        #expect(cache.held <= 10 && cache.count == 3)
        #expect(cache.value(for: 5)?.cost == 5 && cache.value(for: 4) != nil)
        cache.insert(Sized(step: 2, cost: 11), for: 6)
        #expect(cache.value(for: 6) == nil && cache.held <= 10)
        cache.replace(Sized(step: 3, cost: 8), for: 5)
        #expect(cache.value(for: 5)?.cost == 8 && cache.held <= 10 && cache.count < 3)
        cache.replace(Sized(step: 4, cost: 11), for: 5)
        #expect(cache.value(for: 5) == nil && cache.held <= 2)
        // Not evicting, a new key that does not fit is not kept.
        cache.insert(Sized(step: 5, cost: 6), for: 7)
        cache.insert(Sized(step: 6, cost: 6), for: 8, evicting: false)
        #expect(cache.value(for: 8) == nil && cache.value(for: 7) != nil)
    }

    @Test("capacity 0 keeps nothing")
    func disabled() {
        var cache = RecentlyUsedCache<Int, Int>(capacity: 0)
        cache.insert(1, for: 1)
        #expect(cache.value(for: 1) == nil)
    }
}
