public import C360HTTP2
public import NIOCore

/// One gRPC connection: the socket's bytes through libnghttp2 (`HTTP2ServerSession`), each request
/// stream checked as the gRPC over HTTP/2 specification says and handed to its method's handler,
/// answers framed back. Frames to send are gathered and written once per event-loop tick (once per
/// read burst, or once after the answers completed meanwhile), not once per answer.
public final class GRPCConnectionHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Limits of one connection.
    public struct Configuration: Sendable {
        public var session = HTTP2ServerSession.Settings()
        /// Longest request message accepted; a longer one ends its call `RESOURCE_EXHAUSTED`.
        public var maximumRequestMessageBytes = 4 << 20
        /// Request bytes all the connection's calls may hold at once (incomplete messages); a call
        /// that would pass it ends `RESOURCE_EXHAUSTED`.
        public var maximumBufferedRequestBytes = 64 << 20

        public init() {}
    }

    /// Fired through the pipeline (`fireUserInboundEventTriggered`) to shut the connection down
    /// gracefully: no new calls, those in flight finish, then GOAWAY.
    public struct GracefulShutdown: Sendable {
        public init() {}
    }

    /// The headers of every response that has a body, and the trailers of every call that ends OK
    /// with nothing more to say: encoded once.
    private static let responseHeaders = HTTP2HeaderBlock([.init(":status", "200"), .init("content-type", "application/grpc")])
    private static let okTrailers = HTTP2HeaderBlock([.init("grpc-status", "0")])

    private let configuration: Configuration
    private let routes: GRPCRoutes
    private var session: HTTP2ServerSession?
    private var context: ChannelHandlerContext?
    /// The calls whose streams are open, each holding its handler and request state.
    private var calls = StreamTable<GRPCServerCall>()
    private var reading = false
    private var flushScheduled = false
    private var shuttingDown = false
    private var peer = "unknown"
    /// Calls that asked to stop reading the socket.
    private var readingPausedBy = 0
    /// Calls whose writers wait for the client to read.
    private var drainWatchers = StreamTable<GRPCServerCall>()
    /// Bytes of unfinished request messages the connection's calls hold.
    private var totalBuffered = 0
    /// The path of the last call opened, and what serves it.
    private var lastRoute: (path: String, open: GRPCRoutes.Open?)?

    /// Calls on this connection that have not ended (read on its event loop).
    public var callsInFlight: Int { calls.count }

    public init(routes: GRPCRoutes, configuration: Configuration = Configuration()) {
        self.routes = routes
        self.configuration = configuration
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        peer = Self.describe(context.channel.remoteAddress)
        do {
            session = try HTTP2ServerSession(settings: configuration.session, allocator: context.channel.allocator)
        } catch {
            context.close(promise: nil)
            return
        }
        if context.channel.isActive { flush() }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelAll(GRPCStatus(.unavailable, "the connection closed"))
        self.context = nil
        session = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        peer = Self.describe(context.channel.remoteAddress)
        flush()
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        cancelAll(GRPCStatus(.unavailable, "the connection closed"))
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session else { return }
        reading = true
        do {
            for event in try session.receive(unwrapInboundIn(data)) {
                handle(event)
            }
        } catch {
            // A protocol error or a flood: nghttp2 has queued its GOAWAY; send it and close.
            reading = false
            flush()
            context.close(promise: nil)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        reading = false
        flush()
        context.fireChannelReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { flush() }
        context.fireChannelWritabilityChanged()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is GracefulShutdown {
            beginShutdown()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: Streams

    private func handle(_ event: HTTP2ServerSession.Event) {
        switch event {
        case .request(let streamID, let headers):
            open(streamID, headers)
        case .data(let streamID, let bytes):
            guard let call = calls[streamID], !call.isFinished, let handler = call.handler else { return }
            let before = call.deframer.bufferedBytes
            do {
                try call.deframer.append(bytes) { message in
                    if !call.isFinished { handler.receive(message) }
                }
                if buffered(adding: call.deframer.bufferedBytes - before) > configuration.maximumBufferedRequestBytes {
                    return end(streamID, GRPCStatus(.resourceExhausted, "the connection holds too many unfinished request messages"))
                }
            } catch {
                // What the failed append kept is counted, so that finishing the call releases it exactly.
                _ = buffered(adding: call.deframer.bufferedBytes - before)
                // A compression refused names the encodings accepted, as the specification asks.
                let accepted = error == .compressed ? [HTTP2ServerSession.Header("grpc-accept-encoding", "identity")] : []
                end(streamID, status(for: error, encoding: call.requestEncoding), trailers: accepted)
            }
        case .endOfRequest(let streamID):
            guard let call = calls[streamID], !call.isFinished, let handler = call.handler else { return }
            do {
                try call.deframer.end()
                handler.endOfRequest()
            } catch {
                end(streamID, status(for: error, encoding: call.requestEncoding))
            }
        case .closed(let streamID, let errorCode):
            guard let call = calls.removeValue(forKey: streamID) else { return }
            call.deadlineTask?.cancel()
            if !call.isFinished {
                totalBuffered -= call.deframer.bufferedBytes
                call.endWaits()
                call.handler?.cancelled(GRPCStatus(.cancelled, errorCode == 0 ? "the stream closed" : "the client reset the stream (HTTP/2 error \(errorCode))"))
            }
            call.detach()
            drainWatchers[streamID] = nil
            if shuttingDown, calls.isEmpty { finishShutdown() }
        }
    }

    private func buffered(adding change: Int) -> Int {
        totalBuffered += change
        return totalBuffered
    }

    /// Checks a new request as the gRPC over HTTP/2 specification says and starts its call.
    private func open(_ streamID: Int32, _ headers: [HTTP2ServerSession.Header]) {
        guard let session, let context else { return }
        if shuttingDown {
            // REFUSED_STREAM: the client may retry it elsewhere.
            session.reset(streamID: streamID, errorCode: 7)
            return
        }
        var method = "", path = "", contentType = "", timeout: String?, encoding: String?
        for header in headers {
            // By length first: an unequal String comparison is a call into the runtime, and a
            // request's seven or so headers met five of them each (2% of a call's CPU in `perf`).
            let name = header.name
            switch name.utf8.count {
            case 5 where name == ":path": path = header.value
            case 7 where name == ":method": method = header.value
            case 12 where name == "content-type": contentType = header.value
            case 12 where name == "grpc-timeout": timeout = header.value
            case 13 where name == "grpc-encoding": encoding = header.value == "identity" ? nil : header.value
            default: break
            }
        }
        guard method == "POST" else {
            return respondHTTP(streamID, status: "405")
        }
        guard contentType == "application/grpc" || contentType.hasPrefix("application/grpc+") || contentType.hasPrefix("application/grpc;") else {
            return respondHTTP(streamID, status: "415")
        }
        var deadline: NIODeadline?
        if let timeout {
            guard let nanoseconds = GRPCTimeout.nanoseconds(timeout) else {
                return respondTrailersOnly(streamID, GRPCStatus(.invalidArgument, "grpc-timeout \(timeout.prefix(16)) is not a valid timeout"))
            }
            deadline = context.eventLoop.now + .nanoseconds(nanoseconds)
        }
        // A connection calls one method again and again, and the session hands over the same
        // String for an unchanged :path: compared before the table is hashed.
        let route: (path: String, open: GRPCRoutes.Open?)
        if let last = lastRoute, last.path == path {
            route = last
        } else {
            route = (path: path, open: routes.methods[path] ?? routes.unknownMethod)
            lastRoute = route
        }
        guard let openCall = route.open else {
            return respondTrailersOnly(streamID, GRPCStatus(.unimplemented, "unknown method \(path)"))
        }
        let call = GRPCServerCall(streamID: streamID, path: path, requestHeaders: headers, eventLoop: context.eventLoop,
                                  peer: peer, deadline: deadline, connection: self,
                                  deframer: GRPCMessageDeframer(maximumMessageLength: configuration.maximumRequestMessageBytes),
                                  requestEncoding: encoding)
        call.handler = openCall(call)
        if let deadline, !call.isFinished {
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            call.deadlineTask = context.eventLoop.scheduleTask(deadline: deadline) {
                bound.value.end(streamID, GRPCStatus(.deadlineExceeded, "the call's deadline passed"))
            }
        }
        calls[streamID] = call
    }

    /// The status for a request body that cannot be read.
    private func status(for error: GRPCMessageDeframer.Failure, encoding: String?) -> GRPCStatus {
        switch error {
        case .tooLarge(let length, let limit):
            return GRPCStatus(.resourceExhausted, "the request message is \(length) bytes; at most \(limit) are accepted")
        case .compressed:
            if let encoding {
                return GRPCStatus(.unimplemented, "messages compressed with \(encoding.prefix(32)) are not accepted; send them uncompressed (grpc-accept-encoding: identity)")
            }
            return GRPCStatus(.internalError, "a message is marked compressed, but the request names no grpc-encoding")
        case .truncated:
            return GRPCStatus(.internalError, "the request ended in the middle of a message")
        }
    }

    /// Ends a call from the connection's side (a limit, its deadline), telling its handler.
    private func end(_ streamID: Int32, _ status: GRPCStatus, trailers: [HTTP2ServerSession.Header] = []) {
        guard let call = calls[streamID], !call.isFinished else { return }
        call.finish(status, trailers: trailers)
        call.handler?.cancelled(status)
    }

    // MARK: Answers (from GRPCServerCall)

    /// Sends the response headers, with `metadata` after the standard ones; false when the
    /// session refused them (the stream is reset then).
    @discardableResult
    func startResponse(_ call: GRPCServerCall, metadata: [HTTP2ServerSession.Header]) -> Bool {
        guard let session, !call.responseStarted else { return false }
        call.responseStarted = true
        defer { scheduleFlush() }
        do {
            let headers = metadata.isEmpty ? Self.responseHeaders
                : HTTP2HeaderBlock([.init(":status", "200"), .init("content-type", "application/grpc")] + metadata)
            try session.startResponse(streamID: call.streamID, headers: headers)
            return true
        } catch {
            session.reset(streamID: call.streamID, errorCode: 2)
            return false
        }
    }

    /// Sends one response message, framed once into a buffer of its own (the session keeps it as is).
    func send(_ message: some Collection<UInt8>, on call: GRPCServerCall) {
        guard let session, let context else { return }
        if !call.responseStarted, !startResponse(call, metadata: []) { return }
        var framed = context.channel.allocator.buffer(capacity: message.count + 5)
        GRPCMessageDeframer.frame(message, into: &framed)
        session.sendData(streamID: call.streamID, framed)
        scheduleFlush()
    }

    func bufferedBytes(of call: GRPCServerCall) -> Int {
        session?.bufferedBytes(streamID: call.streamID) ?? 0
    }

    func finish(_ call: GRPCServerCall, status: GRPCStatus, trailers: [HTTP2ServerSession.Header]) {
        guard let session else { return }
        call.deadlineTask?.cancel()
        if calls[call.streamID] === call {
            totalBuffered -= call.deframer.bufferedBytes
        }
        if call.responseStarted, status.code == .ok, status.message.isEmpty, trailers.isEmpty {
            session.finish(streamID: call.streamID, trailers: Self.okTrailers)
            scheduleFlush()
            return
        }
        let statusTrailers = Self.trailers(for: status) + trailers
        if call.responseStarted {
            session.finish(streamID: call.streamID, trailers: HTTP2HeaderBlock(statusTrailers))
        } else {
            call.responseStarted = true
            respondTrailersOnly(call.streamID, statusTrailers)
        }
        scheduleFlush()
    }

    /// The trailers that carry `status`, as the specification names them.
    private static func trailers(for status: GRPCStatus) -> [HTTP2ServerSession.Header] {
        var trailers = [HTTP2ServerSession.Header("grpc-status", String(status.code.rawValue))]
        if !status.message.isEmpty { trailers.append(.init("grpc-message", status.encodedMessage)) }
        return trailers
    }

    private func respondTrailersOnly(_ streamID: Int32, _ status: GRPCStatus) {
        respondTrailersOnly(streamID, Self.trailers(for: status))
    }

    private func respondTrailersOnly(_ streamID: Int32, _ trailers: [HTTP2ServerSession.Header]) {
        let headers = [HTTP2ServerSession.Header(":status", "200"), .init("content-type", "application/grpc")] + trailers
        do {
            try session?.respondWithHeadersOnly(streamID: streamID, headers: headers)
        } catch {
            session?.reset(streamID: streamID, errorCode: 2)
        }
    }

    /// An answer that is not gRPC at all (wrong method or content type), as the specification says.
    private func respondHTTP(_ streamID: Int32, status: String) {
        do {
            try session?.respondWithHeadersOnly(streamID: streamID, headers: [.init(":status", status)])
        } catch {
            session?.reset(streamID: streamID, errorCode: 2)
        }
    }

    // MARK: Reading and writing on behalf of calls

    func pauseReading() {
        readingPausedBy += 1
        if readingPausedBy == 1 { context?.channel.setOption(.autoRead, value: false).whenComplete { _ in } }
    }

    func resumeReading() {
        readingPausedBy -= 1
        guard readingPausedBy == 0, let context else { return }
        context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
        context.read()
    }

    func watchDrain(of call: GRPCServerCall) {
        drainWatchers[call.streamID] = call
    }

    // MARK: Writing and shutdown

    /// Writes once the current read burst or event-loop tick is over, however many answers were
    /// completed in it.
    private func scheduleFlush() {
        guard !reading, !flushScheduled, let context else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.flushScheduled = false
            bound.value.flush()
        }
    }

    private func flush() {
        guard let session, let context, context.channel.isActive else { return }
        // A client that does not read is held back here: nghttp2 keeps the frames meanwhile, and
        // stream flow control bounds what it keeps.
        guard context.channel.isWritable else { return }
        var buffer = context.channel.allocator.buffer(capacity: 0)
        let closedWhileSending: [HTTP2ServerSession.Event]
        do {
            closedWhileSending = try session.writePendingOutput(into: &buffer)
        } catch {
            context.close(promise: nil)
            return
        }
        if buffer.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
        // Streams whose last frames were just written: their calls are over and forgotten here
        // (they were kept until the connection closed, one per call).
        for event in closedWhileSending { handle(event) }
        if !drainWatchers.isEmpty {
            for (streamID, call) in drainWatchers where call.checkDrained() {
                drainWatchers[streamID] = nil
            }
        }
        if !session.wantsRead, !session.wantsWrite {
            context.close(promise: nil)
        }
    }

    private func beginShutdown() {
        guard !shuttingDown, let session else { return }
        shuttingDown = true
        session.announceShutdown()
        if calls.isEmpty { finishShutdown() } else { scheduleFlush() }
    }

    private func finishShutdown() {
        guard let session, let context else { return }
        session.goAway()
        flush()
        context.close(promise: nil)
    }

    private func cancelAll(_ status: GRPCStatus) {
        let open = calls
        calls.removeAll()
        totalBuffered = 0
        drainWatchers.removeAll()
        for (_, call) in open {
            call.deadlineTask?.cancel()
            if !call.isFinished {
                call.endWaits()
                call.handler?.cancelled(status)
            }
            call.detach()
        }
    }

    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        switch address {
        case .v4(let ip): return "ipv4:\(ip.host):\(address.port ?? 0)"
        case .v6(let ip): return "ipv6:[\(ip.host)]:\(address.port ?? 0)"
        case .unixDomainSocket: return "unix:\(address.pathname ?? "")"
        }
    }
}
