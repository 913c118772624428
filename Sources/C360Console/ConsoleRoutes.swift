import C360Core
import C360Model
import C360Service
import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import C360Store

/// The console's pages: each reads through `ProfileRPCService` under the signed-in caller, so
/// access control, redaction, metrics and the audit log apply as they do to a gRPC call.
struct ConsoleRoutes {
    let service: ProfileRPCService
    let sessions: ConsoleSessions
    let secureCookies: Bool
    let logger: Logger
    /// Open live-update streams, bounded so that clients cannot hold unbounded watches.
    let liveStreams = NIOLockedValueBox(0)
    static let maxLiveStreams = 256
    static let signInCookie = "c360_sign_in"

    private var access: AccessControl { service.access }
    private static let methods = "/c360.v1.ProfileService/"

    func register(on router: Router<ConsoleContext>) {
        router.get("/assets/console.css") { _, _ in Self.asset(ConsoleAssets.styleSheet, type: "text/css; charset=utf-8") }
        router.get("/assets/console.js") { _, _ in Self.asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/assets/icon.svg") { _, _ in Self.asset(ConsoleAssets.icon, type: "image/svg+xml") }
        router.get("/favicon.ico") { _, _ in Self.asset(ConsoleAssets.icon, type: "image/svg+xml") }
        router.get("/sign-in") { request, context in try signInForm(request, context) }
        router.post("/sign-in") { request, context in try await signIn(request, context) }
        router.post("/sign-out") { request, context in try await signOut(request, context) }
        router.get("/") { request, context in
            try await page(request, context, method: "GetProfile") { layout, _ in Self.html(SearchPage.render(layout)) }
        }
        router.get("/search") { request, context in try await search(request, context) }
        router.get("/customers/:customer") { request, context in try await customer(request, context) }
        router.get("/customers/:customer/live") { request, context in try await live(request, context) }
        router.get("/customers/:customer/erase") { request, context in try await eraseConfirmation(request, context) }
        router.post("/customers/:customer/erase") { request, context in try await erase(request, context) }
        router.get("/segments") { request, context in try await segmentList(request, context) }
        router.get("/segments/:segment") { request, context in try await segmentMembers(request, context) }
        ConsoleAPI(service: service).register(on: router)
    }

    // MARK: Pages

    private func search(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        try await page(request, context, method: "GetProfile") { layout, _ in
            let fields = try Self.query(request)
            let type = fields["type"] ?? "customer_id"
            let value = (fields["value"] ?? "").trimmingCharacters(in: .whitespaces)
            guard let key = SearchPage.keys.first(where: { $0.parameter == type }) else {
                return Self.html(SearchPage.render(layout, value: value, error: "Choose what to find the customer by."), status: .badRequest)
            }
            guard !value.isEmpty else {
                return Self.html(SearchPage.render(layout, type: type, error: "Enter a \(key.label.lowercased()) to find."), status: .badRequest)
            }
            var lookup = C360_V1_GetProfileRequest()
            if let identityType = key.identity {
                var identity = C360_V1_Identity()
                identity.type = identityType
                identity.value = value
                lookup.identity = identity
            } else {
                lookup.customerID = value
            }
            do {
                let profile = try await service.getProfile(lookup).profile
                guard !profile.customerID.isEmpty else {
                    return Self.html(SearchPage.render(layout, type: type, value: value,
                                                       error: "That \(key.label.lowercased()) belongs to an anonymous visitor, not to a known customer."))
                }
                return Self.redirect("/customers/" + FormFields.encode(profile.customerID))
            } catch let error as C360Error where error.code == .notFound || error.code == .erased || error.code == .invalidArgument {
                let message = error.code == .erased ? "Customer \(value) was erased." : "No customer has that \(key.label.lowercased())."
                return Self.html(SearchPage.render(layout, type: type, value: value, error: message), status: .notFound)
            }
        }
    }

    private func customer(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        try await page(request, context, method: "GetProfile") { layout, caller in
            let customerID = try context.parameters.require("customer")
            let filters = try TimelineFilters(try Self.query(request))
            var lookup = C360_V1_GetProfileRequest()
            lookup.customerID = customerID
            let profile = try await service.getProfile(lookup).profile
            try authorized(context, caller, method: "GetTimeline")
            let timeline = try service.getTimeline(filters.request(customerID: customerID))
            var chartEvents: [C360_V1_LoggedEvent] = []
            var chartRequest = TimelineFilters().request(customerID: customerID)
            chartRequest.pageSize = Int32(min(1_000, service.limits.maxTimelinePage))
            repeat {
                let page = try service.getTimeline(chartRequest)
                chartEvents += page.events
                chartRequest.pageToken = page.nextPageToken
            } while !chartRequest.pageToken.isEmpty && chartEvents.count < CustomerPage.chartEventLimit
            let page = CustomerPage(
                profile: profile, timeline: timeline, filters: filters, chartEvents: chartEvents,
                chartEventsCapped: !chartRequest.pageToken.isEmpty, segments: try service.store.segments(ofCustomer: customerID),
                mayErase: !access.isEnforced || caller.may(.erase))
            return Self.html(page.render(layout))
        }
    }

    /// Server-sent events while the customer page is open: `change` with the log position of each
    /// change to the customer, `erased` when they are erased, and a comment every 20 seconds so
    /// that a closed page is noticed.
    private func live(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        try await page(request, context, method: "WatchProfiles") { _, caller in
            let customerID = try context.parameters.require("customer")
            let admitted = liveStreams.withLockedValue { count in
                guard count < Self.maxLiveStreams else { return false }
                count += 1
                return true
            }
            guard admitted else {
                return Response(status: .serviceUnavailable, headers: [.retryAfter: "30"], body: .init(byteBuffer: ByteBuffer(string: "too many live pages are open\n")))
            }
            var watchRequest = C360_V1_WatchProfilesRequest()
            watchRequest.customerIds = [customerID]
            let watch = watchRequest
            let service = self.service, liveStreams = self.liveStreams
            let requestID = RequestID.accepted(request.headers[.xRequestID])
            let body = ResponseBody { writer in
                defer { liveStreams.withLockedValue { $0 -= 1 } }
                let (messages, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(16))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        defer { continuation.finish() }
                        try await Caller.$current.withValue(caller) {
                            try await RequestID.$current.withValue(requestID) {
                                try await service.watchProfiles(watch) { change in
                                    continuation.yield(change.erased ? "event: erased\ndata: \(change.seq)\n\n" : "event: change\ndata: \(change.seq)\n\n")
                                }
                            }
                        }
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(20))
                            continuation.yield(": still here\n\n")
                        }
                    }
                    // A stream that never ends would hold up the server's graceful shutdown.
                    group.addTask {
                        try? await gracefulShutdown()
                        continuation.finish()
                    }
                    try await writer.write(ByteBuffer(string: ": watching\n\n"))
                    for await message in messages {
                        try await writer.write(ByteBuffer(string: message))
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
        }
    }

