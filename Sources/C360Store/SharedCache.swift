import Synchronization

/// A bounded cache that the writer and any number of readers share: the writer stores what it
/// committed; a reader adds what it read from RocksDB, unless the writer changed that entry's shard
/// since the reader began — so a reader can never put back a value older than one the writer
/// stored or removed meanwhile.
///
/// Sharded, each shard behind its own lock, so readers on different threads rarely wait.
final class SharedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Shard: Sendable {
        var entries: RecentlyUsedCache<Key, Value>
        /// Bumped by every change the writer makes to the shard.
        var epoch: UInt64 = 0
    }

    /// What a reader notes before reading from RocksDB, to add what it read afterwards.
    struct ReadTicket: Equatable {
        fileprivate let shard: Int
        fileprivate let epoch: UInt64
    }

    private final class LockedShard: Sendable {
        let lock: Mutex<Shard>
        init(_ shard: sending Shard) { lock = Mutex(shard) }
    }

    private let shards: [LockedShard]
    /// Most cost held in all (entries, unless made with a cost), each shard holding a share.
    let budget: Int

    /// - Parameter capacity: most entries held in all; 0 disables the cache.
    convenience init(capacity: Int, shards count: Int = 16) {
        self.init(budget: capacity, shards: count) { _ in 1 }
    }

    /// - Parameters:
    ///   - budget: most cost held in all; 0 disables the cache.
    ///   - cost: what an entry with this value costs (`RecentlyUsedCache.init(budget:cost:)`).
    init(budget: Int, shards count: Int = 16, cost: @escaping @Sendable (Value) -> Int) {
        self.budget = budget
        shards = (0..<count).map { _ in LockedShard(Shard(entries: RecentlyUsedCache(budget: budget / count, cost: cost))) }
    }

    /// The cost of the entries held, over every shard.
    var held: Int {
        shards.reduce(0) { total, shard in total + shard.lock.withLock { $0.entries.held } }
    }

    private func shardIndex(_ key: Key) -> Int {
        Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))
    }

    func value(for key: Key) -> Value? {
        shards[shardIndex(key)].lock.withLock { $0.entries.value(for: key) }
    }

    /// Whether the cache holds `key`: `value(for:) != nil` without copying the value out, which for
    /// a value holding an array or an object retains and releases it (`perf` of bulk ingest:
    /// reading ahead, which asks only that, 1.40% of the server's samples with `value(for:)`, 1.09%
    /// with this; what is left is the lookup itself).
    func contains(_ key: Key) -> Bool {
        shards[shardIndex(key)].lock.withLock { $0.entries.contains(key) }
    }

    /// The writer's value for `key`, replacing any other. Unless `evicting`, a key not held is
    /// kept only while the cache has room (a shard's readers' fills stay refused either way).
    func store(_ value: Value, for key: Key, evicting: Bool = true) {
        shards[shardIndex(key)].lock.withLock {
            $0.epoch &+= 1
            $0.entries.insert(value, for: key, evicting: evicting)
        }
    }

    /// The writer's value for `key` if the cache holds it, in its place: membership unchanged.
    func replace(_ value: Value, for key: Key) {
        shards[shardIndex(key)].lock.withLock {
            $0.epoch &+= 1
            $0.entries.replace(value, for: key)
        }
    }

    /// The entries whose value passes `isIncluded`, over every shard.
    func count(where isIncluded: (Value) -> Bool) -> Int {
        shards.reduce(0) { total, shard in total + shard.lock.withLock { $0.entries.count(where: isIncluded) } }
    }

    func remove(_ key: Key) {
        take(key)
    }

    /// The writer's removal of `key`, returning the value the cache held.
    @discardableResult
    func take(_ key: Key) -> Value? {
        shards[shardIndex(key)].lock.withLock {
            $0.epoch &+= 1
            return $0.entries.remove(key)
        }
    }

    /// The writer's removal of every key `keys` yields: as removing each, but a shard that holds
    /// nothing has its epoch bumped once instead of a lookup per key (a commit forgets the profiles
    /// of every customer it changed, in bulk ingest with no profile held: two locked lookups per
    /// customer, `perf`). Bumped before it is found empty, so a reader that began before cannot add
    /// a value read before this either.
    func remove<Keys: Sequence<Key>>(_ keys: Keys) {
        let holding = shards.map { shard in
            shard.lock.withLock {
                $0.epoch &+= 1
                return $0.entries.count > 0
            }
        }
        guard holding.contains(true) else { return }
        for key in keys where holding[shardIndex(key)] {
            remove(key)
        }
    }

    func removeAll() {
        for shard in shards {
            shard.lock.withLock {
                $0.epoch &+= 1
                $0.entries.removeAll()
            }
        }
    }

    /// Taken by a reader before it reads `key` from RocksDB.
    func ticket(for key: Key) -> ReadTicket {
        let shard = shardIndex(key)
        return ReadTicket(shard: shard, epoch: shards[shard].lock.withLock { $0.epoch })
    }

    /// Tickets for every shard at once: for a reader that reads many keys in one pass (a scan),
    /// taken before it begins.
    func ticketsForEveryShard() -> [ReadTicket] {
        shards.indices.map { index in ReadTicket(shard: index, epoch: shards[index].lock.withLock { $0.epoch }) }
    }

    /// `add(_:for:readWith:evicting:)` with the ticket of `key`'s shard among `tickets` (`ticketsForEveryShard`).
    func add(_ value: Value, for key: Key, readWithOneOf tickets: [ReadTicket], evicting: Bool = true) {
        add(value, for: key, readWith: tickets[shardIndex(key)], evicting: evicting)
    }

    /// A reader's value for `key`, kept only if the writer has not touched the shard since `ticket`
    /// (and, unless `evicting`, only while the cache has room for it).
    func add(_ value: Value, for key: Key, readWith ticket: ReadTicket, evicting: Bool = true) {
        shards[ticket.shard].lock.withLock {
            if $0.epoch == ticket.epoch { $0.entries.insert(value, for: key, evicting: evicting) }
        }
    }
}
