import Foundation
import RocksDB
import Synchronization

/// A `WrittenKeyFilter` of the keys ever written to one column family: the keys stored when the
/// store opens are read into it in the background, and every writer of the family inserts a key
/// before the batch that writes it is committed. Until the keys stored are all in, it answers
/// "maybe" for every key.
final class FamilyKeyFilter: Sendable {
    private let database: Database
    private let family: ColumnFamily
    private let filter: WrittenKeyFilter
    private let filling: DispatchQueue
    private let fillingStopped = Atomic<Bool>(false)

    /// Keys the filter is made for beyond those stored when the store opens: 8 MiB of filter.
    static let roomForNewKeys = 4_000_000
    /// Most keys a filter is made for: 16 MiB. A family holding more still has every key found,
    /// with more keys never written answered "maybe" (a RocksDB read each): with 10,000,000
    /// stored, about 1% of them.
    static let mostKeys = 8_000_000

    init(database: Database, family: ColumnFamily, name: String) {
        self.database = database
        self.family = family
        let stored = database.property("rocksdb.estimate-num-keys", in: family).flatMap { Int($0) } ?? 0
        filter = WrittenKeyFilter(capacity: min(stored + Self.roomForNewKeys, Self.mostKeys))
        filling = DispatchQueue(label: "c360.\(name)-filter", qos: .utility)
    }

    /// `false` only for a key never written to the family (once filled).
    func mayContain(_ key: [UInt8]) -> Bool {
        filter.mayContain(key)
    }

    /// Records that `key` is written: before the batch writing it is committed, so that a reader
    /// that finds it in RocksDB finds it here too.
    func insert(_ key: [UInt8]) {
        filter.insert(key)
    }

    /// Reads the keys stored into the filter, in the background.
    func startFilling() {
        filling.async { [self] in
            do {
                // Its own view of the family as of now: a key written after this is inserted by
                // its writer, one deleted since only costs a read.
                let iterator = database.makeIterator(family, fillCache: false)
                iterator.seekToFirst()
                var read = 0
                while iterator.isValid {
                    read += 1
                    if read % 4_096 == 0, fillingStopped.load(ordering: .relaxed) { return }
                    filter.insert(iterator.key)
                    iterator.next()
                }
                try iterator.checkStatus()
                filter.markFilled()
            } catch {
                // Left unfilled: every read goes to RocksDB, as without a filter.
            }
        }
    }

    /// Stops the filling under way: before the database closes.
    func stopFilling() {
        fillingStopped.store(true, ordering: .relaxed)
        filling.sync {}
    }

    /// Waits for the filling started by `startFilling` to end.
    func waitForFilling() {
        filling.sync {}
    }

    /// Whether it answers yet (the keys stored when the store opened are in it).
    var isFilled: Bool { filter.isFilled }
}
