public import C360Service
public import Foundation
import NIOConcurrencyHelpers

/// One signed-in browser: who it is, and the token its forms must carry back (CSRF protection).
public struct ConsoleSession: Sendable {
    /// The cookie's value: 256 random bits.
    public let id: String
    /// Sent with every state-changing form, and compared with the one the session holds.
    public let csrfToken: String
    public let caller: Caller
    var lastUsed: Date
}

/// The console's signed-in sessions, in memory (a restart signs everyone out). Bounded: a session
/// ends after `idleTimeout` without a request, and beyond `capacity` the least recently used ends,
/// so no client can grow the server's memory by signing in again and again.
public final class ConsoleSessions: Sendable {
    public let capacity: Int
    public let idleTimeout: TimeInterval
    private let sessions = NIOLockedValueBox<[String: ConsoleSession]>([:])

    public init(capacity: Int = 10_000, idleTimeout: TimeInterval = 8 * 3600) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.idleTimeout = idleTimeout
    }

    /// A new session for `caller`.
    public func start(for caller: Caller, now: Date = Date()) -> ConsoleSession {
        let session = ConsoleSession(id: Self.randomToken(), csrfToken: Self.randomToken(), caller: caller, lastUsed: now)
        sessions.withLockedValue { sessions in
            sessions = sessions.filter { now.timeIntervalSince($0.value.lastUsed) < idleTimeout }
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                sessions[oldest.key] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The session `id` names, if it has not ended; using it keeps it alive.
    public func session(_ id: String, now: Date = Date()) -> ConsoleSession? {
        sessions.withLockedValue { sessions in
            guard var session = sessions[id] else { return nil }
            guard now.timeIntervalSince(session.lastUsed) < idleTimeout else {
                sessions[id] = nil
                return nil
            }
            session.lastUsed = now
            sessions[id] = session
            return session
        }
    }

    public func end(_ id: String) {
        _ = sessions.withLockedValue { $0.removeValue(forKey: id) }
    }

    public var count: Int { sessions.withLockedValue(\.count) }

    /// 256 bits from the system's secure generator, base64url without padding (cookie-safe).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compares two secrets in time that depends only on their lengths.
    static func sameSecret(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
