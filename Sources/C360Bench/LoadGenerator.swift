public import C360HTTP2
public import NIOCore
import NIOPosix
import Synchronization

/// The bodies a load generator posts: one of `choices` picked at random for each request (lookups
/// over random customers), and, when `numberOffsets` is set, a number unique to the request
/// written as 16 hex digits at that offset of the chosen body (appends with unique event ids).
/// Built once before the run, so that making a request costs a copy at most.
public struct RequestBodies: Sendable {
    public let choices: [ByteBuffer]
    public let numberOffsets: [Int]?

    public init(choices: [ByteBuffer], numberOffsets: [Int]? = nil) {
        precondition(!choices.isEmpty, "a load generator needs at least one request body")
        precondition(numberOffsets == nil || numberOffsets!.count == choices.count)
        self.choices = choices
        self.numberOffsets = numberOffsets
    }

    /// The same bytes posted by every request.
    public static func fixed(_ body: [UInt8]) -> RequestBodies {
        RequestBodies(choices: [ByteBuffer(bytes: body)])
    }

    /// The placeholder a numbered body carries where its number goes.
    public static let numberPlaceholder = String(repeating: "0", count: 16)

    /// A gRPC message framed for a request body (uncompressed, 4-byte length).
    public static func framed(_ message: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
        return buffer
    }

    /// The offset of `numberPlaceholder` in `body` (its last occurrence).
    public static func placeholderOffset(in body: ByteBuffer) -> Int? {
        let bytes = Array(body.readableBytesView)
        let placeholder = Array(numberPlaceholder.utf8)
        guard bytes.count >= placeholder.count else { return nil }
        for start in stride(from: bytes.count - placeholder.count, through: 0, by: -1)
        where bytes[start..<start + placeholder.count].elementsEqual(placeholder) {
            return start
        }
        return nil
    }

    func body(number: UInt64, random: inout LoadRandom) -> ByteBuffer {
        let index = choices.count == 1 ? 0 : Int(random.next() % UInt64(choices.count))
        guard let offsets = numberOffsets else { return choices[index] }
        var body = choices[index]
        let hex: StaticString = "0123456789abcdef"
        body.withUnsafeMutableReadableBytes { raw in
            for digit in 0..<16 {
                raw[offsets[index] + digit] = hex.utf8Start[Int((number >> UInt64(60 - 4 * digit)) & 0xF)]
            }
        }
        return body
    }
}

/// A small fast random number generator (xorshift64*), one per connection: the picks of a load
/// generator need speed, not quality.
struct LoadRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// What one load run measured.
public struct LoadFigures: Sendable {
    public var requests = 0
    /// Requests answered HTTP 200 with `grpc-status: 0` (or no grpc-status, for a plain HTTP/2
    /// server such as nghttpd).
    public var succeeded = 0
    public var failed = 0
    public var seconds = 0.0
    public var latency = LatencySamples()
    /// Failures by what they were: `grpc-status N`, `http N`, `reset N`.
    public var failures: [String: Int] = [:]
    /// What `examine` counted in the succeeded responses' bodies.
    public var counts: [String: Int] = [:]
    public var responseBodyBytes = 0
    public var connectionErrors: [String] = []

    public var requestsPerSecond: Double { seconds > 0 ? Double(succeeded) / seconds : 0 }

    mutating func merge(_ other: LoadFigures) {
        requests += other.requests
        succeeded += other.succeeded
        failed += other.failed
        latency.append(contentsOf: other.latency)
        failures.merge(other.failures, uniquingKeysWith: +)
        counts.merge(other.counts, uniquingKeysWith: +)
        responseBodyBytes += other.responseBodyBytes
        connectionErrors += other.connectionErrors
    }

    public var json: [String: Any] {
        var figures: [String: Any] = [
            "requests": requests, "succeeded": succeeded, "failed": failed, "seconds": seconds,
            "requests_per_second": requestsPerSecond, "response_body_bytes": responseBodyBytes,
        ]
        for (key, value) in latency.summary { figures[key] = value }
        if !failures.isEmpty { figures["failures"] = failures }
        if !counts.isEmpty { figures["counts"] = counts }
        if !connectionErrors.isEmpty { figures["connection_errors"] = Array(connectionErrors.prefix(5)) }
        return figures
    }
}

