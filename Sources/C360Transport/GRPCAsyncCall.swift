public import NIOCore
import Synchronization

/// Serves a call in a Swift task: the body reads the request messages as an async sequence and
/// writes response messages through a `GRPCResponseWriter`, then returns the status to end with.
/// The task is cancelled when the call ends early (client reset, deadline, connection closed).
///
/// Request messages the body has not taken yet are bounded: past `maximumQueuedMessages` the
/// connection stops reading from its socket until the body catches up, so HTTP/2 flow control
/// holds the client back rather than the server's memory.
public final class GRPCAsyncCall: GRPCCallHandler {
    public typealias Body = @Sendable (GRPCRequestMessages, GRPCResponseWriter) async -> (GRPCStatus, [GRPCServerCall.Header])

    /// Queued request messages past which reading pauses.
    public static let maximumQueuedMessages = 16

    private let call: GRPCServerCall
    private let continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    private let queued: GRPCRequestMessages.Counter
    private var task: Task<Void, Never>?
    private var paused = false

    /// `executor`, when given, runs the body's task instead of the shared cooperative pool.
    public init(call: GRPCServerCall, executor: (any TaskExecutor)? = nil, body: @escaping Body) {
        self.call = call
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        self.continuation = continuation
        let queued = GRPCRequestMessages.Counter()
        self.queued = queued
        let bound = NIOLoopBound(call, eventLoop: call.eventLoop)
        let eventLoop = call.eventLoop
        let messages = GRPCRequestMessages(stream: stream, counter: queued) {
            // Taken below the bound again: read on.
            eventLoop.execute { bound.value.resumeReadingIfPaused() }
        }
        let writer = GRPCResponseWriter(call: bound, eventLoop: eventLoop)
        task = Task(executorPreference: executor) {
            let (status, trailers) = await body(messages, writer)
            eventLoop.execute { bound.value.finish(status, trailers: trailers) }
        }
    }

    public func receive(_ message: ByteBuffer) {
        continuation.yield(message)
        if queued.add(1) > Self.maximumQueuedMessages { call.pauseReading() }
    }

    public func endOfRequest() {
        continuation.finish()
    }

    public func cancelled(_ status: GRPCStatus) {
        continuation.finish(throwing: CancellationError())
        task?.cancel()
        call.resumeReadingIfPaused()
    }
}

/// The request messages of a call served in a task, in order; ends when the client ends the
/// request, throws `CancellationError` when the call is cancelled.
public struct GRPCRequestMessages: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        /// Returns the new count.
        func add(_ amount: Int) -> Int { value.add(amount, ordering: .relaxed).newValue }
    }

    let stream: AsyncThrowingStream<ByteBuffer, any Error>
    let counter: Counter
    let onBelowBound: @Sendable () -> Void

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let counter: Counter
        let onBelowBound: @Sendable () -> Void

        public mutating func next() async throws -> ByteBuffer? {
            guard let message = try await base.next() else { return nil }
            if counter.add(-1) == GRPCAsyncCall.maximumQueuedMessages / 2 { onBelowBound() }
            return message
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), counter: counter, onBelowBound: onBelowBound)
    }
}

/// Writes a call's response messages from any task, waiting while the client has not read what
/// was sent (flow control), so that a slow reader does not grow the server's memory.
public struct GRPCResponseWriter: Sendable {
    /// Response bytes queued for a call past which `write` waits.
    public static let highWaterBytes = 1 << 20

    let call: NIOLoopBound<GRPCServerCall>
    let eventLoop: any EventLoop

    /// Sends the response headers with `metadata` after the standard ones (see
    /// `GRPCServerCall.sendInitialMetadata`).
    /// - Throws: `CancellationError` once the call has ended.
    public func sendInitialMetadata(_ metadata: [GRPCServerCall.Header]) async throws {
        let call = self.call
        try await eventLoop.submit { () throws in
            guard !call.value.isFinished else { throw CancellationError() }
            call.value.sendInitialMetadata(metadata)
        }.get()
    }

    /// Sends one message (its bytes, without the gRPC prefix).
    /// - Throws: `CancellationError` once the call has ended.
    public func write(_ message: ByteBuffer) async throws {
        let call = self.call
        let mustWait = try await eventLoop.submit { () throws -> Bool in
            let served = call.value
            guard !served.isFinished else { throw CancellationError() }
            served.send(message)
            return served.bufferedResponseBytes > Self.highWaterBytes
        }.get()
        if mustWait {
            try await eventLoop.flatSubmit { call.value.whenDrained() }.get()
        }
    }
}
