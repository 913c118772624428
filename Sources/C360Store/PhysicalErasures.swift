import C360Core
import C360Model
import Foundation
import RocksDB
import Synchronization

/// An erasure the writer has committed (tombstone in, the customer's entries deleted), waiting to
/// be made physical.
struct CommittedErasure: Sendable {
    var receipt: C360_V1_EraseReceipt
    /// The customer's personal data as it would appear in a file: what the search looks for.
    var needles: [[UInt8]] = []
    /// The key ranges whose files held the deleted entries.
    var compactions: [(ColumnFamily, [UInt8], [UInt8])] = []
    /// Whether anything was deleted: false when the customer was erased before.
    var deleted = true
}

/// Makes committed erasures physical and proves them, off the writer: flushing retires every
/// write-ahead log that held the customer's writes, compaction rewrites every SST file that held
/// them, and the search (unless switched off) finds none of the customer's personal data in any
/// file under the data directory.
///
/// Erasures committed while another is being made physical wait, and are then done together: one
/// flush, one compaction per key range, one search of the files for all of them. It owns what that
/// takes: its queue, the erasures waiting, the count of those committed and not yet physical (a
/// backup waits for none), and the lock long reads of the log hold (an open iterator keeps what it
/// can see in RocksDB's files, deleted or not, so an erasure waits for the reads under way before
/// it compacts the customer's data away).
final class PhysicalErasures: Sendable {
    struct Settings: Sendable {
        /// Search the files for the customer's personal data after each erasure.
        var verify: Bool
        /// How long to rest between passes while erasures keep arriving, as a multiple of the last pass.
        var restFactor: Int
        /// RocksDB's target SST file size, for planning compactions.
        var targetFileBytes: UInt64
    }

    private let database: Database
    private let directory: String
    private let settings: Settings
    private let queue = DispatchQueue(label: "c360.erasures")
    private let waiting = Mutex(Waiting())
    private let inProgress = Atomic<Int>(0)
    private let reads = Mutex(())

    private struct Waiting: Sendable {
        struct Erasure: Sendable {
            let erasure: CommittedErasure
            let continuation: CheckedContinuation<Swift.Result<C360_V1_EraseReceipt, C360Error>, Never>
        }

        var erasures: [Erasure] = []
        /// Whether a drain of `erasures` is scheduled or running.
        var draining = false
    }

    init(database: Database, directory: String, settings: Settings) {
        self.database = database
        self.directory = directory
        self.settings = settings
    }

    /// On the writer, once an erasure's commit is written: it is in progress until made physical.
    func committed() {
        inProgress.add(1, ordering: .releasing)
    }

    /// Waits until no erasure committed so far is waiting to be made physical.
    func waitForNoneInProgress() {
        while inProgress.load(ordering: .acquiring) > 0 {
            queue.sync {}
            usleep(1_000)
        }
    }

    /// Waits for the pass under way, if any (closing the store).
    func waitForPassUnderWay() {
        queue.sync {}
    }

    /// Runs `body`, a read of the log through an iterator, while no erasure is made physical.
    func reading<Value, Failure: Error>(_ body: () throws(Failure) -> Value) throws(Failure) -> Value {
        try reads.withLock { _ throws(Failure) in try body() }
    }

    /// Makes `committed` physical, with whatever other erasures are waiting; its receipt with the
    /// search's figures.
    func remove(_ committed: CommittedErasure) async throws(C360Error) -> C360_V1_EraseReceipt {
        guard committed.deleted else { return committed.receipt }
        let result: Swift.Result<C360_V1_EraseReceipt, C360Error> = await withCheckedContinuation { continuation in
            let startDraining = waiting.withLock { waiting in
                waiting.erasures.append(Waiting.Erasure(erasure: committed, continuation: continuation))
                defer { waiting.draining = true }
                return !waiting.draining
            }
            if startDraining {
                queue.async { self.drain() }
            }
        }
        return try result.get()
    }

