import C360Transport
import Foundation
import NIOCore
import SwiftProtobuf
import C360HTTP2

/// gRPC's interoperability test service (`grpc.testing.TestService`) on c360's transport, as the
/// gRPC project's interop-test-descriptions define its server features: EmptyCall, UnaryCall,
/// StreamingOutputCall, StreamingInputCall, FullDuplexCall, HalfDuplexCall, Echo Status, Echo
/// Metadata and ResponseParameters.interval_us. `UnimplementedCall` is left unserved on purpose.
enum InteropTestService {
    typealias Header = GRPCServerCall.Header

    static var routes: GRPCRoutes {
        var routes = GRPCRoutes()
        let service = "/grpc.testing.TestService/"
        routes.methods[service + "EmptyCall"] = { call in
            let headers = call.requestHeaders
            return GRPCAsyncCall(call: call, executor: EventLoopTaskExecutor(call.eventLoop)) { messages, writer in
                await unary(headers, messages, writer, Grpc_Testing_Empty.self) { _ -> UnaryOutcome<Grpc_Testing_Empty> in .reply(Grpc_Testing_Empty()) }
            }
        }
        routes.methods[service + "UnaryCall"] = { call in
            let headers = call.requestHeaders
            return GRPCAsyncCall(call: call, executor: EventLoopTaskExecutor(call.eventLoop)) { messages, writer in
                await unary(headers, messages, writer, Grpc_Testing_SimpleRequest.self) { request -> UnaryOutcome<Grpc_Testing_SimpleResponse> in
                    if request.hasResponseStatus, request.responseStatus.code != 0 {
                        return .status(status(of: request.responseStatus))
                    }
                    if request.expectCompressed.value {
                        return .status(GRPCStatus(.invalidArgument, "the request was expected compressed; this server accepts identity only"))
                    }
                    var response = Grpc_Testing_SimpleResponse()
                    response.payload = payload(size: request.responseSize)
                    return .reply(response)
                }
            }
        }
        routes.methods[service + "StreamingOutputCall"] = { call in
            let headers = call.requestHeaders
            return GRPCAsyncCall(call: call, executor: EventLoopTaskExecutor(call.eventLoop)) { messages, writer in
                await serve(headers, writer) {
                    guard let request = try await single(messages, Grpc_Testing_StreamingOutputCallRequest.self) else {
                        return GRPCStatus(.invalidArgument, "StreamingOutputCall takes exactly one request message")
                    }
                    return try await respond(to: request, writer)
                }
            }
        }
        routes.methods[service + "StreamingInputCall"] = { call in
            let headers = call.requestHeaders
            return GRPCAsyncCall(call: call, executor: EventLoopTaskExecutor(call.eventLoop)) { messages, writer in
                await serve(headers, writer) {
                    var total = 0
                    for try await bytes in messages {
                        let request = try Grpc_Testing_StreamingInputCallRequest(serializedBytes: Array(buffer: bytes))
                        total += request.payload.body.count
                    }
                    var response = Grpc_Testing_StreamingInputCallResponse()
                    response.aggregatedPayloadSize = Int32(total)
                    try await writer.write(encode(response))
                    return .ok
                }
            }
        }
        routes.methods[service + "FullDuplexCall"] = { call in
            let headers = call.requestHeaders
            return GRPCAsyncCall(call: call, executor: EventLoopTaskExecutor(call.eventLoop)) { messages, writer in
                await serve(headers, writer) {
                    for try await bytes in messages {
                        let request = try Grpc_Testing_StreamingOutputCallRequest(serializedBytes: Array(buffer: bytes))
                        let status = try await respond(to: request, writer)
                        if status != .ok { return status }
                    }
                    return .ok
                }
            }
        }
        routes.methods[service + "HalfDuplexCall"] = { call in
            let headers = call.requestHeaders
            return GRPCAsyncCall(call: call, executor: EventLoopTaskExecutor(call.eventLoop)) { messages, writer in
                await serve(headers, writer) {
                    var requests: [Grpc_Testing_StreamingOutputCallRequest] = []
                    for try await bytes in messages {
                        requests.append(try Grpc_Testing_StreamingOutputCallRequest(serializedBytes: Array(buffer: bytes)))
                    }
                    for request in requests {
                        let status = try await respond(to: request, writer)
                        if status != .ok { return status }
                    }
                    return .ok
                }
            }
        }
        return routes
    }

