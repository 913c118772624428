/// A map from HTTP/2 stream ids to values: what a connection keeps per open stream.
///
/// `Dictionary<Int32, _>` hashes every id with SipHash, and a connection looks its streams up
/// several times per call (2% of the bare transport's CPU in `perf`, the lookups 1.3% more). A
/// client numbers its streams 1, 3, 5, …, so the id halved is already a perfect spread: this
/// table places ids by it in a power-of-two array, at most half full, with Robin Hood linear
/// probing — an entry never sits farther from its home slot than the one it passed, so a lookup
/// stops at the first entry closer to home than itself, and a removal shifts back only the
/// entries displaced behind it (with ids in order, none: a first version that shifted a whole
/// run of in-order streams on every removal cost as much as the hashing it replaced).
/// Stream 0 is the connection itself, never a stream, and marks an empty slot.
///
/// A value type with copy-on-write storage, like `Dictionary`: iterating a copy while changing
/// the original is safe. Inlinable, so that it is specialised for its values where it is used.
public struct StreamTable<Value> {
    @usableFromInline var ids: [Int32]
    @usableFromInline var values: [Value?]
    @usableFromInline var storedCount = 0

    @inlinable
    public var count: Int { storedCount }

    public init() {
        ids = Array(repeating: 0, count: 16)
        values = Array(repeating: nil, count: 16)
    }

    @inlinable
    public var isEmpty: Bool { storedCount == 0 }

    @inlinable
    var mask: Int { ids.count - 1 }

    @inlinable @inline(__always)
    func home(_ streamID: Int32) -> Int {
        Int(UInt32(bitPattern: streamID) >> 1) & mask
    }

    /// How far the entry in `index` sits from its home slot.
    @inlinable @inline(__always)
    func displacement(at index: Int) -> Int {
        (index - home(ids[index])) & mask
    }

    /// The slot holding `streamID`, or `nil`.
    @inlinable @inline(__always)
    func slot(of streamID: Int32) -> Int? {
        var index = home(streamID)
        var distance = 0
        while true {
            let id = ids[index]
            if id == streamID { return index }
            if id == 0 || displacement(at: index) < distance { return nil }
            index = (index + 1) & mask
            distance += 1
        }
    }

    /// The value of stream `streamID`; setting `nil` removes it.
    /// - Precondition: a value is set only for a stream, `streamID > 0`.
    @inlinable
    public subscript(streamID: Int32) -> Value? {
        get {
            guard streamID > 0, let index = slot(of: streamID) else { return nil }
            return values[index]
        }
        set {
            if let newValue {
                precondition(streamID > 0, "stream \(streamID) is not a stream")
                insert(newValue, for: streamID)
            } else {
                removeValue(forKey: streamID)
            }
        }
    }

    @inlinable
    mutating func insert(_ value: Value, for streamID: Int32) {
        if let index = slot(of: streamID) {
            values[index] = value
            return
        }
        if (storedCount + 1) * 2 > ids.count { grow() }
        var carriedID = streamID
        var carriedValue: Value? = value
        var index = home(streamID)
        var distance = 0
        while ids[index] != 0 {
            let resident = displacement(at: index)
            if resident < distance {
                swap(&carriedID, &ids[index])
                swap(&carriedValue, &values[index])
                distance = resident
            }
            index = (index + 1) & mask
            distance += 1
        }
        ids[index] = carriedID
        values[index] = carriedValue
        storedCount += 1
    }

    /// Removes stream `streamID`'s value and returns it.
    @inlinable @discardableResult
    public mutating func removeValue(forKey streamID: Int32) -> Value? {
        guard streamID > 0, var hole = slot(of: streamID) else { return nil }
        let removed = values[hole]
        var next = (hole + 1) & mask
        while ids[next] != 0, displacement(at: next) > 0 {
            ids[hole] = ids[next]
            values[hole] = values[next]
            hole = next
            next = (next + 1) & mask
        }
        ids[hole] = 0
        values[hole] = nil
        storedCount -= 1
        return removed
    }

    @inlinable
    public mutating func removeAll() {
        self = StreamTable()
    }

    @usableFromInline
    mutating func grow() {
        let old = self
        ids = Array(repeating: 0, count: old.ids.count * 2)
        values = Array(repeating: nil, count: old.ids.count * 2)
        storedCount = 0
        for (streamID, value) in old { insert(value, for: streamID) }
    }
}

extension StreamTable: Sequence {
    public struct Iterator: IteratorProtocol {
        @usableFromInline let table: StreamTable
        @usableFromInline var index = 0

        @usableFromInline init(table: StreamTable) { self.table = table }

        @inlinable
        public mutating func next() -> (streamID: Int32, value: Value)? {
            while index < table.ids.count {
                defer { index += 1 }
                if table.ids[index] != 0, let value = table.values[index] {
                    return (table.ids[index], value)
                }
            }
            return nil
        }
    }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(table: self) }

    public var underestimatedCount: Int { count }
}

extension StreamTable: Sendable where Value: Sendable {}
