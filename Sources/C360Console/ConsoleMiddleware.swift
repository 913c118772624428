import C360Service
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Headers on every response, errors included: a Content-Security-Policy that lets the page load
/// only its own style sheet and script and connect only to its own origin, no framing, no MIME
/// sniffing, and no caching of customer data.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Finds the request's session from its cookie. Without access tokens (a console on loopback, as
/// the API), a page visit without a session starts one for the unrestricted caller: its forms
/// still need the session's CSRF token, so that another site cannot post to them.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    static let cookieName = "c360_session"

    let sessions: ConsoleSessions
    let access: AccessControl
    let secureCookies: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let id = request.cookies[Self.cookieName]?.value { context.session = sessions.session(id) }
        var started: ConsoleSession?
        let path = request.uri.path
        if context.session == nil, !access.isEnforced, request.method == .get, !path.hasPrefix("/api/"), !path.hasPrefix("/assets/") {
            started = sessions.start(for: .unrestricted)
            context.session = started
        }
        var response = try await next(request, context)
        if let started { response.setCookie(Self.cookie(for: started, secure: secureCookies)) }
        return response
    }

    static func cookie(for session: ConsoleSession, secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: session.id, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func ended(secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xRequestID = Self("X-Request-ID")!
}
