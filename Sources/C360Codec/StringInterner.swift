import Synchronization

/// One copy of each catalogue text that many customers' projections repeat — a product's name, its
/// category — shared by every decoded projection and event that holds it, instead of a copy on
/// the heap in each. Decoded projections wait in memory for the write behind, and with the default
/// data set a fifth of what one kept on the heap was its product names: 168 distinct names over
/// 100,000 customers.
///
/// Bounded: once `capacity` texts are held, new ones are returned as ordinary strings and not kept,
/// so a source that sends endless distinct names cannot grow it. Only catalogue fields go through
/// it, never personal data (an erased customer's data must not outlive the erasure in memory).
/// Texts short enough to sit inside a `String` itself (15 UTF-8 bytes) are never kept: they cost no
/// heap. The table is keyed by a seeded hash, so chosen names cannot make its probes long.
final class StringInterner: Sendable {
    static let shared = StringInterner(capacity: 1 << 16)

    /// The longest text kept; longer ones are rarely repeated word for word.
    static let longestKept = 256

    private struct Table {
        /// Open addressing with linear probes; a power of two long, at most half full.
        var slots: [String?] = Array(repeating: nil, count: 1_024)
        var count = 0
    }

    private let capacity: Int
    private let table = Mutex(Table())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The text of `utf8` (valid UTF-8), the kept copy when there is one. `make` builds it from the
    /// bytes when it is not kept yet, outside the lock.
    func string(_ utf8: UnsafeRawBufferPointer, make: (UnsafeRawBufferPointer) throws(ProtobufWireError) -> String) throws(ProtobufWireError) -> String {
        guard utf8.count > 15, utf8.count <= Self.longestKept else { return try make(utf8) }
        let hash = Self.hash(utf8)
        if let kept = table.withLock({ Self.find(utf8, hash: hash, in: $0).found }) { return kept }
        let made = try make(utf8)
        return table.withLock { table in
            let (found, slot) = Self.find(utf8, hash: hash, in: table)
            if let found { return found }
            guard table.count < capacity else { return made }
            table.slots[slot] = made
            table.count += 1
            if table.count * 2 > table.slots.count { Self.grow(&table) }
            return made
        }
    }

    private static func hash(_ utf8: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: utf8)
        return hasher.finalize()
    }

    /// The kept text equal to `utf8`, or the empty slot where it would go.
    private static func find(_ utf8: UnsafeRawBufferPointer, hash: Int, in table: Table) -> (found: String?, slot: Int) {
        let mask = table.slots.count - 1
        var slot = hash & mask
        while let kept = table.slots[slot] {
            if Self.equal(kept, utf8) { return (kept, slot) }
            slot = (slot + 1) & mask
        }
        return (nil, slot)
    }

    private static func equal(_ kept: String, _ utf8: UnsafeRawBufferPointer) -> Bool {
        var kept = kept
        return kept.withUTF8 { $0.count == utf8.count && UnsafeRawBufferPointer($0).elementsEqual(utf8) }
    }

    private static func grow(_ table: inout Table) {
        let old = table.slots
        table.slots = Array(repeating: nil, count: old.count * 2)
        let mask = table.slots.count - 1
        for case var kept? in old {
            var slot = kept.withUTF8 { Self.hash(UnsafeRawBufferPointer($0)) } & mask
            while table.slots[slot] != nil { slot = (slot + 1) & mask }
            table.slots[slot] = kept
        }
    }
}
