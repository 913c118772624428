public import C360Core
public import C360Store
import Crypto
import Foundation

/// What a bearer token lets its holder do.
public enum AccessScope: String, CaseIterable, Sendable, Comparable {
    /// Lookups, timelines, watches and segments, with the personal fields redacted.
    case read
    /// The same, with the personal fields (implies `read`).
    case readPersonalData = "read:pii"
    /// `AppendEvents` and `AppendEventStream`.
    case write
    /// `EraseCustomer`.
    case erase
    /// `CreateBackup`.
    case backup

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One caller's token as the configuration holds it: a name for the audit log, the SHA-256 of the
/// secret (the secret itself is never stored), and its scopes.
public struct AccessToken: Sendable, Equatable {
    public var name: String
    public var sha256: [UInt8]
    public var scopes: Set<AccessScope>

    public init(name: String, sha256: [UInt8], scopes: Set<AccessScope>) {
        self.name = name
        self.sha256 = sha256
        self.scopes = scopes
    }

    /// A new random secret (256 bits) and its configuration entry.
    public static func generate(name: String, scopes: Set<AccessScope>) -> (secret: String, token: AccessToken) {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let secret = "c360_" + bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (secret, AccessToken(name: name, sha256: digest(of: secret), scopes: scopes))
    }

    public static func digest(of secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(secret.utf8)))
    }
}

/// Who is calling, once their token checked out.
public struct Caller: Sendable {
    public var name: String
    public var scopes: Set<AccessScope>

    /// The caller a server without tokens treats every call as: it may do everything.
    public static let unrestricted = Caller(name: "anonymous", scopes: Set(AccessScope.allCases))

    public var seesPersonalData: Bool { scopes.contains(.readPersonalData) }

    public func may(_ scope: AccessScope) -> Bool {
        scopes.contains(scope) || (scope == .read && scopes.contains(.readPersonalData))
    }

    /// The caller of the call being served, set by the access check for the handler's task.
    @TaskLocal public static var current: Caller?
}

/// Bearer-token access control. Without tokens it is off and every call is allowed in full (the
/// server then listens on a loopback address only, unless told otherwise). With tokens, each
/// call must carry `authorization: Bearer <token>` with the scope its method needs; a missing or
/// unknown token is `UNAUTHENTICATED`, a token without the scope `PERMISSION_DENIED`, and either
/// is written to the audit log.
public final class AccessControl: Sendable {
    private let tokensByDigest: [[UInt8]: AccessToken]
    private let audit: AuditLog?

    public var isEnforced: Bool { !tokensByDigest.isEmpty }

    /// Access control off: every call allowed in full.
    public static let off = AccessControl(byDigest: [:])

    private init(byDigest: [[UInt8]: AccessToken]) {
        self.tokensByDigest = byDigest
        self.audit = nil
    }

    /// Whether a handler serving `caller` may return personal fields. Fails closed: with access
    /// control on, a call whose caller is unknown sees none.
    public func seesPersonalData(_ caller: Caller?) -> Bool {
        guard isEnforced else { return true }
        return caller?.seesPersonalData ?? false
    }

    /// - Throws: `.invalidArgument` if two tokens share a name or a secret.
    public init(tokens: [AccessToken], audit: AuditLog?) throws(C360Error) {
        var byDigest: [[UInt8]: AccessToken] = [:]
        var names: Set<String> = []
        for token in tokens {
            guard names.insert(token.name).inserted else { throw .invalid("access.tokens", "two tokens are named \(token.name)") }
            guard byDigest.updateValue(token, forKey: token.sha256) == nil else {
                throw .invalid("access.tokens", "tokens \(token.name) and \(byDigest[token.sha256]!.name) have the same secret")
            }
        }
        self.tokensByDigest = byDigest
        self.audit = audit
    }

    enum MethodAccess: Equatable {
        /// Anyone may call it.
        case open
        case needs(AccessScope)
        /// Not listed: refused, so that a method added without a decision here is never open.
        case unlisted
    }