    private func eraseConfirmation(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        try await page(request, context, method: "EraseCustomer") { layout, _ in
            let customerID = try context.parameters.require("customer")
            var lookup = C360_V1_GetProfileRequest()
            lookup.customerID = customerID
            let profile = try await service.getProfile(lookup).profile
            let name = [profile.details.firstName, profile.details.lastName].filter { !$0.isEmpty }.joined(separator: " ")
            return Self.html(ErasePages.confirm(layout, customerID: customerID, name: name, csrfToken: layout.session?.csrfToken ?? ""))
        }
    }

    private func erase(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let form: FormFields
        switch try await checkedForm(request, context) {
        case .success(let fields): form = fields
        case .failure(let refusal): return refusal.response
        }
        return try await page(request, context, method: "EraseCustomer") { layout, _ in
            let customerID = try context.parameters.require("customer")
            guard form["customer_id"] == customerID else {
                return Self.html(MessagePage.render(layout, title: "Not erased", message: "The form named another customer than its address; nothing was erased."),
                                 status: .badRequest)
            }
            var erase = C360_V1_EraseCustomerRequest()
            erase.customerID = customerID
            erase.requestID = String((form["request_id"] ?? "").trimmingCharacters(in: .whitespaces).prefix(128))
            let receipt = try await service.eraseCustomer(erase, peer: context.peer)
            return Self.html(ErasePages.receipt(layout, customerID: customerID, receipt: receipt))
        }
    }

