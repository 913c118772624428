public import C360Transport
public import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// The transports' ceilings: a bare server that answers every request with one fixed gRPC
/// response (headers, a length-prefixed message of zeros, `grpc-status: 0` trailers) and does
/// nothing else, on c360's transport (SwiftNIO sockets, libnghttp2, c360's gRPC layer) or on
/// swift-nio-http2 (what grpc-swift is built on). No server on the same transport answers faster,
/// so each bounds what any work behind it can reach.
public enum TransportCeiling {
    /// c360's transport: listens on `host:port` (0 picks a free port) until terminated.
    public static func startNGHTTP2(host: String, port: Int, messageBytes: Int) async throws -> GRPCServer {
        var message = ByteBuffer()
        message.writeRepeatingByte(0, count: messageBytes)
        let body = message
        return try await GRPCServer.bind(host: host, port: port, routes: {
            var routes = GRPCRoutes()
            routes.unknownMethod = { call in FixedAnswer(call: call, body: body) }
            return routes
        })
    }

    /// swift-nio-http2: listens on `host:port` (0 picks a free port) until the returned channel is closed.
    public static func startNIOHTTP2(host: String, port: Int, messageBytes: Int) async throws -> any Channel {
        var response = ByteBuffer()
        response.writeInteger(UInt8(0))
        response.writeInteger(UInt32(messageBytes))
        response.writeRepeatingByte(0, count: messageBytes)
        let body = response
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()
                    ) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(FixedResponder(body: body))
                        }
                    }
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

/// Answers a stream with the fixed response once the request has ended.
private final class FixedResponder: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let body: ByteBuffer
    private var answered = false

    init(body: ByteBuffer) {
        self.body = body
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let ended: Bool
        switch unwrapInboundIn(data) {
        case .headers(let headers): ended = headers.endStream
        case .data(let frame): ended = frame.endStream
        default: ended = false
        }
        guard ended, !answered else { return }
        answered = true
        context.write(wrapOutboundOut(.headers(.init(headers: [":status": "200", "content-type": "application/grpc"]))), promise: nil)
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: ["grpc-status": "0"], endStream: true))), promise: nil)
    }
}

/// Answers a call with the fixed message once its request has ended.
private final class FixedAnswer: GRPCCallHandler {
    private let call: GRPCServerCall
    private let body: ByteBuffer

    init(call: GRPCServerCall, body: ByteBuffer) {
        self.call = call
        self.body = body
    }

    func receive(_ message: ByteBuffer) {}

    func endOfRequest() {
        call.send(body)
        call.finish(.ok)
    }

    func cancelled(_ status: GRPCStatus) {}
}
