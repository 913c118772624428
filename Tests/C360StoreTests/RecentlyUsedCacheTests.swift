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

    @Test("capacity 0 keeps nothing")
    func disabled() {
        var cache = RecentlyUsedCache<Int, Int>(capacity: 0)
        cache.insert(1, for: 1)
        #expect(cache.value(for: 1) == nil)
    }
}