/// An HTTP/2 load generator on libnghttp2's client session (`HTTP2ClientSession`), SwiftNIO
/// sockets and event loops: `connections` connections, each keeping `streams` requests in flight,
/// posting bodies made in advance (`RequestBodies`). Written for c360's benchmark, where `h2load`
/// can only post one fixed body; like h2load it writes each connection's frames once per
/// event-loop tick and times each request from its submission to the end of its stream.
public struct LoadGenerator: Sendable {
    public enum Stop: Sendable {
        case requests(Int)
        case seconds(Double)
    }

    public var host: String
    public var port: Int
    public var path: String
    public var bodies: RequestBodies
    public var connections = 1
    public var streams = 1
    public var threads = 1
    public var stop = Stop.requests(10_000)
    /// Extra request headers (lowercase names), after the gRPC ones.
    public var headers: [HTTP2ServerSession.Header] = []
    /// Counts things in each succeeded response's body (kept only when this is set).
    public var examine: (@Sendable (ByteBuffer, inout [String: Int]) -> Void)?

    public init(host: String, port: Int, path: String, bodies: RequestBodies) {
        self.host = host
        self.port = port
        self.path = path
        self.bodies = bodies
    }

    public func run() async throws -> LoadFigures {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        do {
            let figures = try await run(on: group)
            try await group.shutdownGracefully()
            return figures
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func run(on group: MultiThreadedEventLoopGroup) async throws -> LoadFigures {
        let headerBlock = HTTP2HeaderBlock([
            .init(":method", "POST"), .init(":scheme", "http"), .init(":authority", "\(host):\(port)"), .init(":path", path),
            .init("content-type", "application/grpc"), .init("te", "trailers"),
        ] + headers)
        let shared = LoadRun(generator: self, headers: headerBlock)
        let start = monotonicNanoseconds()
        shared.start(at: start)
        var opened: [EventLoopFuture<LoadFigures>] = []
        for index in 0..<max(1, connections) {
            let eventLoop = group.next()
            let done = eventLoop.makePromise(of: LoadFigures.self)
            let connect = ClientBootstrap(group: eventLoop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            LoadConnection(run: shared, index: UInt64(index), done: done))
                    }
                }
                .connect(host: host, port: port)
            connect.whenFailure { done.fail($0) }
            opened.append(done.futureResult)
        }
        var total = LoadFigures()
        for connection in opened {
            do {
                total.merge(try await connection.get())
            } catch {
                total.connectionErrors.append("\(error)")
            }
        }
        total.seconds = Double(monotonicNanoseconds() - start) / 1e9
        return total
    }
}

/// What the connections of one run share: the plan and the count of requests started.
final class LoadRun: Sendable {
    let generator: LoadGenerator
    let headers: HTTP2HeaderBlock
    private let started = Atomic<Int>(0)
    private let deadline = Atomic<UInt64>(0)

    init(generator: LoadGenerator, headers: HTTP2HeaderBlock) {
        self.generator = generator
        self.headers = headers
    }

    func start(at now: UInt64) {
        if case .seconds(let seconds) = generator.stop {
            deadline.store(now + UInt64(seconds * 1e9), ordering: .relaxed)
        }
    }

    /// Whether another request may start `now`.
    func mayStart(now: UInt64) -> Bool {
        switch generator.stop {
        case .requests(let limit):
            return started.add(1, ordering: .relaxed).oldValue < limit
        case .seconds:
            return now < deadline.load(ordering: .relaxed)
        }
    }
}