    /// On `queue`: makes physical whatever is waiting, until nothing is.
    private func drain() {
        while true {
            let taken = waiting.withLock { waiting in
                defer { waiting.erasures = [] }
                if waiting.erasures.isEmpty { waiting.draining = false }
                return waiting.erasures
            }
            guard !taken.isEmpty else { return }
            let started = ContinuousClock.now
            let receipts = removePhysically(taken.map(\.erasure))
            inProgress.subtract(taken.count, ordering: .releasing)
            for (waiter, receipt) in zip(taken, receipts) {
                waiter.continuation.resume(returning: receipt)
            }
            // Making erasures physical costs a pass over the data directory, whatever their
            // number. When more are waiting, resting `restFactor` times as long as the last pass
            // took keeps a flood of erasures to a share of one core (a quarter by default), so
            // lookups and appends are served, and lets the next batch grow.
            let rest = (ContinuousClock.now - started) * settings.restFactor
            if rest > .zero, waiting.withLock({ !$0.erasures.isEmpty }) {
                Thread.sleep(forTimeInterval: Double(rest.components.seconds) + Double(rest.components.attoseconds) / 1e18)
            }
        }
    }

    private func removePhysically(_ batch: [CommittedErasure]) -> [Swift.Result<C360_V1_EraseReceipt, C360Error>] {
        // Iterators opened before the erasure's commit would keep the data in the files.
        reads.withLock { _ in }
        do throws(RocksDBError) {
            try database.flushAll()
            for (family, begin, end) in compactionPlan(batch.flatMap(\.compactions)) {
                database.compactRange(family, from: begin, to: end)
            }
        } catch {
            let failure = C360Error(storage: error, doing: "flush the erased customer's data to disk")
            return batch.map { erasure in
                .failure(C360Error(failure.code, "the customer was erased (tombstone seq \(erasure.receipt.tombstone.seq)), but \(failure.message); erase again to retry"))
            }
        }
        guard settings.verify else { return batch.map { .success($0.receipt) } }
        let scans: [PersonalDataScanner.Result]
        do {
            scans = try PersonalDataScanner().scan(directory: directory, forEach: batch.map(\.needles))
        } catch {
            return batch.map { _ in .failure(C360Error(.io, "the customer was erased, but the data directory could not be searched to prove it: \(error)")) }
        }
        return zip(batch, scans).map { erasure, scan in
            var receipt = erasure.receipt
            receipt.filesVerified = UInt64(scan.filesSearched)
            receipt.filesWithPersonalData = UInt64(scan.filesWithMatches.count)
            return .success(receipt)
        }
    }

    /// The compactions that rewrite every file holding one of `ranges`. A manual compaction rewrites
    /// every file its range overlaps, at least one file (`targetFileBytes`) per range: once a column
    /// family is no bigger than that many files, one compaction from the lowest key to the highest
    /// costs no more than one per range, and rewrites each file once. Otherwise each range is
    /// compacted on its own, rewriting only the files that hold it.
    private func compactionPlan(_ ranges: [(ColumnFamily, [UInt8], [UInt8])]) -> [(ColumnFamily, [UInt8], [UInt8])] {
        var byFamily: [ColumnFamily: [([UInt8], [UInt8])]] = [:]
        var families: [ColumnFamily] = []
        for (family, begin, end) in ranges {
            if byFamily[family] == nil { families.append(family) }
            byFamily[family, default: []].append((begin, end))
        }
        var plan: [(ColumnFamily, [UInt8], [UInt8])] = []
        for family in families {
            let familyRanges = byFamily[family] ?? []
            let bytes = database.property("rocksdb.total-sst-files-size", in: family).flatMap { UInt64($0) } ?? .max
            if familyRanges.count > 1, bytes <= UInt64(familyRanges.count) * settings.targetFileBytes {
                let begin = familyRanges.map(\.0).min { $0.lexicographicallyPrecedes($1) }!
                let end = familyRanges.map(\.1).max { $0.lexicographicallyPrecedes($1) }!
                plan.append((family, begin, end))
            } else {
                var seen: Set<[UInt8]> = []
                for (begin, end) in familyRanges where seen.insert(begin + [0xFF] + end).inserted {
                    plan.append((family, begin, end))
                }
            }
        }
        return plan
    }
}
