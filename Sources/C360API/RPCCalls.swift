import C360Codec
import C360Core
import C360Model
import C360Service
import C360Transport
import GRPCCore
import NIOCore
import SwiftProtobuf
import C360HTTP2

/// The shapes of call c360's RPCs have, between the transport's bytes and the service's typed
/// functions: each decodes its request, runs the service with the caller and the request id
/// bound, encodes the answer, and maps a failure onto a gRPC status in one place (`status(of:)`).
enum RPCCalls {
    typealias Header = GRPCServerCall.Header

    /// Who is calling, checked before anything of the call is read, and its request id.
    struct Identity: Sendable {
        var caller: Caller
        var requestID: String?

        /// Runs `body` with the caller and the request id bound, as the service and its logs expect.
        func bound<Value: Sendable>(_ body: () async throws -> Value) async throws -> Value {
            try await RequestID.$current.withValue(requestID) {
                try await Caller.$current.withValue(caller) { try await body() }
            }
        }
    }

    /// The status and trailers a failure ends a call with.
    static func status(of error: any Error) -> (GRPCStatus, [Header]) {
        switch error {
        case let error as C360Error:
            let code = GRPCStatus.Code(rawValue: error.rpcErrorCode.rawValue) ?? .internalError
            return (GRPCStatus(code, error.rpcErrorMessage), error.field.map { [Header("c360-field", $0)] } ?? [])
        case let error as RPCError:
            return (GRPCStatus(GRPCStatus.Code(rawValue: error.code.rawValue) ?? .unknown, error.message), [])
        case is CancellationError:
            return (GRPCStatus(.cancelled, "the call was cancelled"), [])
        default:
            return (GRPCStatus(.internalError, "\(error)"), [])
        }
    }

    static func decode<Request: Message>(_ bytes: ByteBuffer, as type: Request.Type) throws(C360Error) -> Request {
        do {
            // Appends' requests by the hand-written decoder (C360Codec), the rest by SwiftProtobuf.
            if type == C360_V1_AppendEventsRequest.self,
               let request = try bytes.withUnsafeReadableBytes({ raw in
                   Result { () throws(ProtobufWireError) in try EventWireDecoder.appendEventsRequest(raw) }
               }).get() as? Request {
                return request
            }
            return try Request(serializedBytes: bytes.readableBytesSpan)
        } catch {
            throw C360Error(.invalidArgument, "the request message could not be decoded: \(error)")
        }
    }

    /// An `AppendEventsRequest`'s events with the bytes each was sent as, by the hand-written decoder.
    static func decodeEventsWithBytes(_ bytes: ByteBuffer) throws(C360Error) -> EventWireDecoder.EventsWithBytes {
        do {
            return try bytes.withUnsafeReadableBytes { raw in
                Result { () throws(ProtobufWireError) in try EventWireDecoder.appendEventsKeepingBytes(raw) }
            }.get()
        } catch {
            throw C360Error(.invalidArgument, "the request message could not be decoded: \(error)")
        }
    }

    /// A response's bytes: appends' by the hand-written encoder (C360Codec), the rest by
    /// SwiftProtobuf (the profile lookups' come encoded: `Encoded`).
    static func encode(_ message: some Message) throws -> ByteBuffer {
        if let response = message as? C360_V1_AppendEventsResponse {
            return ByteBuffer(bytes: AppendResponseWireEncoder.encode(response))
        }
        return ByteBuffer(bytes: try message.serializedBytes() as [UInt8])
    }

    /// What a unary method does, made once when the routes are: each call's `Unary` refers to
    /// it rather than capturing the service in closures of its own (allocated per call).
    /// `inline`, when given, may answer on the connection's event loop (a lookup whose data is
    /// there) or hand the answer to its `Responder` later (an append, answered by the store's
    /// writer) by returning true; otherwise `body` serves the call in a task. The response is a
    /// message, or its bytes when the service encodes it itself (`Encoded`).
    /// The request is a message decoded by `RPCCalls.decode`, unless `decode` is given.
    final class UnaryMethod<Request: Sendable, Response: Sendable>: Sendable {
        typealias Inline = @Sendable (Request, Identity, Unary<Request, Response>.Responder) -> Bool
        typealias Decode = @Sendable (ByteBuffer) throws(C360Error) -> Request

        let decode: Decode
        let inline: Inline?
        let body: @Sendable (Request) async throws -> Response
        let send: @Sendable (Response, GRPCServerCall) throws -> Void

        private init(decode: @escaping Decode, inline: Inline?, body: @escaping @Sendable (Request) async throws -> Response,
                     send: @escaping @Sendable (Response, GRPCServerCall) throws -> Void) {
            self.decode = decode
            self.inline = inline
            self.body = body
            self.send = send
        }

        convenience init(inline: Inline? = nil, body: @escaping @Sendable (Request) async throws -> Response) where Request: Message, Response: Message {
            self.init(decode: { bytes throws(C360Error) in try RPCCalls.decode(bytes, as: Request.self) }, inline: inline, body: body)
        }

