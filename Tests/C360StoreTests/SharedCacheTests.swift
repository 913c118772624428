@testable import C360Store
import Testing

/// The cache shared by the writer and lookups: a reader must never put back a value older than
/// what the writer stored or removed after the reader began.
@Suite struct SharedCacheTests {
    @Test("a reader's fill is kept when the writer left the shard alone, dropped when it changed it")
    func readerFills() {
        let cache = SharedCache<UInt64, String>(capacity: 64, shards: 1)
        let untouched = cache.ticket(for: 1)
        cache.add("read v1", for: 1, readWith: untouched)
        #expect(cache.value(for: 1) == "read v1")

        // A reader starts reading key 2 from storage; the writer commits version 2 meanwhile.
        let stale = cache.ticket(for: 2)
        cache.store("written v2", for: 2)
        cache.add("read v1", for: 2, readWith: stale)
        #expect(cache.value(for: 2) == "written v2")

        // The writer removes key 3 (an erasure) while a reader has the old value in hand.
        cache.store("v1", for: 3)
        let beforeErasure = cache.ticket(for: 3)
        cache.remove(3)
        cache.add("v1", for: 3, readWith: beforeErasure)
        #expect(cache.value(for: 3) == nil)

        // removeAll (a replay) invalidates every ticket taken before it.
        let beforeReplay = cache.ticket(for: 4)
        cache.removeAll()
        cache.add("old", for: 4, readWith: beforeReplay)
        #expect(cache.value(for: 4) == nil)
    }

    @Test("a scan's tickets for every shard refuse its fills only in the shards the writer changed")
    func scanTickets() {
        let cache = SharedCache<UInt64, String>(capacity: 64, shards: 4)
        let tickets = cache.ticketsForEveryShard()
        // Keys 0…3 fall in four different shards or not; whichever shard key 0 is in, a store
        // there refuses the scan's fill of key 0 and of every key in that shard.
        cache.store("written", for: 0)
        for key in UInt64(0)..<16 { cache.add("scanned", for: key, readWithOneOf: tickets) }
        #expect(cache.value(for: 0) == "written")
        let afterStore = cache.ticket(for: 0)
        for key in UInt64(1)..<16 {
            let sameShard = cache.ticket(for: key) == afterStore
            #expect((cache.value(for: key) == nil) == sameShard, "key \(key)")
        }
    }

    @Test("replacing changes a held key's value in its place, holds no key it did not, and refuses reads begun before it")
    func replaceInPlace() {
        let cache = SharedCache<UInt64, String>(capacity: 2, shards: 1)
        cache.store("v1", for: 1, evicting: false)
        cache.store("v1", for: 2, evicting: false)
        let beforeReplace = cache.ticket(for: 1)
        cache.replace("", for: 1)
        cache.replace("", for: 3)
        #expect(cache.value(for: 1) == "" && cache.value(for: 3) == nil)
        cache.add("read v1", for: 1, readWith: beforeReplace)
        #expect(cache.value(for: 1) == "")
        // The slot stays taken: a full cache that does not evict has no room for another key.
        cache.store("v1", for: 4, evicting: false)
        #expect(cache.value(for: 4) == nil)
        cache.store("v2", for: 1, evicting: false)
        #expect(cache.value(for: 1) == "v2" && cache.value(for: 2) == "v1")
    }

    @Test("removing many keys removes each, and refuses reads begun before it even in shards that held nothing")
    func removeMany() {
        let cache = SharedCache<UInt64, String>(capacity: 64, shards: 4)
        for key in UInt64(0)..<8 { cache.store("v1", for: key) }
        cache.remove([UInt64(1), 3, 5])
        #expect((UInt64(0)..<8).filter { !cache.contains($0) } == [1, 3, 5])
        #expect(cache.value(for: 2) == "v1" && cache.contains(2))

        // An empty cache: a reader that began before the removal read what the writer replaced.
        let empty = SharedCache<UInt64, String>(capacity: 64, shards: 4)
        let tickets = (UInt64(0)..<8).map { empty.ticket(for: $0) }
        empty.remove([UInt64(0), 1])
        for key in UInt64(0)..<8 { empty.add("read before", for: key, readWith: tickets[Int(key)]) }
        #expect((UInt64(0)..<8).allSatisfy { !empty.contains($0) })
    }

    @Test("never holds more than its capacity")
    func bounded() {
        let cache = SharedCache<UInt64, UInt64>(capacity: 64, shards: 4)
        for key in UInt64(0)..<10_000 { cache.store(key, for: key) }
        #expect((UInt64(0)..<10_000).filter { cache.value(for: $0) != nil }.count <= 64)
        #expect(cache.value(for: 9_999) == 9_999)
    }

    @Test("replay ranges cover every subject key once, in order, the last one open-ended")
    func replayRanges() {
        for next in [UInt64(1), 2, 4_095, 4_096, 4_097, 100_000] {
            let ranges = EventStore.replayRanges(nextSubject: next)
            #expect(ranges.first?.lower == 0)
            #expect(ranges.last?.upper == nil)
            for (range, following) in zip(ranges, ranges.dropFirst()) {
                #expect(range.upper == following.lower, "gap or overlap after \(range.lower) with next subject \(next)")
                #expect(range.lower <= range.upper ?? .max)
            }
            #expect(ranges.contains { $0.lower == StoreKeys.anonymousBit })
        }
    }
}