    enum UnaryOutcome<Response: Message> {
        case reply(Response)
        case status(GRPCStatus)
    }

    /// One request message in, one response or a status out; Echo Metadata applied.
    private static func unary<Request: Message, Response: Message>(
        _ headers: [Header], _ messages: GRPCRequestMessages, _ writer: GRPCResponseWriter, _ type: Request.Type,
        _ answer: @Sendable (Request) -> UnaryOutcome<Response>
    ) async -> (GRPCStatus, [Header]) {
        await serve(headers, writer) {
            guard let request = try await single(messages, Request.self) else {
                return GRPCStatus(.invalidArgument, "a unary call takes exactly one request message")
            }
            switch answer(request) {
            case .reply(let response):
                try await writer.write(encode(response))
                return .ok
            case .status(let status):
                return status
            }
        }
    }

    /// Runs a call's body with Echo Metadata: the initial echo header sent before anything else, the
    /// trailing one added to whatever status the call ends with.
    private static func serve(
        _ headers: [Header], _ writer: GRPCResponseWriter, _ body: () async throws -> GRPCStatus
    ) async -> (GRPCStatus, [Header]) {
        let echoed = headers.filter { $0.name == "x-grpc-test-echo-initial" }
        let trailing = headers.filter { $0.name == "x-grpc-test-echo-trailing-bin" }
        do {
            if !echoed.isEmpty { try await writer.sendInitialMetadata(echoed) }
            return (try await body(), trailing)
        } catch is CancellationError {
            return (GRPCStatus(.cancelled, "the call was cancelled"), trailing)
        } catch {
            return (GRPCStatus(.invalidArgument, "the request is not a valid message: \(error)"), trailing)
        }
    }

    /// The payloads a StreamingOutputCallRequest asks for, each after its interval; or its status.
    private static func respond(to request: Grpc_Testing_StreamingOutputCallRequest, _ writer: GRPCResponseWriter) async throws -> GRPCStatus {
        if request.hasResponseStatus, request.responseStatus.code != 0 {
            return status(of: request.responseStatus)
        }
        for parameters in request.responseParameters {
            if parameters.intervalUs > 0 {
                try await Task.sleep(for: .microseconds(Int(parameters.intervalUs)))
            }
            var response = Grpc_Testing_StreamingOutputCallResponse()
            response.payload = payload(size: parameters.size)
            try await writer.write(encode(response))
        }
        return .ok
    }

    /// The only message of a request, or nil when there are none or several.
    private static func single<Request: Message>(_ messages: GRPCRequestMessages, _ type: Request.Type) async throws -> Request? {
        var found: Request?
        for try await bytes in messages {
            guard found == nil else { return nil }
            found = try Request(serializedBytes: Array(buffer: bytes))
        }
        return found
    }

    private static func status(of echo: Grpc_Testing_EchoStatus) -> GRPCStatus {
        GRPCStatus(GRPCStatus.Code(rawValue: Int(echo.code)) ?? .unknown, echo.message)
    }

    private static func payload(size: Int32) -> Grpc_Testing_Payload {
        var payload = Grpc_Testing_Payload()
        payload.type = .compressable
        payload.body = Data(count: Int(max(0, size)))
        return payload
    }

    private static func encode(_ message: some Message) throws -> ByteBuffer {
        ByteBuffer(bytes: try message.serializedBytes() as [UInt8])
    }
}
