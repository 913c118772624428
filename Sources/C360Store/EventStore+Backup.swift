public import C360Core
import C360Model
import Foundation
import RocksDB
#if canImport(Glibc)
import Glibc
import SwiftProtobuf
import Synchronization
#endif

extension EventStore {
    /// Writes a consistent copy of the store (a RocksDB checkpoint: hard links on the same
    /// filesystem, copies across) into a new directory of the backup set `setDirectory`, while the
    /// store stays open. Registers the set, so every later erasure is recorded in its ledger, and
    /// adds to the ledger any tombstone it lacks.
    ///
    /// Appends wait while the checkpoint is taken, and so do erasures: erasures already committed
    /// are made physical first, so no copy holds what they removed.
    public func backup(into setDirectory: String, at time: Instant = .now, actor: String = "local") async throws(C360Error) -> BackupManifest {
        let set = BackupSet(directory: setDirectory)
        if set.directory == URL(fileURLWithPath: directory).standardizedFileURL.path
            || set.directory.hasPrefix(URL(fileURLWithPath: directory).standardizedFileURL.path + "/") {
            throw C360Error(.invalidArgument, "a backup set cannot be inside the data directory it backs up", field: "destination")
        }
        try set.prepare()
        let manifest = try await exclusively { () throws(C360Error) -> BackupManifest in
            try self.registerBackupSet(set)
            self.waitForPhysicalErasures()
            let name = "backup-" + Self.compact(time) + "-seq\(self.writer.state.lastSeq)"
            let path = set.directory + "/" + name
            guard !FileManager.default.fileExists(atPath: path) else {
                throw C360Error(.failedPrecondition, "\(path) already exists")
            }
            do throws(RocksDBError) {
                try self.database.createCheckpoint(at: path)
            } catch {
                throw C360Error(storage: error, doing: "write the backup \(path)")
            }
            return BackupManifest(name: name, seq: self.writer.state.lastSeq, events: self.writer.state.eventCount, createdAt: time.description)
        }
        let path = set.directory + "/" + manifest.name
        try Self.writeSynced(try Self.encoded(manifest), to: path + "/" + BackupSet.manifestName)
        let recorded = Set(try set.recordedErasures().map(\.customerHash))
        let tombstones = try allTombstones()
        try set.record(tombstones.filter { !recorded.contains($0.customerHash) })
        var entry = AuditLog.Entry(action: "backup", actor: actor)
        entry.reason = path
        entry.tombstoneSeq = manifest.seq
        try audit.record(entry, durably: true)
        return manifest
    }

    /// What a restore did.
    public struct RestoreReport: Sendable {
        public var manifest: BackupManifest
        /// Erasures from the set's ledger applied to the restored copy.
        public var erasuresApplied = 0
        /// Ledger erasures the copy already held.
        public var erasuresAlreadyInBackup = 0
    }

    /// Restores the backup at `backup` into `directory`, which must not exist or be empty, then
    /// applies every erasure in the backup set's ledger, so that no customer erased after the
    /// backup was taken comes back. Refuses a backup whose set has no ledger.
    /// - Parameter onProgress: called as files are copied and as erasures are applied, with the
    ///   share of that step done and what it is doing.
    public static func restore(
        backup: String, into directory: String, configuration: StoreConfiguration = .init(),
        onProgress: (_ fraction: Double, _ doing: String) -> Void = { _, _ in }
    ) async throws(C360Error) -> RestoreReport {
        let backupPath = URL(fileURLWithPath: backup).standardizedFileURL.path
        guard let manifestData = FileManager.default.contents(atPath: backupPath + "/" + BackupSet.manifestName) else {
            throw C360Error(.notFound, "\(backupPath) is not a c360 backup: it has no \(BackupSet.manifestName)", field: "backup")
        }
        let manifest: BackupManifest
        do {
            manifest = try JSONDecoder().decode(BackupManifest.self, from: manifestData)
        } catch {
            throw C360Error(.corruption, "\(backupPath)/\(BackupSet.manifestName) cannot be read: \(error)")
        }
        let erasures = try BackupSet(containing: backupPath).recordedErasures()
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw C360Error(.failedPrecondition, "\(directory) is not empty: restore into a new directory", field: "data")
        }
        try copyFiles(from: backupPath, to: directory, except: [BackupSet.manifestName]) { copied, total in
            onProgress(Double(copied) / Double(max(total, 1)), "\(copied >> 20) of \(total >> 20) MiB copied")
        }

