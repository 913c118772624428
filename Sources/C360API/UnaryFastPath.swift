import C360Core
import C360Model
import C360Service
import NIOCore
import NIOHPACK
import NIOHTTP2
import SwiftProtobuf

/// The calls a profile service gets most, answered from the connection's event loop: the lookups
/// `GetProfile` and `BatchGetProfiles`, run right there, and `AppendEvents`, handed to the store's
/// writer and answered when it calls back — without the generic server's per-call tasks and
/// thread hops (perf showed those costing several times the lookup itself).
///
/// Installed first in each HTTP/2 stream's pipeline, ahead of grpc-swift's own handlers. It looks
/// at a stream's request headers: a lookup without compression it reads, answers and closes
/// itself, on the same wire protocol (a gRPC response: headers, one length-prefixed message,
/// trailers with `grpc-status`); anything else — other methods, compressed messages, a `min_seq`
/// not reached yet (which needs to wait) — it passes on untouched to grpc-swift, which serves it.
final class UnaryFastPath: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    enum Method {
        case getProfile, batchGetProfiles, appendEvents

        init?(path: String) {
            switch path {
            case "/c360.v1.ProfileService/GetProfile": self = .getProfile
            case "/c360.v1.ProfileService/BatchGetProfiles": self = .batchGetProfiles
            case "/c360.v1.ProfileService/AppendEvents": self = .appendEvents
            default: return nil
            }
        }
    }

    private enum State {
        case awaitingHeaders
        case passingThrough
        case receiving(Method, Caller, requestHeaders: HTTP2Frame.FramePayload, body: ByteBuffer)
        /// The request is in and handed to the store; its answer comes back on the event loop.
        case awaitingStore
        case answered
    }

    private var state = State.awaitingHeaders
    private let service: ProfileRPCService

    init(service: ProfileRPCService) {
        self.service = service
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        switch state {
        case .passingThrough:
            context.fireChannelRead(data)
        case .answered, .awaitingStore:
            break
        case .awaitingHeaders:
            guard case .headers(let headers) = payload, let (method, path) = Self.fastMethod(headers.headers) else {
                state = .passingThrough
                context.fireChannelRead(data)
                return
            }
            let caller: Caller
            switch service.access.authorize(method: path, authorization: headers.headers.first(name: "authorization"),
                                            peer: Self.peer(of: context.channel)) {
            case .success(let allowed): caller = allowed
            case .failure(let denied): return answer(.failure(denied), context: context)
            }
            state = .receiving(method, caller, requestHeaders: payload, body: context.channel.allocator.buffer(capacity: 128))
            if headers.endStream {
                finish(context: context)
            } else {
                // The message follows in DATA frames. grpc-swift's handlers further on ask for reads
                // only once a task of theirs starts on the stream; this one asks now, so a lookup
                // does not wait for that task.
                context.read()
            }
        case .receiving(let method, let caller, let requestHeaders, var body):
            switch payload {
            case .data(let frame):
                guard case .byteBuffer(var bytes) = frame.data else { return }
                // Let go of the state's reference first, so that appending does not copy the body.
                state = .awaitingStore
                body.writeBuffer(&bytes)
                state = .receiving(method, caller, requestHeaders: requestHeaders, body: body)
                if body.readableBytes > service.limits.maxRequestBytes + 5 {
                    answer(.failure(C360Error(.resourceExhausted, "the request is larger than \(service.limits.maxRequestBytes) bytes")), context: context)
                } else if frame.endStream {
                    finish(context: context)
                } else {
                    context.read()
                }
            case .headers(let trailers) where trailers.endStream:
                finish(context: context)
            case .rstStream:
                state = .answered
            default:
                break
            }
        }
    }

    /// A lookup that this handler may answer, and its path: right path, gRPC content, no compression.
    private static func fastMethod(_ headers: HPACKHeaders) -> (Method, String)? {
        guard let path = headers.first(name: ":path"), let method = Method(path: path),
              headers.first(name: ":method") == "POST",
              ["application/grpc", "application/grpc+proto"].contains(headers.first(name: "content-type"))
        else { return nil }
        if let encoding = headers.first(name: "grpc-encoding"), encoding != "identity" { return nil }
        return (method, path)
    }

    /// The remote address as grpc-swift's `ServerContext.remotePeer` gives it, for the audit log.
    static func peer(of stream: any Channel) -> String {
        guard let address = stream.parent?.remoteAddress else { return "unknown" }
        switch address {
        case .v4(let ip): return "ipv4:\(ip.host):\(address.port ?? 0)"
        case .v6(let ip): return "ipv6:[\(ip.host)]:\(address.port ?? 0)"
        case .unixDomainSocket: return "unix:\(address.pathname ?? "")"
        }
    }

    /// The whole request is in: decode it, answer it, or hand it to grpc-swift if it must wait.
    private func finish(context: ChannelHandlerContext) {
        guard case .receiving(let method, let caller, let requestHeaders, var body) = state else { return }
        let personalData = service.access.seesPersonalData(caller)
        guard let compressed = body.readInteger(as: UInt8.self), let length = body.readInteger(as: UInt32.self),
              compressed == 0, body.readableBytes == Int(length),
              let message = body.readBytes(length: Int(length))
        else {
            answer(.failure(C360Error(.invalidArgument, "the request is not one uncompressed length-prefixed gRPC message")), context: context)
            return
        }
        do {
            switch method {
            case .getProfile:
                let request = try C360_V1_GetProfileRequest(serializedBytes: message)
                guard request.minSeq <= service.store.changes.lastSeq else {
                    return handOver(requestHeaders, message: message, context: context)
                }
                answer(Result { () throws(C360Error) in try service.profile(request, personalData: personalData) }.map { $0 as any SwiftProtobuf.Message }, context: context)
            case .batchGetProfiles:
                let request = try C360_V1_BatchGetProfilesRequest(serializedBytes: message)
                guard request.minSeq <= service.store.changes.lastSeq else {
                    return handOver(requestHeaders, message: message, context: context)
                }
                answer(Result { () throws(C360Error) in
                    try service.checkBatchSize(request)
                    return service.profiles(request, personalData: personalData)
                }.map { $0 as any SwiftProtobuf.Message }, context: context)
            case .appendEvents:
                let request = try C360_V1_AppendEventsRequest(serializedBytes: message)
                do throws(C360Error) {
                    try service.checkAppendSize(request.events.count)
                } catch {
                    return answer(.failure(error), context: context)
                }
                if request.events.isEmpty { return answer(.success(C360_V1_AppendEventsResponse()), context: context) }
                state = .awaitingStore
                let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
                let eventLoop = context.eventLoop
                service.store.append(request.events) { outcomes in
                    let response = Result { () throws(C360Error) in
                        var recorded = C360_V1_AppendEventsResponse()
                        try ProfileRPCService.record(outcomes, startingAt: 0, into: &recorded)
                        return recorded as any SwiftProtobuf.Message
                    }
                    eventLoop.execute {
                        let (handler, context) = loopBound.value
                        handler.answer(response, context: context)
                    }
                }
            }
        } catch {
            answer(.failure(C360Error(.invalidArgument, "the request message could not be decoded: \(error)")), context: context)
        }
    }

    /// Passes the request on to grpc-swift as it arrived, and everything after it.
    private func handOver(_ requestHeaders: HTTP2Frame.FramePayload, message: [UInt8], context: ChannelHandlerContext) {
        state = .passingThrough
        var body = context.channel.allocator.buffer(capacity: message.count + 5)
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt32(message.count))
        body.writeBytes(message)
        context.fireChannelRead(wrapInboundOut(requestHeaders))
        context.fireChannelRead(wrapInboundOut(.data(.init(data: .byteBuffer(body), endStream: true))))
        context.fireChannelReadComplete()
    }

    /// Writes a whole gRPC response: headers, the message and `grpc-status: 0` trailers; or, for an
    /// error, trailers only, with the status, the message and the field at fault as grpc-swift's
    /// path writes them.
    private func answer(_ result: Result<any SwiftProtobuf.Message, C360Error>, context: ChannelHandlerContext) {
        state = .answered
        var response: [UInt8] = []
        var failure: C360Error?
        switch result {
        case .success(let message):
            do {
                response = try message.serializedBytes()
            } catch {
                failure = C360Error(.internalError, "the response could not be encoded: \(error)")
            }
        case .failure(let error):
            failure = error
        }
        if let failure {
            var trailers: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]
            trailers.add(name: "grpc-status", value: String(failure.rpcErrorCode.rawValue))
            trailers.add(name: "grpc-message", value: Self.percentEncoded(failure.rpcErrorMessage))
            if let field = failure.field { trailers.add(name: "c360-field", value: field) }
            context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: trailers, endStream: true))), promise: nil)
            return
        }
        var body = context.channel.allocator.buffer(capacity: response.count + 5)
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt32(response.count))
        body.writeBytes(response)
        context.write(wrapOutboundOut(.headers(.init(headers: [":status": "200", "content-type": "application/grpc"]))), promise: nil)
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: ["grpc-status": "0"], endStream: true))), promise: nil)
    }

    /// `grpc-message` as the gRPC spec wants it: bytes outside printable ASCII, and `%`, as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
