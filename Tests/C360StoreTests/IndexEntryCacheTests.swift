@testable import C360Store
import C360Generator
import Testing

/// The writer's cache of identity-index entries may forget a key, never answer one wrongly: a
/// wrong subject would tie an identity to another customer.
@Suite struct IndexEntryCacheTests {
    static func key(_ random: inout SeededRandom) -> IndexKey {
        IndexKey((0..<2).flatMap { _ in withUnsafeBytes(of: random.next()) { Array($0) } })
    }

    @Test("under random inserts, removals and clears, every answer is the last value cached for that key, and a key just cached is found", arguments: 0..<10)
    func neverWrong(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let cache = IndexEntryCache(capacity: 64)
        var last: [IndexKey: UInt64?] = [:]
        // More keys than the cache holds, so that sets fill and evict.
        let keys = (0..<200).map { _ in Self.key(&random) }
        for _ in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            switch random.next() % 10 {
            case 0..<4:
                let subject: UInt64? = random.next() % 4 == 0 ? nil : random.next() % 1_000
                cache.insert(subject, for: key)
                last[key] = .some(subject)
                #expect(cache.value(for: key) == .some(subject))
            case 4:
                cache.remove(key)
                last[key] = nil
                #expect(cache.value(for: key) == nil)
            case 5 where random.next() % 100 == 0:
                cache.removeAll()
                last.removeAll()
                #expect(cache.count == 0)
            default:
                if let found = cache.value(for: key) {
                    #expect(last[key] == .some(found))
                }
            }
        }
    }

    @Test("with 100,000 keys in a table of 262,144 it keeps all but those its sets had no room for")
    func keepsItsWorkingSet() {
        var random = SeededRandom(seed: 7)
        let cache = IndexEntryCache(capacity: 200_000)
        #expect(cache.capacity == 262_144)
        let keys = (0..<100_000).map { _ in Self.key(&random) }
        for (subject, key) in keys.enumerated() { cache.insert(UInt64(subject), for: key) }
        var found = 0
        for (subject, key) in keys.enumerated() {
            if let cached = cache.value(for: key) {
                #expect(cached == UInt64(subject))
                found += 1
            }
        }
        // Two ways a set: a key is lost when two of its set came after it. At 0.76 keys a set
        // (Poisson) that is about 6.7% of them.
        #expect(found > 92_000, "\(found) of 100,000 kept")
    }

    @Test("a new key evicts the one of its set used less recently")
    func evictsLeastRecentlyUsed() {
        var random = SeededRandom(seed: 3)
        let cache = IndexEntryCache(capacity: 2)
        #expect(cache.capacity == 2)
        let (a, b, c) = (Self.key(&random), Self.key(&random), Self.key(&random))
        cache.insert(1, for: a)
        cache.insert(2, for: b)
        #expect(cache.value(for: a) == .some(1))
        cache.insert(3, for: c)
        #expect(cache.value(for: a) == .some(1))
        #expect(cache.value(for: b) == nil)
        #expect(cache.value(for: c) == .some(3))
        cache.insert(nil, for: b)
        #expect(cache.value(for: b) == .some(nil))
        #expect(cache.value(for: a) == nil)
    }

    @Test("keys of another length than 16 bytes are never cached, and capacity 0 caches nothing")
    func uncachedKeys() {
        let cache = IndexEntryCache(capacity: 100)
        for length in [0, 1, 8, 15, 17, 32] {
            let key = IndexKey(Array(repeating: 7, count: length))
            cache.insert(5, for: key)
            #expect(cache.value(for: key) == nil)
        }
        let disabled = IndexEntryCache(capacity: 0)
        let key = IndexKey(Array(repeating: 1, count: 16))
        disabled.insert(5, for: key)
        #expect(disabled.value(for: key) == nil)
        #expect(disabled.count == 0)
    }
}