    private func segmentList(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        try await page(request, context, method: "ListSegment") { layout, _ in
            let store = service.store
            let segments = try store.configuration.segments.map { segment throws(C360Error) in (segment, try store.segmentMemberCount(segment.name)) }
            return Self.html(SegmentPages.list(layout, segments: segments, evaluatedDay: store.segmentDay.description))
        }
    }

    private func segmentMembers(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        try await page(request, context, method: "ListSegment") { layout, _ in
            let name = try context.parameters.require("segment")
            guard let segment = service.store.configuration.segments.first(where: { $0.name == name }) else {
                throw C360Error(.notFound, "no segment \(name) is configured", field: "segment")
            }
            let fields = try Self.query(request)
            var list = C360_V1_ListSegmentRequest()
            list.segment = name
            list.pageSize = SegmentPages.membersPerPage
            list.pageToken = fields["page"] ?? ""
            let page = try service.listSegment(list)
            return Self.html(SegmentPages.members(
                layout, segment: segment, count: try service.store.segmentMemberCount(name), customerIDs: page.customerIds,
                nextPage: page.nextPageToken, isFirstPage: list.pageToken.isEmpty))
        }
    }

    // MARK: Signing in and out

    private func signInForm(_ request: Request, _ context: ConsoleContext) throws -> Response {
        guard access.isEnforced else { return Self.redirect("/") }
        let next = Self.safeNext(try Self.query(request)["next"])
        return signInPage(next: next, error: nil, status: .ok)
    }

