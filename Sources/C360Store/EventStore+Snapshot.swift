public import C360Core
public import C360Model
import RocksDB
import SwiftProtobuf

extension EventStore {
    /// Copies every projection, as of the current log position, into a snapshot that a replay can
    /// start from, and drops the previous snapshot. Appends wait while it runs.
    public func takeSnapshot(at time: Instant = .now) async throws(C360Error) -> C360_Store_V1_SnapshotInfo {
        try await exclusively { () throws(C360Error) -> C360_Store_V1_SnapshotInfo in
            try self.projections.writeAll()
            let previous = try self.snapshotInfo()
            var info = C360_Store_V1_SnapshotInfo()
            info.seq = self.writer.state.lastSeq
            info.createdAtUs = time.microsecondsSinceEpoch
            do {
                let batch = WriteBatch(for: self.database)
                try self.forEachStoredProjection { key, value in
                    guard let subject = StoreKeys.uint64(key) else {
                        throw C360Error(.corruption, "a projection key is not a subject number")
                    }
                    batch.put(StoreKeys.snapshotEntry(snapshotSeq: info.seq, subject: subject), value, in: self.families.snapshots)
                    info.projections += 1
                    if batch.count >= 10_000 {
                        try self.database.write(batch, sync: false)
                        batch.clear()
                    }
                }
                if let previous, previous.seq != info.seq {
                    batch.deleteRange(
                        from: StoreKeys.snapshotEntry(snapshotSeq: previous.seq, subject: 0),
                        to: StoreKeys.snapshotEntry(snapshotSeq: previous.seq + 1, subject: 0),
                        in: self.families.snapshots)
                }
                batch.put(StoreKeys.Meta.snapshot, try info.serializedBytes(), in: self.families.meta)
                try self.database.write(batch, sync: true)
                if let previous, previous.seq != info.seq {
                    self.database.compactRange(
                        self.families.snapshots,
                        from: StoreKeys.snapshotEntry(snapshotSeq: previous.seq, subject: 0),
                        to: StoreKeys.snapshotEntry(snapshotSeq: previous.seq + 1, subject: 0))
                }
            } catch {
                throw C360Error(error, doing: "write the snapshot")
            }
            return info
        }
    }

    /// The newest snapshot, if one was taken.
    public func snapshotInfo() throws(C360Error) -> C360_Store_V1_SnapshotInfo? {
        guard let bytes = try read(StoreKeys.Meta.snapshot, in: families.meta) else { return nil }
        do {
            return try C360_Store_V1_SnapshotInfo(serializedBytes: bytes)
        } catch {
            throw C360Error(.corruption, "the snapshot description could not be decoded: \(error)")
        }
    }
}
