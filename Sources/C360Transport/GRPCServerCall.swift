public import C360HTTP2
public import NIOCore

/// What serves one call of a method: told of each request message, of the end of the request,
/// and of the call's end by the client, its deadline or the connection. It answers through its
/// `GRPCServerCall`. Every method is called on the connection's event loop.
public protocol GRPCCallHandler: AnyObject {
    func receive(_ message: ByteBuffer)
    func endOfRequest()
    /// The call ended without the handler finishing it; `status` says why. Stop its work.
    func cancelled(_ status: GRPCStatus)
}

/// The methods a server serves, by path (`/package.Service/Method`).
public struct GRPCRoutes {
    /// Makes the handler of a new call.
    public typealias Open = (GRPCServerCall) -> any GRPCCallHandler
    public var methods: [String: Open] = [:]
    /// Serves a path that is not in `methods`; without one, such a call ends `UNIMPLEMENTED`.
    public var unknownMethod: Open?

    public init() {}
}

/// One call on a connection, as the method serving it sees it: the request's headers, and the
/// way to answer. Used on the connection's event loop only (`eventLoop`); work done elsewhere
/// hops back to it to answer.
public final class GRPCServerCall {
    public typealias Header = HTTP2ServerSession.Header

    public let path: String
    public let requestHeaders: [Header]
    public let eventLoop: any EventLoop
    /// The client's address, `ipv4:HOST:PORT` or `ipv6:[HOST]:PORT`.
    public let peer: String
    /// When the client stops waiting (`grpc-timeout`), if it said.
    public let deadline: NIODeadline?
    /// True once `finish` was called or the call was cancelled: further answers are dropped.
    public internal(set) var isFinished = false

    let streamID: Int32
    /// The connection, until the call's stream is gone (`detach`): strong rather than weak, since
    /// a weak reference cost a side-table load on every answer, and the connection lets go of its
    /// calls as their streams close.
    private(set) var connection: GRPCConnectionHandler?
    /// What serves the call; let go with the connection, ending the cycle between the two.
    var handler: (any GRPCCallHandler)?
    /// The request's messages as they arrive, and its `grpc-encoding` when not identity.
    var deframer: GRPCMessageDeframer
    let requestEncoding: String?
    var deadlineTask: Scheduled<Void>?
    var responseStarted = false
    private var readingPaused = false
    private var drained: EventLoopPromise<Void>?

    init(
        streamID: Int32, path: String, requestHeaders: [Header], eventLoop: any EventLoop, peer: String, deadline: NIODeadline?,
        connection: GRPCConnectionHandler, deframer: GRPCMessageDeframer, requestEncoding: String?
    ) {
        self.streamID = streamID
        self.path = path
        self.requestHeaders = requestHeaders
        self.eventLoop = eventLoop
        self.peer = peer
        self.deadline = deadline
        self.connection = connection
        self.deframer = deframer
        self.requestEncoding = requestEncoding
    }

    /// The call's stream is gone: nothing more reaches the connection, and the handler is let go.
    func detach() {
        isFinished = true
        connection = nil
        handler = nil
    }

    /// The first value of request header `name` (lowercase).
    public func header(_ name: String) -> String? {
        requestHeaders.first { $0.name == name }?.value
    }

    /// Sends the response headers now, with `metadata` (custom response headers, lowercase names;
    /// `-bin` values base64) after the standard ones. Without it they go with the first message.
    /// Does nothing once the response has started.
    public func sendInitialMetadata(_ metadata: [Header]) {
        guard !isFinished, !responseStarted else { return }
        connection?.startResponse(self, metadata: metadata)
    }

    /// Sends one response message (its bytes, without the gRPC prefix).
    public func send(_ message: ByteBuffer) {
        guard !isFinished else { return }
        connection?.send(message.readableBytesView, on: self)
    }

    /// Sends one response message (its bytes, without the gRPC prefix).
    public func send(_ message: [UInt8]) {
        guard !isFinished else { return }
        connection?.send(message, on: self)
    }

    /// Bytes of this call's response waiting for the client to read them: a producer of a stream
    /// waits while this is high (HTTP/2 flow control holds them back from a slow reader).
    public var bufferedResponseBytes: Int {
        connection?.bufferedBytes(of: self) ?? 0
    }

    /// Ends the call with `status` (and extra trailers), after the messages sent before.
    public func finish(_ status: GRPCStatus, trailers: [Header] = []) {
        guard !isFinished else { return }
        isFinished = true
        connection?.finish(self, status: status, trailers: trailers)
        endWaits()
    }

    /// Stops reading the connection's socket until `resumeReadingIfPaused`: the call's handler
    /// has more request messages queued than it wants.
    public func pauseReading() {
        guard !readingPaused, !isFinished else { return }
        readingPaused = true
        connection?.pauseReading()
    }

    public func resumeReadingIfPaused() {
        guard readingPaused else { return }
        readingPaused = false
        connection?.resumeReading()
    }

    /// Succeeds once the call's queued response bytes are down to half the writer's high water
    /// mark; fails with `CancellationError` if the call ends first.
    func whenDrained() -> EventLoopFuture<Void> {
        if isFinished { return eventLoop.makeFailedFuture(CancellationError()) }
        if bufferedResponseBytes <= GRPCResponseWriter.highWaterBytes / 2 { return eventLoop.makeSucceededVoidFuture() }
        let promise = drained ?? eventLoop.makePromise()
        drained = promise
        connection?.watchDrain(of: self)
        return promise.futureResult
    }

    /// Called by the connection after writing: releases a writer waiting for the client to read.
    func checkDrained() -> Bool {
        guard let drained else { return true }
        if isFinished {
            self.drained = nil
            drained.fail(CancellationError())
            return true
        }
        guard bufferedResponseBytes <= GRPCResponseWriter.highWaterBytes / 2 else { return false }
        self.drained = nil
        drained.succeed()
        return true
    }

    /// The call is over, however it ended: nothing may wait on it any more.
    func endWaits() {
        isFinished = true
        resumeReadingIfPaused()
        _ = checkDrained()
    }
}
