import Foundation

/// The writer's cache of identity-index entries: index key (a 16-byte keyed hash) to the subject
/// it points at, or to "absent". A table of fixed size, two entries a set, each key in place:
/// looking up or caching a key is one cache line and no allocation; a new key takes the place of
/// the one of its set used less recently.
///
/// (It replaced a `RecentlyUsedCache<IndexKey, UInt64?>`, whose insertions — three hash-table
/// operations on a heap-allocated key, one to evict — were 2.7% of the server's samples in bulk
/// ingest (`perf`), for 268,458 lookups it answered in the default data set.)
///
/// A key of another length than 16 bytes is never cached: looking it up finds nothing. Its table
/// is zeroed memory from the kernel, taken as entries are first written: a store whose writer
/// caches few keys does not hold the whole table. Only its owner's thread uses it (the writer's).
final class IndexEntryCache {
    private struct Entry {
        var first: UInt64 = 0
        var second: UInt64 = 0
        var subject: UInt64 = 0
        var state = State.empty
    }

    private enum State: UInt8 {
        case empty, absent, present
    }

    /// Two entries a set; zero bits are an empty entry.
    private let entries: UnsafeMutablePointer<Entry>
    private let entryCount: Int
    /// The way of each set used last (0 or 1): the other is evicted first.
    private let lastUsed: UnsafeMutablePointer<UInt8>
    private let setShift: UInt64

    /// Most keys a table holds: 2^30 (32 GiB of entries), so that a capacity set past it cannot
    /// overflow the table's size.
    static let mostKeys = 1 << 30

    /// A cache holding at least `capacity` keys (a power of two at or above it, at most
    /// `mostKeys`); 0 disables it.
    init(capacity requested: Int) {
        let capacity = min(requested, Self.mostKeys)
        let setBits: Int
        if capacity <= 0 {
            entryCount = 0
            setBits = 0
        } else {
            let sets = max(1, (capacity + 1) / 2)
            setBits = sets <= 1 ? 0 : Int.bitWidth - (sets - 1).leadingZeroBitCount
            entryCount = 2 << setBits
        }
        setShift = UInt64(64 - setBits)
        // Only an exhausted memory fails here, as any allocation of the store's caches would.
        guard let table = calloc(max(entryCount, 1), MemoryLayout<Entry>.stride),
              let used = calloc(max(entryCount / 2, 1), 1) else {
            fatalError("could not allocate the writer's cache of identity-index entries (\(entryCount) entries)")
        }
        entries = table.bindMemory(to: Entry.self, capacity: max(entryCount, 1))
        lastUsed = used.bindMemory(to: UInt8.self, capacity: max(entryCount / 2, 1))
    }

    deinit {
        free(entries)
        free(lastUsed)
    }

    /// The keys it can hold.
    var capacity: Int { entryCount }

    /// The keys it holds.
    var count: Int { (0..<entryCount).reduce(0) { $0 + (entries[$1].state == .empty ? 0 : 1) } }

    /// `.some(subject)` for a key cached as pointing at `subject`, `.some(nil)` for one cached as
    /// absent, `nil` for one not cached.
    func value(for key: IndexKey) -> UInt64?? {
        guard let (set, first, second) = place(of: key) else { return nil }
        for way in 0..<2 {
            let entry = entries[set * 2 + way]
            guard entry.state != .empty, entry.first == first, entry.second == second else { continue }
            lastUsed[set] = UInt8(way)
            return entry.state == .present ? .some(entry.subject) : .some(nil)
        }
        return nil
    }

    /// Caches `subject` (`nil`: absent) for `key`.
    func insert(_ subject: UInt64?, for key: IndexKey) {
        guard let (set, first, second) = place(of: key) else { return }
        let way = way(of: first, second, in: set)
            ?? (entries[set * 2].state == .empty ? 0 : entries[set * 2 + 1].state == .empty ? 1 : 1 - Int(lastUsed[set]))
        entries[set * 2 + way] = Entry(first: first, second: second, subject: subject ?? 0, state: subject == nil ? .absent : .present)
        lastUsed[set] = UInt8(way)
    }

    func remove(_ key: IndexKey) {
        guard let (set, first, second) = place(of: key), let way = way(of: first, second, in: set) else { return }
        entries[set * 2 + way] = Entry()
    }

    func removeAll() {
        memset(entries, 0, entryCount * MemoryLayout<Entry>.stride)
        memset(lastUsed, 0, entryCount / 2)
    }

    private func way(of first: UInt64, _ second: UInt64, in set: Int) -> Int? {
        for way in 0..<2 {
            let entry = entries[set * 2 + way]
            if entry.state != .empty, entry.first == first, entry.second == second { return way }
        }
        return nil
    }

    /// The key's set and its two halves; `nil` when it cannot be cached.
    private func place(of key: IndexKey) -> (set: Int, first: UInt64, second: UInt64)? {
        guard entryCount > 0, key.bytes.count == 16 else { return nil }
        let (first, second) = key.bytes.withUnsafeBytes {
            ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        // Fibonacci hashing of both halves: the sets stay even for keys that are not keyed hashes too.
        let mixed = (first ^ (second &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15
        let set = setShift >= 64 ? 0 : Int(truncatingIfNeeded: mixed >> setShift)
        return (set, first, second)
    }
}