    private func signInPage(next: String, error: String?, status: HTTPResponse.Status) -> Response {
        // A sign-in form carries a token of its own, matched against a cookie, so that another
        // site cannot sign a browser in to a session of its choosing.
        let token = ConsoleSessions.randomToken()
        var response = Self.html(SignInPage.render(PageLayout(session: nil, accessEnforced: true), csrfToken: token, next: next, error: error), status: status)
        response.setCookie(Cookie(name: Self.signInCookie, value: token, path: "/sign-in", secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    private func signIn(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        guard access.isEnforced else { return Self.redirect("/") }
        guard Self.isSameOrigin(request) else { return Self.refusal("The sign-in came from another site and was refused.") }
        let fields: FormFields
        do {
            fields = try await Self.form(request)
        } catch let error as FormFieldsError {
            return Self.html(MessagePage.render(PageLayout(session: nil, accessEnforced: true), title: "Not signed in", message: error.description, searchAgain: false),
                             status: .badRequest)
        }
        let next = Self.safeNext(fields["next"])
        guard let expected = request.cookies[Self.signInCookie]?.value, let given = fields["csrf"], ConsoleSessions.sameSecret(expected, given) else {
            return signInPage(next: next, error: "The sign-in form expired; enter the token again.", status: .forbidden)
        }
        switch access.signIn(secret: (fields["token"] ?? "").trimmingCharacters(in: .whitespaces), purpose: "console sign-in", peer: context.peer) {
        case .failure:
            return signInPage(next: next, error: "That access token is not valid.", status: .unauthorized)
        case .success(let caller):
            let session = sessions.start(for: caller)
            logger.info("console sign-in", metadata: ["c360.actor": "\(caller.name)", "c360.peer": "\(context.peer)"])
            var response = Self.redirect(next)
            response.setCookie(SessionMiddleware.cookie(for: session, secure: secureCookies))
            response.setCookie(Cookie(name: Self.signInCookie, value: "", maxAge: 0, path: "/sign-in", secure: secureCookies, httpOnly: true, sameSite: .strict))
            return response
        }
    }

    private func signOut(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        switch try await checkedForm(request, context) {
        case .failure(let refusal): return refusal.response
        case .success: break
        }
        if let session = context.session { sessions.end(session.id) }
        var response = Self.redirect(access.isEnforced ? "/sign-in" : "/")
        response.setCookie(SessionMiddleware.ended(secure: secureCookies))
        return response
    }

    // MARK: Guards

    struct Refusal: Error {
        var response: Response
    }

    /// A page for the caller the request's session names, allowed to call `method`: without a
    /// session the browser is sent to sign in; a caller without the method's scope is refused
    /// (and audited); a C360Error from the service becomes a page that says what went wrong.
    private func page(
        _ request: Request, _ context: ConsoleContext, method: String,
        _ body: (PageLayout, Caller) async throws -> Response
    ) async throws -> Response {
        let layout = PageLayout(session: context.session, accessEnforced: access.isEnforced)
        let caller: Caller
        if !access.isEnforced {
            caller = .unrestricted
        } else if let session = context.session {
            caller = session.caller
        } else {
            return Self.redirect("/sign-in?next=" + FormFields.encode(request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")))
        }
        do {
            try authorized(context, caller, method: method)
            return try await Caller.$current.withValue(caller) {
                try await RequestID.$current.withValue(RequestID.accepted(request.headers[.xRequestID])) {
                    try await body(layout, caller)
                }
            }
        } catch let error as C360Error {
            let (status, title) = Self.status(of: error)
            return Self.html(MessagePage.render(layout, title: title, message: error.description), status: status)
        } catch let error as FormFieldsError {
            return Self.html(MessagePage.render(layout, title: "Bad request", message: error.description), status: .badRequest)
        } catch let error as RPCError {
            let converted = C360Error(rpcError: error)
            let (status, title) = Self.status(of: converted)
            return Self.html(MessagePage.render(layout, title: title, message: converted.message), status: status)
        }
    }

    private func authorized(_ context: ConsoleContext, _ caller: Caller, method: String) throws(C360Error) {
        if case .failure(let error) = access.authorize(method: Self.methods + method, caller: caller, peer: context.peer) { throw error }
    }

    /// A state-changing form's fields, once it is shown to come from this console: the same
    /// origin, a session, and the session's CSRF token in the form.
    private func checkedForm(_ request: Request, _ context: ConsoleContext) async throws -> Result<FormFields, Refusal> {
        guard Self.isSameOrigin(request) else { return .failure(Refusal(response: Self.refusal("The request came from another site and was refused."))) }
        guard let session = context.session else {
            return .failure(Refusal(response: Self.refusal("Your session has ended: sign in again, then repeat what you were doing.")))
        }
        let fields: FormFields
        do {
            fields = try await Self.form(request)
        } catch let error as FormFieldsError {
            return .failure(Refusal(response: Self.refusal(error.description, status: .badRequest)))
        }
        guard let token = fields["csrf"], ConsoleSessions.sameSecret(token, session.csrfToken) else {
            return .failure(Refusal(response: Self.refusal("The form did not carry this session's CSRF token; nothing was changed. Reload the page and try again.")))
        }
        return .success(fields)
    }

    // MARK: Helpers

    static func html(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html.text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func refusal(_ message: String, status: HTTPResponse.Status = .forbidden) -> Response {
        html(MessagePage.render(PageLayout(session: nil, accessEnforced: true), title: "Refused", message: message, searchAgain: false), status: status)
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func query(_ request: Request) throws(FormFieldsError) -> FormFields {
        try FormFields(request.uri.query ?? "")
    }

    /// A form's fields from an `application/x-www-form-urlencoded` body of at most `FormFields.maxBytes`.
    static func form(_ request: Request) async throws -> FormFields {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw FormFieldsError.notAForm
        }
        let body = request.body
        let buffer = try await body.collect(upTo: FormFields.maxBytes)
        return try FormFields(String(buffer: buffer))
    }

    /// Without an `Origin` header (older browsers, scripts) the CSRF token alone decides; with
    /// one, it must be this server.
    static func isSameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// Where to go after signing in: a path of this console, never another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.hasPrefix("/sign-") else { return "/" }
        return next
    }

    static func status(of error: C360Error) -> (HTTPResponse.Status, String) {
        switch error.code {
        case .invalidArgument: (.badRequest, "Bad request")
        case .notFound: (.notFound, "Not found")
        case .erased: (.gone, "Erased")
        case .unauthenticated: (.unauthorized, "Sign in needed")
        case .permissionDenied: (.forbidden, "Not allowed")
        case .resourceExhausted: (.tooManyRequests, "Too much at once")
        case .unavailable, .dataDirectoryLocked, .io: (.serviceUnavailable, "Unavailable")
        default: (.internalServerError, "Something went wrong")
        }
    }
}
