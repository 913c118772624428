/// A bounded map that keeps what was used recently, approximately, by the CLOCK algorithm: every
/// entry has a slot and a "used" mark set by each hit; a new entry, when the map is full, takes
/// the slot of the first entry the clock's hand finds unmarked, clearing the marks it passes. One
/// hash lookup per hit, O(1) amortised per insertion.
///
/// Bounded by a budget of cost: each entry costs 1 (`init(capacity:)`, a bound on entries) or what
/// `cost` says of its value (`init(budget:cost:)`, for instance its bytes, so that a cache of
/// projections holds as much memory whatever their size). A new entry that does not fit evicts
/// as many entries as it takes.
///
/// (It replaced two generations of dictionaries, which kept between half and all of the capacity
/// and moved an entry on every hit in the older one: 6% of a kept lookup's server CPU in `perf`.)
struct RecentlyUsedCache<Key: Hashable, Value> {
    fileprivate struct Slot {
        var key: Key
        var value: Value
        var cost: Int
        var used: Bool
    }

    private var slots: [Slot] = []
    private var positions: [Key: Int] = [:]
    private var hand = 0
    /// The most cost held in all.
    let budget: Int
    private let costOf: @Sendable (Value) -> Int
    /// The cost of the entries held.
    private(set) var held = 0

    /// - Parameter capacity: most entries held; 0 disables the cache.
    init(capacity: Int) {
        self.init(budget: capacity) { _ in 1 }
    }

    /// - Parameters:
    ///   - budget: most cost held in all; 0 disables the cache.
    ///   - cost: what an entry with this value costs (at least 1).
    init(budget: Int, cost: @escaping @Sendable (Value) -> Int) {
        self.budget = max(budget, 0)
        self.costOf = cost
    }

    var count: Int { slots.count }

    /// The entries whose value passes `isIncluded`.
    func count(where isIncluded: (Value) -> Bool) -> Int {
        slots.reduce(0) { $0 + (isIncluded($1.value) ? 1 : 0) }
    }

    /// Whether `key` has an entry, marking it used as a hit does; without copying its value.
    mutating func contains(_ key: Key) -> Bool {
        guard let position = positions[key] else { return false }
        slots[position].used = true
        return true
    }

    mutating func value(for key: Key) -> Value? {
        guard let position = positions[key] else { return nil }
        slots[position].used = true
        return slots[position].value
    }

    /// Inserts or replaces the entry of `key`. When it does not fit, a new key evicts entries not
    /// used recently, or, unless `evicting`, is not kept. A value costing more than the whole
    /// budget is not kept (and a key held before loses its entry).
    mutating func insert(_ value: Value, for key: Key, evicting: Bool = true) {
        guard budget > 0 else { return }
        let cost = max(costOf(value), 1)
        if let position = positions[key] {
            guard cost <= budget else {
                remove(key)
                return
            }
            held += cost - slots[position].cost
            slots[position].value = value
            slots[position].cost = cost
            slots[position].used = true
            evictUntilHeld(atMost: budget, sparing: key)
            return
        }
        guard cost <= budget else { return }
        if held + cost > budget {
            guard evicting else { return }
            while held + cost > budget, let victim = nextVictim(sparing: nil) {
                held -= slots[victim].cost
                positions[slots[victim].key] = nil
                if held + cost <= budget {
                    // Into the victim's slot, behind the hand: a full turn of the clock before it
                    // is looked at.
                    slots[victim] = Slot(key: key, value: value, cost: cost, used: false)
                    positions[key] = victim
                    held += cost
                    hand = (victim + 1) % slots.count
                    return
                }
                removeSlot(at: victim)
            }
        }
        positions[key] = slots.count
        slots.append(Slot(key: key, value: value, cost: cost, used: false))
        held += cost
    }

    /// Replaces the value of `key` if the cache holds it, without marking it used. If the new
    /// value costs more, entries not used recently make room for it.
    mutating func replace(_ value: Value, for key: Key) {
        guard let position = positions[key] else { return }
        let cost = max(costOf(value), 1)
        guard cost <= budget else {
            remove(key)
            return
        }
        held += cost - slots[position].cost
        slots[position].value = value
        slots[position].cost = cost
        evictUntilHeld(atMost: budget, sparing: key)
    }

    /// Removes the entry of `key` and returns its value, `nil` when there was none.
    @discardableResult
    mutating func remove(_ key: Key) -> Value? {
        guard let position = positions.removeValue(forKey: key) else { return nil }
        let value = slots[position].value
        held -= slots[position].cost
        removeSlot(at: position)
        return value
    }

    mutating func removeAll() {
        slots = []
        positions = [:]
        hand = 0
        held = 0
    }

    /// The slot the hand stops at: the first not used since the hand last passed it (clearing the
    /// marks it passes), never `sparing`'s; `nil` when no other entry is held.
    private mutating func nextVictim(sparing: Key?) -> Int? {
        guard slots.count > (sparing == nil ? 0 : 1) else { return nil }
        while true {
            if hand >= slots.count { hand = 0 }
            if slots[hand].key != sparing {
                if !slots[hand].used { return hand }
                slots[hand].used = false
            }
            hand += 1
        }
    }

    private mutating func evictUntilHeld(atMost limit: Int, sparing key: Key) {
        while held > limit, let victim = nextVictim(sparing: key) {
            held -= slots[victim].cost
            positions[slots[victim].key] = nil
            removeSlot(at: victim)
        }
    }

    /// Removes the slot at `position` (its key already out of `positions`), moving the last slot
    /// into it: the moved entry is passed over by the hand this turn.
    private mutating func removeSlot(at position: Int) {
        let last = slots.count - 1
        if position != last {
            slots[position] = slots[last]
            positions[slots[position].key] = position
        }
        slots.removeLast()
        if position == hand { hand += 1 }
        if hand >= slots.count { hand = 0 }
    }
}

extension RecentlyUsedCache: Sendable where Key: Sendable, Value: Sendable {}

extension RecentlyUsedCache.Slot: Sendable where Key: Sendable, Value: Sendable {}
