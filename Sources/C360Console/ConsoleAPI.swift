import C360Core
import C360Model
import C360Service
import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import SwiftProtobuf
import C360Store

/// The JSON read API under `/api/v1/`, for `curl`, BI tools and scripts that do not speak gRPC.
/// Each response is the protobuf JSON mapping (field names as in `proto/`) of the gRPC response
/// message the same call returns there, from the same service code; authorization is the API's
/// (`Authorization: Bearer <token>`) or a console session's.
struct ConsoleAPI {
    let service: ProfileRPCService
    private var access: AccessControl { service.access }
    private static let methods = "/c360.v1.ProfileService/"

    func register(on router: Router<ConsoleContext>) {
        router.get("/api/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/api/v1/customers") { request, context in
            try await call(request, context, method: "GetProfile") {
                let fields = try ConsoleRoutes.query(request)
                var lookup = try Self.profileRequest(fields)
                let keys = SearchPage.keys.compactMap { key in key.identity.flatMap { type in fields.nonEmpty(key.parameter).map { (type, $0) } } }
                guard keys.count == 1 else {
                    throw C360Error.invalid("identity", "give exactly one of email, phone, loyalty_id, cookie_id or device_id")
                }
                var identity = C360_V1_Identity()
                identity.type = keys[0].0
                identity.value = keys[0].1
                lookup.identity = identity
                return .message(try await service.getProfile(lookup))
            }
        }
        router.get("/api/v1/customers/:customer") { request, context in
            try await call(request, context, method: "GetProfile") {
                var lookup = try Self.profileRequest(try ConsoleRoutes.query(request))
                lookup.customerID = try context.parameters.require("customer")
                return .message(try await service.getProfile(lookup))
            }
        }
        router.get("/api/v1/customers/:customer/timeline") { request, context in
            try await call(request, context, method: "GetTimeline") {
                let fields = try ConsoleRoutes.query(request)
                var timeline = C360_V1_GetTimelineRequest()
                timeline.customerID = try context.parameters.require("customer")
                timeline.pageSize = try Self.pageSize(fields)
                timeline.pageToken = fields["page_token"] ?? ""
                for kind in fields.all("kind") {
                    guard let known = Display.kindsByParameter.first(where: { $0.parameter == kind })?.kind else {
                        throw C360Error.invalid("kind", "is not an event kind: \(kind); kinds: \(Display.kindsByParameter.map(\.parameter).joined(separator: ", "))")
                    }
                    timeline.kinds.append(known)
                }
                if let after = fields.nonEmpty("occurred_after") { timeline.occurredAfter = try Self.timestamp(after, field: "occurred_after") }
                if let before = fields.nonEmpty("occurred_before") { timeline.occurredBefore = try Self.timestamp(before, field: "occurred_before") }
                return .message(try service.getTimeline(timeline))
            }
        }
        router.get("/api/v1/segments") { request, context in
            try await call(request, context, method: "ListSegment") {
                let store = service.store
                let segments = try store.configuration.segments.map { segment throws(C360Error) in
                    SegmentListBody.Entry(name: segment.name, description: segment.description,
                                          conditions: segment.conditions.map(\.description), members: try store.segmentMemberCount(segment.name))
                }
                return .json(SegmentListBody(segments: segments, evaluated_day: store.segmentDay.description))
            }
        }
        router.get("/api/v1/segments/:segment/members") { request, context in
            try await call(request, context, method: "ListSegment") {
                let fields = try ConsoleRoutes.query(request)
                var list = C360_V1_ListSegmentRequest()
                list.segment = try context.parameters.require("segment")
                list.pageSize = try Self.pageSize(fields)
                list.pageToken = fields["page_token"] ?? ""
                return .message(try service.listSegment(list))
            }
        }
    }

