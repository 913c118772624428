import C360Generator
import C360HTTP2
import C360Transport
import NIOCore
import NIOEmbedded
import Testing

/// The connection handler with frames in and frames out, on an `EmbeddedChannel`.
@Suite struct GRPCConnectionHandlerTests {
    /// Answers each request message with the same bytes reversed, and ends when the request does.
    final class Reverser: GRPCCallHandler {
        let call: GRPCServerCall
        init(call: GRPCServerCall) { self.call = call }
        func receive(_ message: ByteBuffer) { call.send(ByteBuffer(bytes: Array(message.readableBytesView.reversed()))) }
        func endOfRequest() { call.finish(.ok) }
        func cancelled(_ status: GRPCStatus) {}
    }

    /// Never answers: for deadlines and cancellation.
    final class Silent: GRPCCallHandler {
        var cancellation: GRPCStatus?
        init() {}
        func receive(_ message: ByteBuffer) {}
        func endOfRequest() {}
        func cancelled(_ status: GRPCStatus) { cancellation = status }
    }

    /// Answers with one message of `Self.bytes` bytes.
    final class Large: GRPCCallHandler {
        static let bytes = 256 << 10
        let call: GRPCServerCall
        init(call: GRPCServerCall) { self.call = call }
        func receive(_ message: ByteBuffer) {}
        func endOfRequest() {
            call.send(ByteBuffer(repeating: 0x61, count: Self.bytes))
            call.finish(.ok)
        }
        func cancelled(_ status: GRPCStatus) {}
    }

    /// Keeps each call's request headers and ends it.
    final class HeaderRecorder: GRPCCallHandler {
        var seen: [[GRPCServerCall.Header]] = []
        func open(_ call: GRPCServerCall) -> any GRPCCallHandler {
            seen.append(call.requestHeaders)
            call.finish(.ok)
            return self
        }
        func receive(_ message: ByteBuffer) {}
        func endOfRequest() {}
        func cancelled(_ status: GRPCStatus) {}
    }

    struct Connection {
        let channel: EmbeddedChannel
        let handler: GRPCConnectionHandler
        var client = HTTP2TestClient()
        let silent = Silent()
        let recorder = HeaderRecorder()

        init(maximumMessageBytes: Int = 1_024) throws {
            var configuration = GRPCConnectionHandler.Configuration()
            configuration.maximumRequestMessageBytes = maximumMessageBytes
            var routes = GRPCRoutes()
            routes.methods["/test.Echo/Reverse"] = { Reverser(call: $0) }
            let silent = silent
            routes.methods["/test.Echo/Silent"] = { _ in silent }
            routes.methods["/test.Echo/Large"] = { Large(call: $0) }
            let recorder = recorder
            routes.methods["/test.Echo/Headers"] = { recorder.open($0) }
            handler = GRPCConnectionHandler(routes: routes, configuration: configuration)
            channel = EmbeddedChannel(handler: handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            try send(HTTP2TestClient.preface())
        }

        func send(_ bytes: ByteBuffer) throws {
            try channel.writeInbound(bytes)
            channel.pipeline.fireChannelReadComplete()
            channel.embeddedEventLoop.run()
        }

        /// Every frame the server wrote since the last call.
        mutating func written() throws -> [HTTP2TestClient.Frame] {
            var chunks: [ByteBuffer] = []
            while let chunk = try channel.readOutbound(as: ByteBuffer.self) { chunks.append(chunk) }
            return client.frames(from: chunks)
        }

        /// The decoded header blocks written for `stream`, and its DATA payloads.
        mutating func response(stream: UInt32) throws -> (headers: [[String: String]], data: [ByteBuffer], reset: Bool) {
            var headers: [[String: String]] = [], data: [ByteBuffer] = [], reset = false
            for frame in try written() {
                if frame.type == HTTP2TestClient.FrameType.headers.rawValue {
                    let block = try client.headers(of: frame)
                    if frame.streamID == stream { headers.append(block) }
                } else if frame.streamID == stream, frame.type == HTTP2TestClient.FrameType.data.rawValue {
                    data.append(frame.payload)
                } else if frame.streamID == stream, frame.type == HTTP2TestClient.FrameType.rstStream.rawValue {
                    reset = true
                }
            }
            return (headers, data, reset)
        }
    }

    @Test("a unary call: response headers, one length-prefixed message, trailers with grpc-status 0")
    func unary() throws {
        var connection = try Connection()
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Reverse"))
        try connection.send(HTTP2TestClient.data(stream: 1, messages: [Array("abc".utf8)]))
        let response = try connection.response(stream: 1)
        #expect(response.headers.count == 2)
        #expect(response.headers.first?[":status"] == "200")
        #expect(response.headers.first?["content-type"] == "application/grpc")
        #expect(response.headers.last?["grpc-status"] == "0")
        #expect(response.data.map { Array($0.readableBytesView) } == [[0, 0, 0, 0, 3] + Array("cba".utf8)])
    }

