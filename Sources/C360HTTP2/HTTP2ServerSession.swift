import CNGHTTP2
#if canImport(Glibc)
import Glibc
#endif
public import NIOCore

/// One HTTP/2 server connection's protocol state, kept by libnghttp2: bytes from the client go in
/// through `receive(_:)` and come back as stream events; responses are submitted per stream and
/// the frames to send are drained with `writePendingOutput(into:)`. No I/O: the connection's
/// channel handler moves the bytes.
///
/// Not thread-safe: one connection's event loop owns it. Raw pointers stay inside this type.
///
/// ```swift
/// let session = try HTTP2ServerSession(settings: .init(), allocator: channel.allocator)
/// for event in try session.receive(bytes) { ... }
/// session.writePendingOutput(into: &outbound)
/// ```
public final class HTTP2ServerSession {
    /// What the server announces and enforces.
    public struct Settings: Sendable {
        /// Streams a client may have open at once. Default 100.
        public var maxConcurrentStreams: UInt32 = 100
        /// Bytes a client may send on one stream before the server grants more. Default 1 MiB, so
        /// that a request of a few hundred KiB does not wait for window updates.
        public var initialWindowSize: UInt32 = 1 << 20
        /// Largest header list (names and values, plus 32 bytes per field as RFC 9113 counts) a
        /// request may carry; a larger one resets its stream. Default 16 KiB.
        public var maxHeaderListSize: UInt32 = 16 << 10
        /// Stream resets a client may cause in a burst, and per second after it, before the
        /// connection is closed (the rapid-reset attack).
        public var streamResetBurst: UInt64 = 1_000
        public var streamResetsPerSecond: UInt64 = 33
        /// CONTINUATION frames one header block may span.
        public var maxContinuations = 8
        /// SETTINGS entries one frame may carry.
        public var maxSettingsEntries = 32

        public init() {}
    }

    /// One name and value of a header list.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// What the client did, in the order it happened.
    public enum Event {
        /// A new request's header block.
        case request(streamID: Int32, headers: [Header])
        /// Bytes of a request's body.
        case data(streamID: Int32, ByteBuffer)
        /// The client finished sending on the stream.
        case endOfRequest(streamID: Int32)
        /// The stream is gone, closed normally (`errorCode` 0) or reset by either side.
        case closed(streamID: Int32, errorCode: UInt32)
    }

    /// RFC 9218's default urgency.
    private static let defaultUrgency: UInt32 = 3

    private let session: OpaquePointer
    private let allocator: ByteBufferAllocator
    private let maxHeaderListSize: Int
    private var events: [Event] = []
    /// The request header block being received. HTTP/2 never interleaves header blocks on a
    /// connection, so one is enough.
    private var incomingStream: Int32 = 0
    private var incomingSize = 0
    private var incomingHeaders = RequestHeaderList()
    private var outbound = StreamTable<OutboundStream>()
    /// The client's bytes `receive` is feeding to nghttp2 right now: a DATA payload inside them
    /// is handed on as a slice of them, not copied.
    private var input: ByteBuffer?
    private var inputBase: UnsafeRawPointer?

    /// A class, so that a response's state is changed where the table holds it: changing a
    /// struct inside a dictionary through an optional chain allocated (a coroutine frame per
    /// access level, three per call in `perf`).
    private final class OutboundStream {
        /// Body bytes nghttp2 has not taken yet.
        var buffered: ByteBuffer?
        /// Set when the response is complete: sent once `buffered` is (nil inside: no trailers).
        var trailers: HTTP2HeaderBlock??
        /// nghttp2 was told there is nothing to send yet, and must be told when there is.
        var deferred = false
    }