    /// A call to the API: the caller from the bearer token or the console session, authorized for
    /// `method`, then `body` under that caller, answered as JSON (errors too).
    private func call(
        _ request: Request, _ context: ConsoleContext, method: String, _ body: () async throws -> Body
    ) async throws -> Response {
        let path = Self.methods + method
        let authorization: Result<Caller, C360Error>
        if let header = request.headers[.authorization] {
            authorization = access.authorize(method: path, authorization: header, peer: context.peer)
        } else if let session = context.session {
            authorization = access.authorize(method: path, caller: session.caller, peer: context.peer)
        } else {
            authorization = access.authorize(method: path, authorization: nil, peer: context.peer)
        }
        do {
            let caller = try authorization.get()
            let message = try await Caller.$current.withValue(caller) {
                try await RequestID.$current.withValue(RequestID.accepted(request.headers[.xRequestID])) { try await body() }
            }
            return Self.json(try message.text(), status: .ok)
        } catch let error as C360Error {
            return Self.error(error)
        } catch let error as FormFieldsError {
            return Self.error(C360Error.invalid("query", error.description))
        } catch let error as RPCError {
            return Self.error(C360Error(rpcError: error))
        }
    }

    /// A response body: a gRPC response message in the protobuf JSON mapping, or plain JSON.
    enum Body {
        case message(any SwiftProtobuf.Message)
        case json(any Encodable & Sendable)

        func text() throws -> String {
            switch self {
            case .message(let message):
                var options = JSONEncodingOptions()
                options.preserveProtoFieldNames = true
                return try message.jsonString(options: options)
            case .json(let value):
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                return String(decoding: try encoder.encode(value), as: UTF8.self)
            }
        }
    }

    /// `GET /api/v1/segments`: the configured segments and their member counts.
    struct SegmentListBody: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            var name: String
            var description: String
            var conditions: [String]
            var members: UInt64
        }

        var segments: [Entry]
        var evaluated_day: String
    }

    static func profileRequest(_ fields: FormFields) throws(C360Error) -> C360_V1_GetProfileRequest {
        var lookup = C360_V1_GetProfileRequest()
        if let asOf = fields.nonEmpty("as_of") { lookup.asOf = try timestamp(asOf, field: "as_of") }
        if let minSeq = fields.nonEmpty("min_seq") {
            guard let value = UInt64(minSeq) else { throw C360Error.invalid("min_seq", "is not a log position: \(minSeq)") }
            lookup.minSeq = value
        }
        return lookup
    }

    /// `page_size`, 0 (the call's default) when absent.
    static func pageSize(_ fields: FormFields) throws(C360Error) -> Int32 {
        guard let size = fields.nonEmpty("page_size") else { return 0 }
        guard let value = Int32(size) else { throw C360Error.invalid("page_size", "is not a whole number: \(size)") }
        return value
    }

    static func timestamp(_ text: String, field: String) throws(C360Error) -> Google_Protobuf_Timestamp {
        guard let timestamp = try? Google_Protobuf_Timestamp(jsonString: "\"\(text.filter { $0 != "\"" && $0 != "\\" })\"") else {
            throw C360Error.invalid(field, "is not an RFC 3339 time such as 2026-03-01T12:00:00Z: \(text)")
        }
        return timestamp
    }

    static func json(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `{"error": {"code": "NOT_FOUND", "message": "…", "field": "customer_id"}}` with the HTTP status
    /// that says the same.
    static func error(_ error: C360Error) -> Response {
        var body = Google_Protobuf_Struct()
        var detail: [String: Google_Protobuf_Value] = [
            "code": Google_Protobuf_Value(stringValue: error.code == .erased ? "ERASED" : error.statusCodeName),
            "message": Google_Protobuf_Value(stringValue: error.description),
        ]
        if let field = error.field { detail["field"] = Google_Protobuf_Value(stringValue: field) }
        body.fields["error"] = Google_Protobuf_Value(structValue: Google_Protobuf_Struct(fields: detail))
        var response = json((try? body.jsonString()) ?? "{}", status: ConsoleRoutes.status(of: error).0)
        if error.code == .unauthenticated { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}

extension C360Error {
    /// The error a service call reported as a gRPC status (a `min_seq` not reached in time, a
    /// watch that fell behind), as the console reports it.
    init(rpcError: RPCError) {
        let code: C360Error.Code = switch rpcError.code {
        case .deadlineExceeded: .unavailable
        case .resourceExhausted: .resourceExhausted
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        default: .internalError
        }
        self.init(code, rpcError.message)
    }

    /// The gRPC status name, as the JSON API's errors carry it.
    var statusCodeName: String {
        switch code {
        case .unauthenticated: "UNAUTHENTICATED"
        case .permissionDenied: "PERMISSION_DENIED"
        default: statusName
        }
    }
}
