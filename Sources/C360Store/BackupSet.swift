public import C360Core
public import C360Model
import Foundation
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
#endif

/// What `c360 backup` wrote: one consistent copy of a data directory, in a backup set.
public struct BackupManifest: Codable, Sendable, Equatable {
    public var format = 1
    /// The backup's directory name inside its set.
    public var name: String
    /// The log position the copy holds everything up to.
    public var seq: UInt64
    public var events: UInt64
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case format, name, seq, events
        case createdAt = "created_at"
    }
}

/// A directory of backups of a data directory, and the ledger of its erasures.
///
/// An erasure after a backup must hold for that backup too. Every erasure appends its tombstone
/// (a keyed hash of the customer id, the request id, the time: no personal data) to the ledger of
/// every set the data directory has written a backup into, synced; each backup also adds any
/// tombstone the ledger lacks. A restore applies every tombstone in its set's ledger before the
/// restored directory is used, so an erased customer never comes back from an older copy.
public struct BackupSet: Sendable {
    public let directory: String

    public static let ledgerName = "erasures.jsonl"
    public static let manifestName = "c360-backup.json"

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
    }

    /// The set a backup belongs to: the directory that holds it.
    public init(containing backup: String) {
        self.init(directory: URL(fileURLWithPath: backup).standardizedFileURL.deletingLastPathComponent().path)
    }

    public var ledgerPath: String { directory + "/" + Self.ledgerName }

    /// Creates the set's directory (owner only) and an empty ledger, if missing.
    func prepare() throws(C360Error) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw C360Error(.io, "cannot create the backup set \(directory): \(error.localizedDescription)")
        }
        let fd = open(ledgerPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw C360Error(.io, "cannot create the erasure ledger \(ledgerPath): \(String(cString: strerror(errno)))") }
        _ = fsync(fd)
        _ = Glibc.close(fd)
    }

    /// The tombstones the ledger holds, in the order recorded.
    /// - Throws: `.failedPrecondition` when the set has no ledger: restoring without it could bring
    ///   erased customers back.
    public func recordedErasures() throws(C360Error) -> [C360_V1_Tombstone] {
        guard let data = FileManager.default.contents(atPath: ledgerPath) else {
            throw C360Error(.failedPrecondition, "the backup set \(directory) has no erasure ledger (\(Self.ledgerName)); without it a restore could bring erased customers back")
        }
        var tombstones: [C360_V1_Tombstone] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            do {
                tombstones.append(try C360_V1_Tombstone(jsonUTF8Bytes: line))
            } catch {
                throw C360Error(.corruption, "line \(number + 1) of the erasure ledger \(ledgerPath) is not a tombstone: \(error)")
            }
        }
        return tombstones
    }

    /// Appends `tombstones` to the ledger, one JSON object per line, and syncs it.
    func record(_ tombstones: [C360_V1_Tombstone]) throws(C360Error) {
        guard !tombstones.isEmpty else { return }
        var bytes: [UInt8] = []
        for tombstone in tombstones {
            do {
                bytes += try tombstone.jsonUTF8Bytes() as [UInt8]
            } catch {
                throw C360Error(.internalError, "cannot encode a tombstone: \(error)")
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        let fd = open(ledgerPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            throw C360Error(.io, "cannot open the erasure ledger \(ledgerPath): \(String(cString: strerror(errno)))")
        }
        defer { _ = Glibc.close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fdatasync(fd) == 0 else {
            throw C360Error(.io, "cannot write the erasure ledger \(ledgerPath): \(String(cString: strerror(errno)))")
        }
    }
}