    @Test("calls that ended are forgotten: a long-lived connection holds only the calls in flight")
    func finishedCallsAreReleased() throws {
        var connection = try Connection()
        _ = try connection.written()
        for index in 0..<50 {
            let stream = UInt32(2 * index + 1)
            try connection.send(try connection.client.request(stream: stream, path: "/test.Echo/Reverse"))
            try connection.send(HTTP2TestClient.data(stream: stream, messages: [[UInt8(index)]]))
            #expect(try connection.response(stream: stream).headers.last?["grpc-status"] == "0")
        }
        // Trailers-only answers end their streams the same way.
        try connection.send(try connection.client.request(stream: 101, path: "/test.Echo/Nothing", endStream: true))
        #expect(try connection.response(stream: 101).headers.first?["grpc-status"] == "12")
        #expect(connection.handler.callsInFlight == 0)
        // A call still open is counted.
        try connection.send(try connection.client.request(stream: 103, path: "/test.Echo/Silent"))
        #expect(connection.handler.callsInFlight == 1)
    }

    @Test("an unknown method is UNIMPLEMENTED, in a trailers-only response")
    func unknownMethod() throws {
        var connection = try Connection()
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Nothing", endStream: true))
        let response = try connection.response(stream: 1)
        #expect(response.headers.count == 1)
        #expect(response.headers.first?["grpc-status"] == "12")
        #expect(response.headers.first?["grpc-message"] == "unknown method /test.Echo/Nothing")
        #expect(response.data.isEmpty)
    }

    @Test("a message over the limit ends its call RESOURCE_EXHAUSTED; another call on the connection goes on")
    func oversizedMessage() throws {
        var connection = try Connection(maximumMessageBytes: 16)
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Reverse"))
        try connection.send(HTTP2TestClient.data(stream: 1, messages: [Array(repeating: 1, count: 17)]))
        let refused = try connection.response(stream: 1)
        #expect(refused.headers.last?["grpc-status"] == "8")
        #expect(refused.headers.last?["grpc-message"]?.contains("17 bytes") == true)
        try connection.send(try connection.client.request(stream: 3, path: "/test.Echo/Reverse"))
        try connection.send(HTTP2TestClient.data(stream: 3, messages: [[1, 2]]))
        #expect(try connection.response(stream: 3).headers.last?["grpc-status"] == "0")
    }

    @Test("a compressed message under grpc-encoding gzip is UNIMPLEMENTED, naming the encodings accepted")
    func compressed() throws {
        var connection = try Connection()
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Reverse", extra: [("grpc-encoding", "gzip")]))
        try connection.send(HTTP2TestClient.data(stream: 1, messages: [[1, 2, 3]], compressed: true))
        let response = try connection.response(stream: 1)
        #expect(response.headers.last?["grpc-status"] == "12")
        #expect(response.headers.last?["grpc-accept-encoding"] == "identity")
    }

    @Test("a request that is not gRPC gets HTTP 415")
    func contentType() throws {
        var connection = try Connection()
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Reverse", contentType: "application/json", endStream: true))
        #expect(try connection.response(stream: 1).headers.first?[":status"] == "415")
    }

    @Test("a header list over the bound resets its stream alone")
    func oversizedHeaders() throws {
        var connection = try Connection()
        _ = try connection.written()
        let big = String(repeating: "x", count: 16_500)
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Reverse", extra: [("x-big", big)], endStream: true))
        #expect(try connection.response(stream: 1).reset)
        try connection.send(try connection.client.request(stream: 3, path: "/test.Echo/Reverse"))
        try connection.send(HTTP2TestClient.data(stream: 3, messages: [[7]]))
        #expect(try connection.response(stream: 3).headers.last?["grpc-status"] == "0")
    }

    @Test("grpc-timeout: the call ends DEADLINE_EXCEEDED and its handler is told")
    func deadline() throws {
        var connection = try Connection()
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Silent", extra: [("grpc-timeout", "50m")]))
        connection.channel.embeddedEventLoop.advanceTime(by: .milliseconds(49))
        #expect(try connection.response(stream: 1).headers.isEmpty)
        connection.channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        #expect(try connection.response(stream: 1).headers.last?["grpc-status"] == "4")
        #expect(connection.silent.cancellation?.code == .deadlineExceeded)
    }

    @Test("a malformed grpc-timeout is INVALID_ARGUMENT")
    func badTimeout() throws {
        var connection = try Connection()
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Reverse", extra: [("grpc-timeout", "soon")], endStream: true))
        #expect(try connection.response(stream: 1).headers.first?["grpc-status"] == "3")
    }

    @Test("a client reset cancels the call's handler")
    func clientReset() throws {
        var connection = try Connection()
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Silent"))
        var code = ByteBuffer()
        code.writeInteger(UInt32(8))
        try connection.send(HTTP2TestClient.frame(.rstStream, flags: 0, stream: 1, payload: code))
        #expect(connection.silent.cancellation?.code == .cancelled)
    }