        convenience init(decode: @escaping Decode, inline: Inline? = nil, body: @escaping @Sendable (Request) async throws -> Response) where Response: Message {
            self.init(decode: decode, inline: inline, body: body) { response, call in call.send(try RPCCalls.encode(response)) }
        }

        convenience init(inline: Inline? = nil, body: @escaping @Sendable (Request) async throws -> Response) where Request: Message, Response == Encoded {
            self.init(decode: { bytes throws(C360Error) in try RPCCalls.decode(bytes, as: Request.self) }, inline: inline, body: body) { response, call in
                call.send(response.bytes)
            }
        }
    }

    /// One call of a unary method: takes exactly one request message, then serves it as its
    /// `UnaryMethod` says.
    final class Unary<Request: Sendable, Response: Sendable>: GRPCCallHandler {
        /// Answers the call from any thread: on the call's event loop at once, from elsewhere by
        /// a hop to it. A value, so that an answer given on the event loop allocates nothing.
        struct Responder: Sendable {
            fileprivate let unary: NIOLoopBound<Unary>
            fileprivate let eventLoop: any EventLoop

            func callAsFunction(_ result: Result<Response, any Error>) {
                if eventLoop.inEventLoop {
                    unary.value.respond(result)
                } else {
                    let unary = self.unary
                    eventLoop.execute { unary.value.respond(result) }
                }
            }
        }

        private let call: GRPCServerCall
        private let identity: Identity
        private let method: UnaryMethod<Request, Response>
        private var message: ByteBuffer?
        private var messages = 0
        private var task: Task<Void, Never>?

        init(call: GRPCServerCall, identity: Identity, method: UnaryMethod<Request, Response>) {
            self.call = call
            self.identity = identity
            self.method = method
        }

        func receive(_ message: ByteBuffer) {
            messages += 1
            self.message = message
        }

        func endOfRequest() {
            guard messages == 1, let message else {
                return call.finish(GRPCStatus(.internalError, "a unary call takes exactly one request message, got \(messages)"))
            }
            self.message = nil
            let request: Request
            do {
                request = try method.decode(message)
            } catch {
                return respond(.failure(error))
            }
            let respond = Responder(unary: NIOLoopBound(self, eventLoop: call.eventLoop), eventLoop: call.eventLoop)
            if let inline = method.inline, inline(request, identity, respond) { return }
            let body = method.body, identity = self.identity
            task = Task {
                do {
                    respond(.success(try await identity.bound { try await body(request) }))
                } catch {
                    respond(.failure(error))
                }
            }
        }

        func cancelled(_ status: GRPCStatus) {
            task?.cancel()
        }

        fileprivate func respond(_ result: Result<Response, any Error>) {
            do {
                try method.send(try result.get(), call)
                call.finish(.ok)
            } catch {
                let (status, trailers) = RPCCalls.status(of: error)
                call.finish(status, trailers: trailers)
            }
        }
    }

    /// A response message's bytes, encoded by the service.
    struct Encoded: Sendable {
        let bytes: [UInt8]
    }

    /// A call served in a task (server streaming, client streaming, bidirectional): `body` gets
    /// the decoded request messages and a typed writer.
    static func streaming<Request: Message, Response: Message>(
        _ call: GRPCServerCall, identity: Identity, request: Request.Type, response: Response.Type,
        body: @escaping @Sendable (DecodedMessages<Request>, @escaping @Sendable (Response) async throws -> Void) async throws -> Void
    ) -> GRPCAsyncCall {
        GRPCAsyncCall(call: call) { messages, writer in
            do {
                try await identity.bound {
                    try await body(DecodedMessages(messages: messages)) { message in try await writer.write(try encode(message)) }
                }
                return (.ok, [])
            } catch {
                return RPCCalls.status(of: error)
            }
        }
    }

    /// A server-streaming call: exactly one request message, then `body` writes the responses.
    static func serverStreaming<Request: Message, Response: Message>(
        _ call: GRPCServerCall, identity: Identity, response: Response.Type,
        body: @escaping @Sendable (Request, @escaping @Sendable (Response) async throws -> Void) async throws -> Void
    ) -> GRPCAsyncCall {
        streaming(call, identity: identity, request: Request.self, response: Response.self) { messages, write in
            var iterator = messages.makeAsyncIterator()
            guard let request = try await iterator.next(), try await iterator.next() == nil else {
                throw RPCError(code: .internalError, message: "a server-streaming call takes exactly one request message")
            }
            try await body(request, write)
        }
    }

    /// A call refused before it started (access control): everything the client sends is dropped.
    final class Refused: GRPCCallHandler {
        func receive(_ message: ByteBuffer) {}
        func endOfRequest() {}
        func cancelled(_ status: GRPCStatus) {}
    }
}

/// Request messages decoded as they are taken; a message that is not a `Request` throws
/// `INVALID_ARGUMENT`.
struct DecodedMessages<Request: Message>: AsyncSequence, Sendable {
    typealias Element = Request
    let messages: GRPCRequestMessages

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: GRPCRequestMessages.AsyncIterator

        mutating func next() async throws -> Request? {
            guard let bytes = try await base.next() else { return nil }
            return try RPCCalls.decode(bytes, as: Request.self)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: messages.makeAsyncIterator())
    }
}