/// One connection of a load run: keeps its streams full until the run says stop, then says
/// goodbye and reports what it measured.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let run: LoadRun
    private let index: UInt64
    private let done: EventLoopPromise<LoadFigures>
    private var session: HTTP2ClientSession?
    private var context: ChannelHandlerContext?
    /// Requests submitted and not yet answered.
    private var inFlight = 0
    private var figures = LoadFigures()
    private var random: LoadRandom
    private var number: UInt64 = 0
    private var finished = false
    private var stopping = false

    init(run: LoadRun, index: UInt64, done: EventLoopPromise<LoadFigures>) {
        self.run = run
        self.index = index
        self.done = done
        self.random = LoadRandom(seed: monotonicNanoseconds() &+ index &* 0x9E37_79B9)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        do {
            session = try HTTP2ClientSession(allocator: context.channel.allocator, keepBodies: run.generator.examine != nil)
        } catch {
            return fail(context, "\(error)")
        }
        fill(now: monotonicNanoseconds())
        flush(context)
        if stopping, inFlight == 0 { finish(context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session else { return }
        let responses: [HTTP2ClientSession.Response]
        do {
            responses = try session.receive(unwrapInboundIn(data))
        } catch {
            return fail(context, "\(error)")
        }
        guard !responses.isEmpty else { return }
        let now = monotonicNanoseconds()
        for response in responses {
            record(response, now: now)
        }
        fill(now: now)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context)
        if stopping, inFlight == 0 { finish(context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            if inFlight > 0 { figures.connectionErrors.append("the connection closed with \(inFlight) requests in flight") }
            figures.failed += inFlight
            inFlight = 0
            finished = true
            done.succeed(figures)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, "\(error)")
    }

    private func record(_ response: HTTP2ClientSession.Response, now: UInt64) {
        inFlight -= 1
        let sent = response.tag
        figures.requests += 1
        figures.responseBodyBytes += response.bodyBytes
        if response.errorCode != 0 {
            figures.failed += 1
            figures.failures["reset \(response.errorCode)", default: 0] += 1
        } else if response.status != 200 {
            figures.failed += 1
            figures.failures["http \(response.status)", default: 0] += 1
        } else if let grpcStatus = response.grpcStatus, grpcStatus != 0 {
            figures.failed += 1
            figures.failures["grpc-status \(grpcStatus)", default: 0] += 1
        } else {
            figures.succeeded += 1
            figures.latency.record(now - sent)
            if let examine = run.generator.examine, let body = response.body {
                examine(body, &figures.counts)
            }
        }
    }

    /// Starts requests until the connection has its streams in flight or the run says stop.
    private func fill(now: UInt64) {
        guard let session, !stopping else { return }
        let generator = run.generator
        while inFlight < generator.streams {
            guard run.mayStart(now: now) else {
                stopping = true
                break
            }
            number += 1
            let body = generator.bodies.body(number: index << 40 | number, random: &random)
            do {
                try session.submit(headers: run.headers, body: body, tag: now)
                inFlight += 1
            } catch {
                figures.failed += 1
                figures.failures["submit \(error.code)", default: 0] += 1
                stopping = true
                break
            }
        }
    }

    /// Writes what the session has to send. Requests that ended while it was sent (answered
    /// before their own last frame went out) are counted, and their streams refilled and written
    /// in turn.
    private func flush(_ context: ChannelHandlerContext) {
        guard let session else { return }
        while true {
            var buffer = context.channel.allocator.buffer(capacity: 0)
            let endedWhileSending: [HTTP2ClientSession.Response]
            do {
                endedWhileSending = try session.writePendingOutput(into: &buffer)
            } catch {
                return fail(context, "\(error)")
            }
            if buffer.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(buffer), promise: nil) }
            guard !endedWhileSending.isEmpty, !finished else { return }
            let now = monotonicNanoseconds()
            for response in endedWhileSending { record(response, now: now) }
            fill(now: now)
            if stopping, inFlight == 0 { return finish(context) }
        }
    }

    private func finish(_ context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        session?.goAway()
        flush(context)
        done.succeed(figures)
        context.close(promise: nil)
    }

    private func fail(_ context: ChannelHandlerContext, _ error: String) {
        guard !finished else { return }
        figures.connectionErrors.append(error)
        figures.failed += inFlight
        inFlight = 0
        finished = true
        done.succeed(figures)
        context.close(promise: nil)
    }
}