    @Test("request headers arrive as sent, whether a request repeats the last one's, drops some, adds some or changes one", arguments: [1, 2, 3])
    func requestHeaders(seed: UInt64) throws {
        var connection = try Connection()
        _ = try connection.written()
        var random = SeededRandom(seed: seed)
        let choices: [[(String, String)]] = [
            [], [("x-a", "1")], [("x-a", "2")], [("x-b", "1")], [("x-a", "1"), ("x-b", "2")], [("x-a", "1"), ("x-b", "3")],
            [("x-a", "1"), ("x-b", "2"), ("authorization", "Bearer \(String(repeating: "t", count: 40))")], [("x-b", "2"), ("x-a", "1")],
        ]
        var expected: [[GRPCServerCall.Header]] = []
        for index in 0..<300 {
            let extra = random.pick(choices)
            let stream = UInt32(2 * index + 1)
            try connection.send(try connection.client.request(stream: stream, path: "/test.Echo/Headers", extra: extra, endStream: true))
            expected.append([.init(":method", "POST"), .init(":scheme", "http"), .init(":path", "/test.Echo/Headers"), .init(":authority", "localhost"),
                             .init("content-type", "application/grpc"), .init("te", "trailers")] + extra.map { .init($0.0, $0.1) })
            _ = try connection.written()
        }
        let seen = connection.recorder.seen
        #expect(seen.count == expected.count)
        if let index = seen.indices.first(where: { $0 < expected.count && seen[$0] != expected[$0] }) {
            let describe = { (headers: [GRPCServerCall.Header]) in headers.map { "\($0.name): \($0.value)" }.joined(separator: ", ") }
            Issue.record("request \(index) arrived as [\(describe(seen[index]))], sent as [\(describe(expected[index]))]")
        }
    }

    @Test("responses on one connection share it in turns: a large one does not hold back a small one behind it")
    func responsesInterleave() throws {
        var connection = try Connection()
        _ = try connection.written()
        // A window that lets the large answer go in one piece, so that only scheduling decides.
        var settings = ByteBuffer()
        settings.writeInteger(UInt16(0x4))
        settings.writeInteger(UInt32(1 << 20))
        var increment = ByteBuffer()
        increment.writeInteger(UInt32(1 << 20))
        var opening = HTTP2TestClient.frame(.settings, flags: 0, stream: 0, payload: settings)
        var window = HTTP2TestClient.frame(.windowUpdate, flags: 0, stream: 0, payload: increment)
        opening.writeBuffer(&window)
        try connection.send(opening)
        _ = try connection.written()

        // Both calls complete in one read: the large answer is queued first.
        var requests = try connection.client.request(stream: 1, path: "/test.Echo/Large", endStream: true)
        var small = try connection.client.request(stream: 3, path: "/test.Echo/Reverse")
        var message = HTTP2TestClient.data(stream: 3, messages: [[1, 2, 3]])
        requests.writeBuffer(&small)
        requests.writeBuffer(&message)
        try connection.send(requests)

        let frames = try connection.written()
        let largeData = frames.filter { $0.streamID == 1 && $0.type == HTTP2TestClient.FrameType.data.rawValue }
        #expect(largeData.reduce(0) { $0 + $1.payload.readableBytes } == Large.bytes + 5)
        let smallEnd = try #require(frames.firstIndex { $0.streamID == 3 && $0.endStream })
        let largeEnd = try #require(frames.firstIndex { $0.streamID == 1 && $0.endStream })
        #expect(smallEnd < largeEnd)
        // At most one frame of the large answer went ahead of the small one's message.
        let largeBeforeSmall = frames[..<smallEnd].filter { $0.streamID == 1 && $0.type == HTTP2TestClient.FrameType.data.rawValue }
        #expect(largeBeforeSmall.count <= 1)
    }

    @Test("graceful shutdown: calls in flight finish, then GOAWAY; new streams are refused")
    func gracefulShutdown() throws {
        var connection = try Connection()
        _ = try connection.written()
        try connection.send(try connection.client.request(stream: 1, path: "/test.Echo/Reverse"))
        connection.channel.pipeline.fireUserInboundEventTriggered(GRPCConnectionHandler.GracefulShutdown())
        connection.channel.embeddedEventLoop.run()
        try connection.send(try connection.client.request(stream: 3, path: "/test.Echo/Reverse", endStream: true))
        try connection.send(HTTP2TestClient.data(stream: 1, messages: [[1]]))
        let frames = try connection.written()
        #expect(frames.contains { $0.type == HTTP2TestClient.FrameType.rstStream.rawValue && $0.streamID == 3 })
        #expect(frames.contains { $0.type == HTTP2TestClient.FrameType.goAway.rawValue })
        #expect(frames.contains { $0.type == HTTP2TestClient.FrameType.data.rawValue && $0.streamID == 1 })
    }
}
