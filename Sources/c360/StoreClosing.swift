import C360Store
import Foundation

extension EventStore {
    /// How long a command that wrote in bulk lets RocksDB finish the compactions it made due.
    static let compactionWaitAfterBulkWrites = 60.0

    /// Closes the store after a command that wrote in bulk (a load, a snapshot, a replay), letting
    /// RocksDB finish the compactions the command made due first: cancelled by the close, a compaction
    /// is begun again by whatever opens the directory next (a server's first seconds; or, for
    /// commands shorter than the compaction, every command after, while level 0 grows). Says on
    /// standard error when that took long or did not finish.
    func closeLettingCompactionsFinish(after work: String) {
        let (settled, seconds) = close(waitingForCompactionsUpTo: Self.compactionWaitAfterBulkWrites)
        if !settled {
            StandardError.write("closed with a RocksDB compaction under way after \(Int(seconds)) s: the next open begins it again")
        } else if seconds >= 0.5 {
            StandardError.write("RocksDB's compactions after the \(work) took \(String(format: "%.1f", seconds)) s")
        }
    }
}