        var report = RestoreReport(manifest: manifest)
        let store = try EventStore(directory: directory, configuration: configuration)
        defer { store.close() }
        for (index, tombstone) in erasures.enumerated() {
            onProgress(Double(index) / Double(erasures.count), "\(index) of \(erasures.count) recorded erasures checked")
            guard let hash = [UInt8](hex: tombstone.customerHash) else {
                throw C360Error(.corruption, "the erasure ledger holds a tombstone whose hash is not hex")
            }
            if try store.tombstone(hash: hash) != nil {
                report.erasuresAlreadyInBackup += 1
                continue
            }
            _ = try await store.erase(
                hash: hash, customerID: nil, requestID: tombstone.requestID, at: Instant(tombstone.erasedAt),
                actor: "restore", peer: nil, recordingInBackupSets: false)
            report.erasuresApplied += 1
        }
        var entry = AuditLog.Entry(action: "restore", actor: "local")
        entry.reason = backupPath
        entry.tombstoneSeq = manifest.seq
        try store.audit.record(entry, durably: true)
        return report
    }

    // MARK: - The ledgers

    /// Appends `tombstone` to the ledger of every backup set this store wrote a backup into.
    func recordInBackupSets(_ tombstone: C360_V1_Tombstone) throws(C360Error) {
        for set in try registeredBackupSets() {
            do throws(C360Error) {
                try set.record([tombstone])
            } catch {
                throw C360Error(
                    .io, "the customer was erased (tombstone seq \(tombstone.seq)), but the backup set \(set.directory) could not record it, so a restore from it could bring the customer back: \(error.message); erase again to record it")
            }
        }
    }

    /// The backup sets this store wrote a backup into.
    func registeredBackupSets() throws(C360Error) -> [BackupSet] {
        guard let bytes = try read(StoreKeys.Meta.backupSets, in: families.meta) else { return [] }
        let paths = (try? JSONDecoder().decode([String].self, from: Data(bytes))) ?? []
        return paths.map(BackupSet.init(directory:))
    }

    private func registerBackupSet(_ set: BackupSet) throws(C360Error) {
        var paths = try registeredBackupSets().map(\.directory)
        guard !paths.contains(set.directory) else { return }
        paths.append(set.directory)
        let batch = WriteBatch(for: database)
        batch.put(StoreKeys.Meta.backupSets, try Self.encoded(paths), in: families.meta)
        do {
            try database.write(batch, sync: true)
        } catch {
            throw C360Error(storage: error, doing: "register the backup set")
        }
    }

    /// Every tombstone in the store, in log order.
    func allTombstones() throws(C360Error) -> [C360_V1_Tombstone] {
        var tombstones: [C360_V1_Tombstone] = []
        do {
            let range = StoreKeys.tombstonesByHash
            try database.forEachEntry(in: families.tombstones, from: range.from, to: range.to) { _, value in
                do {
                    tombstones.append(try C360_V1_Tombstone(serializedBytes: value))
                } catch {
                    throw C360Error(.corruption, "a tombstone could not be decoded: \(error)")
                }
            }
        } catch {
            throw C360Error(error, doing: "read the tombstones")
        }
        return tombstones.sorted { $0.seq < $1.seq }
    }

    // MARK: - Files

    /// On the writer: waits until every erasure the writer committed has been made physical.
    private func waitForPhysicalErasures() {
        physicalErasures.waitForNoneInProgress()
    }

    private static func compact(_ time: Instant) -> String {
        String(time.description.prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
    }

    private static func encoded(_ value: some Encodable) throws(C360Error) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw C360Error(.internalError, "cannot encode \(type(of: value)): \(error)")
        }
    }

    private static func writeSynced(_ bytes: [UInt8], to path: String) throws(C360Error) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw C360Error(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { _ = Glibc.close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw C360Error(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Copies the regular files of `source` into `destination` (created, owner only), syncing each
    /// and the directory, so a restore that returned survives a crash.
    private static func copyFiles(
        from source: String, to destination: String, except skipped: Set<String>, onCopied: (_ bytes: UInt64, _ of: UInt64) -> Void
    ) throws(C360Error) {
        do {
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var files: [(name: String, bytes: UInt64)] = []
            for name in try FileManager.default.contentsOfDirectory(atPath: source).sorted() where !skipped.contains(name) {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: source + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                let bytes = (try FileManager.default.attributesOfItem(atPath: source + "/" + name)[.size] as? UInt64) ?? 0
                files.append((name, bytes))
            }
            let total = files.reduce(0) { $0 + $1.bytes }
            var copied: UInt64 = 0
            for (name, bytes) in files {
                let from = source + "/" + name
                try FileManager.default.copyItem(atPath: from, toPath: destination + "/" + name)
                copied += bytes
                onCopied(copied, total)
                let fd = open(destination + "/" + name, O_RDONLY | O_CLOEXEC)
                if fd >= 0 {
                    _ = fsync(fd)
                    _ = Glibc.close(fd)
                }
            }
        } catch {
            throw C360Error(.io, "cannot copy the backup \(source) into \(destination): \(error.localizedDescription)")
        }
        let fd = open(destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            _ = Glibc.close(fd)
        }
    }
}
