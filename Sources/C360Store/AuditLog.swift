public import C360Core
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The audit trail a privacy officer or a security review asks for: every erasure (who asked,
/// when, the tombstone, what was removed, the proof) and every call access control refused.
/// One JSON object per line, appended, never rewritten.
///
/// Entries hold no personal data: a customer appears only as the tombstone's keyed hash, which a
/// privacy officer holding the customer id can check (`c360 erase` prints it) and nobody can
/// reverse. So the file may sit in the data directory, where the erasure proof searches too.
public final class AuditLog: Sendable {
    public struct Entry: Encodable, Sendable {
        /// `erase` or `denied`.
        public var action: String
        /// The token's name, `local` for a command run on the data directory, absent if unknown.
        public var actor: String?
        public var peer: String?
        public var method: String?
        /// For a denied call: `UNAUTHENTICATED` or `PERMISSION_DENIED`.
        public var status: String?
        public var reason: String?
        public var requestID: String?
        public var customerHash: String?
        public var tombstoneSeq: UInt64?
        public var eventsRemoved: UInt64?
        public var filesVerified: UInt64?
        public var filesWithPersonalData: UInt64?

        public init(action: String, actor: String? = nil, peer: String? = nil, method: String? = nil) {
            self.action = action
            self.actor = actor
            self.peer = peer
            self.method = method
        }

        enum CodingKeys: String, CodingKey {
            case action, actor, peer, method, status, reason
            case requestID = "request_id", customerHash = "customer_hash", tombstoneSeq = "tombstone_seq"
            case eventsRemoved = "events_removed", filesVerified = "files_verified"
            case filesWithPersonalData = "files_with_personal_data"
        }
    }

    public let path: String
    private let descriptor: Mutex<Int32>

    /// Opens (creating it, readable by the owner only) the log at `path` for appending.
    public init(path: String) throws(C360Error) {
        self.path = path
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw C360Error(.io, "cannot open the audit log \(path): \(String(cString: strerror(errno)))")
        }
        descriptor = Mutex(fd)
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { _ = Glibc.close(fd) }
        }
    }

    /// Appends `entry` with the time. `durably` waits for the disk (erasures: the record must
    /// outlive a crash that the erasure itself survives); denied calls are written without.
    public func record(_ entry: Entry, at time: Instant = .now, durably: Bool) throws(C360Error) {
        var line = Self.line(entry, at: time)
        line.append(UInt8(ascii: "\n"))
        try descriptor.withLock { fd throws(C360Error) in
            // O_APPEND writes of one line land whole and in order among concurrent writers.
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == line.count else {
                throw C360Error(.io, "cannot write the audit log \(path): \(String(cString: strerror(errno)))")
            }
            if durably, fdatasync(fd) != 0 {
                throw C360Error(.io, "cannot sync the audit log \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    static func line(_ entry: Entry, at time: Instant) -> [UInt8] {
        struct Timed: Encodable {
            let time: String
            let entry: Entry
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: TimeKey.self)
                try container.encode(time, forKey: .time)
                try entry.encode(to: encoder)
            }
            enum TimeKey: String, CodingKey { case time }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and integers cannot fail.
        return Array(try! encoder.encode(Timed(time: time.description, entry: entry)))
    }
}