    static func access(forMethod path: String) -> MethodAccess {
        switch path {
        case "/c360.v1.ProfileService/GetProfile", "/c360.v1.ProfileService/BatchGetProfiles",
             "/c360.v1.ProfileService/GetTimeline", "/c360.v1.ProfileService/WatchProfiles",
             "/c360.v1.ProfileService/ListSegment", "/c360.v1.ProfileService/WatchSegment":
            return .needs(.read)
        case "/c360.v1.ProfileService/AppendEvents", "/c360.v1.ProfileService/AppendEventStream":
            return .needs(.write)
        case "/c360.v1.ProfileService/EraseCustomer":
            return .needs(.erase)
        case "/c360.v1.ProfileService/CreateBackup":
            return .needs(.backup)
        default:
            // Health checks and server reflection are open: load balancers and tools call them
            // without credentials, and they reveal no customer data.
            if path.hasPrefix("/grpc.health.v1.Health/") || path.hasPrefix("/grpc.reflection.") { return .open }
            return .unlisted
        }
    }

    /// Checks a call to `method` (`/package.Service/Method`) carrying `authorization` (the header's
    /// value, if any) from `peer`. Denials are audited.
    public func authorize(method: String, authorization: String?, peer: String) -> Result<Caller, C360Error> {
        guard isEnforced else { return .success(.unrestricted) }
        switch Self.access(forMethod: method) {
        case .open: return .success(Caller(name: "anonymous", scopes: []))
        case .unlisted: return deny(method: method, peer: peer, actor: nil, C360Error(.permissionDenied, "no scope grants \(method)"))
        case .needs: break
        }
        guard let authorization, authorization.count > 7,
              authorization.prefix(7).lowercased() == "bearer "
        else {
            return deny(method: method, peer: peer, actor: nil,
                        C360Error(.unauthenticated, "this call needs an access token: send the header `authorization: Bearer <token>`"))
        }
        let secret = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard let caller = caller(forSecret: secret) else {
            return deny(method: method, peer: peer, actor: nil, C360Error(.unauthenticated, "the access token is not valid"))
        }
        return authorize(method: method, caller: caller, peer: peer)
    }

    /// Checks a call to `method` by a caller whose token was checked before (a console session
    /// signed in with it). Denials are audited.
    public func authorize(method: String, caller: Caller, peer: String) -> Result<Caller, C360Error> {
        guard isEnforced else { return .success(.unrestricted) }
        switch Self.access(forMethod: method) {
        case .open:
            return .success(caller)
        case .unlisted:
            return deny(method: method, peer: peer, actor: caller.name, C360Error(.permissionDenied, "no scope grants \(method)"))
        case .needs(let scope):
            guard caller.may(scope) else {
                return deny(method: method, peer: peer, actor: caller.name,
                            C360Error(.permissionDenied, "the token \(caller.name) lacks the scope \(scope.rawValue), which \(method) needs"))
            }
            return .success(caller)
        }
    }

    /// Who holds the token `secret`, or `nil` for a secret no token has.
    public func caller(forSecret secret: String) -> Caller? {
        tokensByDigest[AccessToken.digest(of: secret)].map { Caller(name: $0.name, scopes: $0.scopes) }
    }

    /// Signs in with `secret` for `purpose` (what the audit log names as the method): the caller,
    /// or `UNAUTHENTICATED`, audited.
    public func signIn(secret: String, purpose: String, peer: String) -> Result<Caller, C360Error> {
        guard isEnforced else { return .success(.unrestricted) }
        guard let caller = caller(forSecret: secret) else {
            return deny(method: purpose, peer: peer, actor: nil, C360Error(.unauthenticated, "the access token is not valid"))
        }
        return .success(caller)
    }

    private func deny(method: String, peer: String, actor: String?, _ error: C360Error) -> Result<Caller, C360Error> {
        var entry = AuditLog.Entry(action: "denied", actor: actor, peer: peer, method: method)
        entry.status = error.code == .unauthenticated ? "UNAUTHENTICATED" : "PERMISSION_DENIED"
        entry.reason = error.message
        // A refused call is refused whether or not its record could be written; the store's
        // logger is not reachable here, so a failed write is reported on standard error.
        do throws(C360Error) {
            try audit?.record(entry, durably: false)
        } catch {
            FileHandle.standardError.write(Data("c360: \(error.message)\n".utf8))
        }
        return .failure(error)
    }
}