    /// - Throws: `HTTP2SessionError` when libnghttp2 cannot create the session.
    public init(settings: Settings = Settings(), allocator: ByteBufferAllocator) throws(HTTP2SessionError) {
        self.allocator = allocator
        self.maxHeaderListSize = Int(settings.maxHeaderListSize)
        var callbacks: OpaquePointer?
        try checkNGHTTP2(nghttp2_session_callbacks_new(&callbacks), "creating the session's callbacks")
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(on: callbacks)

        var option: OpaquePointer?
        try checkNGHTTP2(nghttp2_option_new(&option), "creating the session's options")
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_max_settings(option, settings.maxSettingsEntries)
        nghttp2_option_set_max_continuations(option, settings.maxContinuations)
        nghttp2_option_set_stream_reset_rate_limit(option, settings.streamResetBurst, settings.streamResetsPerSecond)
        // A flood of frames that need an answer (PING, SETTINGS) ends the connection instead of
        // queueing answers without bound.
        nghttp2_option_set_max_outbound_ack(option, 1_000)

        var created: OpaquePointer?
        // The session is created before `self` is complete, so user data is set right after.
        try checkNGHTTP2(nghttp2_session_server_new2(&created, callbacks, nil, option), "creating the session")
        guard let created else { throw HTTP2SessionError("creating the session", code: -1) }
        self.session = created
        nghttp2_session_set_user_data(created, Unmanaged.passUnretained(self).toOpaque())

        let entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListSize),
            // gRPC has no use for RFC 7540's priority tree, and keeping it cost nghttp2 a tree
            // update per stream opened and closed plus every closed stream kept for a while:
            // without it, 5–10% less server CPU per call of the bare transport. Streams are then
            // scheduled by RFC 9218's urgency, each response marked incremental (`startResponse`).
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES.rawValue), value: 1),
        ]
        try checkNGHTTP2(nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count), "submitting SETTINGS")
        // The connection's own window, so that many streams' requests are not held back by it.
        let connectionWindow = Int32(clamping: Int(settings.initialWindowSize) * 4)
        try checkNGHTTP2(nghttp2_session_set_local_window_size(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, connectionWindow), "widening the connection window")
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: Reading

    /// Feeds the client's bytes to the session and returns what they did.
    /// - Throws: `HTTP2SessionError` when the connection must end (a protocol error, a flood): the
    ///   frames still pending (a GOAWAY) should be written before closing.
    public func receive(_ bytes: ByteBuffer) throws(HTTP2SessionError) -> [Event] {
        events.removeAll(keepingCapacity: true)
        input = bytes
        defer {
            input = nil
            inputBase = nil
        }
        let result = bytes.withUnsafeReadableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            inputBase = base
            return nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        if result < 0 { throw HTTP2SessionError("reading the client's frames", code: Int32(result)) }
        return events
    }

    /// Whether the session expects more from the client (false once both sides said goodbye).
    public var wantsRead: Bool { nghttp2_session_want_read(session) != 0 }
    /// Whether the session has frames to send or could send more.
    public var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }

    // MARK: Writing

    /// Starts a response on `streamID` with `headers`; its body follows through `sendData` and it
    /// ends with `finish`.
    public func startResponse(streamID: Int32, headers: HTTP2HeaderBlock) throws(HTTP2SessionError) {
        outbound[streamID] = OutboundStream()
        // Incremental, so that the connection's responses share it in turns, as RFC 7540's equal
        // weights did: a non-incremental one would keep it while it has bytes and window, and a
        // large answer or a busy server stream would hold back every small answer behind it.
        var priority = nghttp2_extpri(urgency: Self.defaultUrgency, inc: 1)
        _ = nghttp2_session_change_extpri_stream_priority(session, streamID, &priority, 1)
        var provider = nghttp2_data_provider()
        provider.read_callback = Self.readBody
        let result = headers.withList { list, count in
            nghttp2_submit_response(session, streamID, list, count, &provider)
        }
        if result != 0 {
            outbound[streamID] = nil
            throw HTTP2SessionError("starting a response", code: result)
        }
    }

    /// Queues body bytes on a started response (kept as they are when nothing else is queued).
    public func sendData(streamID: Int32, _ bytes: ByteBuffer) {
        guard let stream = outbound[streamID] else { return }
        if var queued = stream.buffered, queued.readableBytes > 0 {
            stream.buffered = nil
            var bytes = bytes
            queued.writeBuffer(&bytes)
            stream.buffered = queued
        } else {
            stream.buffered = bytes
        }
        resume(stream, streamID)
    }

    /// Ends a started response with `trailers` (nil: none), once its queued body is sent.
    public func finish(streamID: Int32, trailers: HTTP2HeaderBlock?) {
        guard let stream = outbound[streamID] else { return }
        stream.trailers = .some(trailers)
        resume(stream, streamID)
    }

    /// A whole response in one HEADERS frame that ends the stream (gRPC's trailers-only response).
    public func respondWithHeadersOnly(streamID: Int32, headers: [Header]) throws(HTTP2SessionError) {
        outbound[streamID] = nil
        let result = HTTP2HeaderBlock(headers).withList { list, count in
            nghttp2_submit_response(session, streamID, list, count, nil)
        }
        if result != 0 { throw HTTP2SessionError("sending a response", code: result) }
    }

    /// Resets a stream (RST_STREAM) with an HTTP/2 error code.
    public func reset(streamID: Int32, errorCode: UInt32) {
        outbound[streamID] = nil
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Bytes queued on a stream's response and not yet taken by the session (flow control holds
    /// them back from a slow reader).
    public func bufferedBytes(streamID: Int32) -> Int {
        outbound[streamID]?.buffered?.readableBytes ?? 0
    }

    /// Tells the client that no new streams will be served (a GOAWAY announcing shutdown); streams
    /// already open go on. Call `goAway()` once they are done.
    public func announceShutdown() {
        _ = nghttp2_submit_shutdown_notice(session)
    }

    /// The final GOAWAY: streams after the last one processed are refused.
    public func goAway(errorCode: UInt32 = 0) {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, nil, 0)
    }

    /// Appends every frame the session has to send now to `buffer`, and returns what happened
    /// meanwhile: the streams whose last frame was among them are closed (`.closed`) — a unary
    /// call's stream ends when its trailers are sent, so this is where most streams end.
    /// - Throws: `HTTP2SessionError` when the session failed (the connection should close).
    @discardableResult
    public func writePendingOutput(into buffer: inout ByteBuffer) throws(HTTP2SessionError) -> [Event] {
        events.removeAll(keepingCapacity: true)
        try drainFrames(of: session, into: &buffer)
        return events
    }

    // MARK: Callbacks

    private func resume(_ stream: OutboundStream, _ streamID: Int32) {
        guard stream.deferred else { return }
        stream.deferred = false
        _ = nghttp2_session_resume_data(session, streamID)
    }

    /// No header block is being received any more (`keepingStream`: a new one starts on it).
    private func forgetIncoming(keepingStream: Bool) {
        if !keepingStream { incomingStream = 0 }
        incomingSize = 0
        incomingHeaders.reset()
    }

    /// Runs a callback's `body` on the session nghttp2 called back for, without retaining it: the
    /// session outlives every call into nghttp2 (a retain and a release per callback, and a request
    /// makes a dozen, were 1% of a call in `perf`).
    @inline(__always)
    private static func withOwner<Result>(_ userData: UnsafeMutableRawPointer?, otherwise: Result, _ body: (HTTP2ServerSession) -> Result) -> Result {
        guard let userData else { return otherwise }
        return Unmanaged<HTTP2ServerSession>.fromOpaque(userData)._withUnsafeGuaranteedRef(body)
    }

    private static func install(on callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            return HTTP2ServerSession.withOwner(userData, otherwise: 0) { owner in
                if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                    owner.incomingStream = frame.pointee.hd.stream_id
                    owner.forgetIncoming(keepingStream: true)
                }
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name, let value else { return 0 }
            return HTTP2ServerSession.withOwner(userData, otherwise: 0) { owner in
                // Trailers from a client carry nothing gRPC uses: only their end of stream counts.
                guard frame.pointee.hd.stream_id == owner.incomingStream, owner.incomingStream != 0 else { return 0 }
                owner.incomingSize += nameLength + valueLength + 32
                if owner.incomingSize > owner.maxHeaderListSize {
                    owner.forgetIncoming(keepingStream: false)
                    // The stream is reset; the others on the connection go on.
                    return Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
                }
                owner.incomingHeaders.append(name: UnsafeBufferPointer(start: name, count: nameLength),
                                             value: UnsafeBufferPointer(start: value, count: valueLength))
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            return HTTP2ServerSession.withOwner(userData, otherwise: 0) { owner in
                let streamID = frame.pointee.hd.stream_id
                let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
                switch UInt32(frame.pointee.hd.type) {
                case NGHTTP2_HEADERS.rawValue:
                    if streamID == owner.incomingStream, streamID != 0 {
                        owner.events.append(.request(streamID: streamID, headers: owner.incomingHeaders.finish()))
                        owner.forgetIncoming(keepingStream: false)
                    }
                    if endStream { owner.events.append(.endOfRequest(streamID: streamID)) }
                case NGHTTP2_DATA.rawValue:
                    if endStream { owner.events.append(.endOfRequest(streamID: streamID)) }
                default:
                    break
                }
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            guard let data else { return 0 }
            return HTTP2ServerSession.withOwner(userData, otherwise: 0) { owner in
                owner.events.append(.data(streamID: streamID, owner.payload(data, length)))
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            return HTTP2ServerSession.withOwner(userData, otherwise: 0) { owner in
                if owner.incomingStream == streamID {
                    owner.forgetIncoming(keepingStream: false)
                }
                owner.outbound[streamID] = nil
                owner.events.append(.closed(streamID: streamID, errorCode: errorCode))
                return 0
            }
        }
    }

    /// A DATA frame's payload: a slice of the bytes being received when it lies inside them (as
    /// nghttp2 hands it over), otherwise a copy.
    private func payload(_ data: UnsafePointer<UInt8>, _ length: Int) -> ByteBuffer {
        if let input, let inputBase {
            let offset = UnsafeRawPointer(data) - inputBase
            if offset >= 0, offset + length <= input.readableBytes,
               let slice = input.getSlice(at: input.readerIndex + offset, length: length) {
                return slice
            }
        }
        var bytes = allocator.buffer(capacity: length)
        bytes.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
        return bytes
    }

    /// Copies a response's queued body into nghttp2's frame buffer; defers when nothing is queued
    /// yet; at the end, sends the trailers.
    private static let readBody: nghttp2_data_source_read_callback = { session, streamID, buffer, length, flags, _, userData in
        guard let buffer, let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
        return HTTP2ServerSession.withOwner(userData, otherwise: Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)) { owner in
            guard let stream = owner.outbound[streamID] else {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                return 0
            }
            var count = 0
            if var queued = stream.buffered {
                stream.buffered = nil
                count = min(length, queued.readableBytes)
                if count > 0 {
                    queued.withUnsafeReadableBytes { raw in
                        buffer.update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
                    }
                    queued.moveReaderIndex(forwardBy: count)
                }
                // What was sent is let go at once: the buffer may be a slice of a larger one.
                if queued.readableBytes > 0 { stream.buffered = queued }
            }
            if stream.buffered == nil, let trailers = stream.trailers {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                if let trailers {
                    flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                    _ = trailers.withList { list, listCount in nghttp2_submit_trailer(session, streamID, list, listCount) }
                }
                return count
            }
            if count == 0 {
                stream.deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
            return count
        }
    }

}

/// Appends every frame a session (server or client) has to send now to `buffer`; the session's
/// callbacks run meanwhile.
func drainFrames(of session: OpaquePointer, into buffer: inout ByteBuffer) throws(HTTP2SessionError) {
    while true {
        var data: UnsafePointer<UInt8>?
        let count = nghttp2_session_mem_send(session, &data)
        if count < 0 { throw HTTP2SessionError("writing frames", code: Int32(count)) }
        guard count > 0, let data else { return }
        // Room for a tick's frames at once, rather than growing the buffer frame by frame.
        if buffer.writableBytes < count { buffer.reserveCapacity(minimumWritableBytes: max(count, 16 << 10)) }
        buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: count))
    }
}

