/// A bounded map that keeps what was used recently, approximately: entries live in a young and an
/// old generation; a hit in the old one moves the entry to the young one, and when the young one
/// is full it becomes the old one and the previous old one is dropped. O(1) per operation, no
/// per-entry bookkeeping, and never more than `capacity` entries.
struct RecentlyUsedCache<Key: Hashable, Value> {
    private var young: [Key: Value] = [:]
    private var old: [Key: Value] = [:]
    private let generationSize: Int

    /// - Parameter capacity: most entries held; 0 disables the cache.
    init(capacity: Int) {
        self.generationSize = max(capacity / 2, 0)
    }

    mutating func value(for key: Key) -> Value? {
        if let value = young[key] { return value }
        guard let value = old.removeValue(forKey: key) else { return nil }
        insert(value, for: key)
        return value
    }

    mutating func insert(_ value: Value, for key: Key) {
        guard generationSize > 0 else { return }
        if young.count >= generationSize, young[key] == nil {
            old = young
            young = [:]
            young.reserveCapacity(generationSize)
        }
        young[key] = value
        old[key] = nil
    }

    mutating func remove(_ key: Key) {
        young[key] = nil
        old[key] = nil
    }

    mutating func removeAll() {
        young = [:]
        old = [:]
    }
}

extension RecentlyUsedCache: Sendable where Key: Sendable, Value: Sendable {}
