import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// The Swift transport's ceiling: a bare swift-nio-http2 server — the HTTP/2 implementation
/// grpc-swift and c360's fast path are built on — that answers every request with one fixed gRPC
/// response (headers, a length-prefixed message of zeros, `grpc-status: 0` trailers) and does
/// nothing else. No server written on swift-nio-http2 answers faster on this machine, so it
/// bounds what any change to c360's handlers can reach.
public enum TransportCeiling {
    /// Listens on `host:port` (0 picks a free port) until the returned channel is closed.
    public static func start(host: String, port: Int, messageBytes: Int) async throws -> any Channel {
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