/// Throws the libnghttp2 error a call returned, naming what was being done.
func checkNGHTTP2(_ result: Int32, _ action: String) throws(HTTP2SessionError) {
    if result != 0 { throw HTTP2SessionError(action, code: result) }
}

/// A libnghttp2 failure, with its own description of the error.
public struct HTTP2SessionError: Error, Sendable, CustomStringConvertible {
    public var action: String
    public var code: Int32
    public var description: String

    init(_ action: String, code: Int32) {
        self.action = action
        self.code = code
        self.description = "\(action): \(String(cString: nghttp2_strerror(code)))"
    }
}

/// A header list encoded once for nghttp2, to be submitted any number of times: the responses'
/// fixed headers and the OK trailers are built once per process, not once per call.
// @unchecked Sendable: immutable after init; nghttp2 copies the list in each submit call and
// never writes to it.
public final class HTTP2HeaderBlock: @unchecked Sendable {
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let list: UnsafeMutableBufferPointer<nghttp2_nv>
    private let count: Int

    public init(_ headers: [HTTP2ServerSession.Header]) {
        let total = headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        bytes = .allocate(capacity: max(total, 1))
        list = .allocate(capacity: max(headers.count, 1))
        count = headers.count
        var offset = 0
        for (index, header) in headers.enumerated() {
            let name = bytes.baseAddress! + offset
            offset = bytes[offset...].initialize(from: header.name.utf8).index
            let value = bytes.baseAddress! + offset
            offset = bytes[offset...].initialize(from: header.value.utf8).index
            (list.baseAddress! + index).initialize(to: nghttp2_nv(
                name: name, value: value, namelen: header.name.utf8.count, valuelen: header.value.utf8.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
        }
    }

    deinit {
        bytes.deallocate()
        list.deallocate()
    }

    func withList<Result>(_ body: (UnsafePointer<nghttp2_nv>, Int) -> Result) -> Result {
        body(UnsafePointer(list.baseAddress!), count)
    }
}
