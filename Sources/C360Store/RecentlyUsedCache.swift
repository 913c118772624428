/// A bounded map that keeps what was used recently, approximately, by the CLOCK algorithm: every
/// entry has a slot and a "used" mark set by each hit; a new entry, when the map is full, takes
/// the slot of the first entry the clock's hand finds unmarked, clearing the marks it passes. One
/// hash lookup per hit, O(1) amortised per insertion, and exactly `capacity` entries kept once
/// full.
///
/// (It replaced two generations of dictionaries, which kept between half and all of the capacity
/// and moved an entry on every hit in the older one: 6% of a kept lookup's server CPU in `perf`.)
struct RecentlyUsedCache<Key: Hashable, Value> {
    fileprivate struct Slot {
        var key: Key
        var value: Value
        var used: Bool
    }

    private var slots: [Slot] = []
    private var positions: [Key: Int] = [:]
    private var hand = 0
    private let capacity: Int

    /// - Parameter capacity: most entries held; 0 disables the cache.
    init(capacity: Int) {
        self.capacity = max(capacity, 0)
    }

    var count: Int { slots.count }

    /// The entries whose value passes `isIncluded`.
    func count(where isIncluded: (Value) -> Bool) -> Int {
        slots.reduce(0) { $0 + (isIncluded($1.value) ? 1 : 0) }
    }

    mutating func value(for key: Key) -> Value? {
        guard let position = positions[key] else { return nil }
        slots[position].used = true
        return slots[position].value
    }

    /// Inserts or replaces the entry of `key`. When full, a new key takes the slot of one not used
    /// recently, or, unless `evicting`, is not kept.
    mutating func insert(_ value: Value, for key: Key, evicting: Bool = true) {
        guard capacity > 0 else { return }
        if let position = positions[key] {
            slots[position].value = value
            slots[position].used = true
            return
        }
        if slots.count < capacity {
            positions[key] = slots.count
            slots.append(Slot(key: key, value: value, used: false))
            return
        }
        guard evicting else { return }
        while slots[hand].used {
            slots[hand].used = false
            hand = (hand + 1) % slots.count
        }
        positions[slots[hand].key] = nil
        slots[hand] = Slot(key: key, value: value, used: false)
        positions[key] = hand
        hand = (hand + 1) % slots.count
    }

    /// Replaces the value of `key` if the cache holds it, without marking it used.
    mutating func replace(_ value: Value, for key: Key) {
        guard let position = positions[key] else { return }
        slots[position].value = value
    }

    /// Removes the entry of `key` and returns its value, `nil` when there was none.
    @discardableResult
    mutating func remove(_ key: Key) -> Value? {
        guard let position = positions.removeValue(forKey: key) else { return nil }
        let value = slots[position].value
        let last = slots.count - 1
        if position != last {
            slots[position] = slots[last]
            positions[slots[position].key] = position
        }
        slots.removeLast()
        if hand >= slots.count { hand = 0 }
        return value
    }

    mutating func removeAll() {
        slots = []
        positions = [:]
        hand = 0
    }
}

extension RecentlyUsedCache: Sendable where Key: Sendable, Value: Sendable {}

extension RecentlyUsedCache.Slot: Sendable where Key: Sendable, Value: Sendable {}
