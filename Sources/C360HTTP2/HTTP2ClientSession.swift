import CNGHTTP2
public import NIOCore

/// One HTTP/2 client connection's protocol state, kept by libnghttp2: requests are submitted with
/// their whole body, the server's bytes go in through `receive(_:)`, and each request comes back
/// once, as a `Response`, when its stream closes. No I/O: the connection's channel handler moves
/// the bytes. Made for load generators: a response's header values are not kept, only `:status`
/// and `grpc-status` (from headers or trailers) and, when asked, the body.
///
/// Not thread-safe: one connection's event loop owns it. Raw pointers stay inside this type.
public final class HTTP2ClientSession {
    /// How one request ended.
    public struct Response {
        public var streamID: Int32
        /// The HTTP status, 0 when none came.
        public var status = 0
        /// `grpc-status` from the response's headers or trailers, nil when none came.
        public var grpcStatus: Int?
        /// The body, when the session keeps bodies; otherwise empty.
        public var body: ByteBuffer?
        /// Bytes of body received, kept or not.
        public var bodyBytes = 0
        /// The HTTP/2 error code the stream closed with (0: closed normally).
        public var errorCode: UInt32 = 0
        /// What the caller gave `submit` (a load generator: when it was sent).
        public var tag: UInt64 = 0
    }

    /// A request in flight. Slots are reused through `freeSlots`, and nghttp2 keeps each stream's
    /// slot number as its stream user data: no dictionary keyed by stream id on the way.
    private struct Slot {
        var response: Response
        var body: ByteBuffer?
    }

    private let session: OpaquePointer
    private let allocator: ByteBufferAllocator
    private let keepBodies: Bool
    private var responses: [Response] = []
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []

    /// - Parameters:
    ///   - keepBodies: keep each response's body (`Response.body`); otherwise only count its bytes.
    ///   - windowSize: the stream and connection window announced to the server.
    /// - Throws: `HTTP2SessionError` when libnghttp2 cannot create the session.
    public init(allocator: ByteBufferAllocator, keepBodies: Bool, windowSize: UInt32 = 1 << 20) throws(HTTP2SessionError) {
        self.allocator = allocator
        self.keepBodies = keepBodies
        var callbacks: OpaquePointer?
        try checkNGHTTP2(nghttp2_session_callbacks_new(&callbacks), "creating the session's callbacks")
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(on: callbacks)
        var created: OpaquePointer?
        try checkNGHTTP2(nghttp2_session_client_new(&created, callbacks, nil), "creating the session")
        guard let created else { throw HTTP2SessionError("creating the session", code: -1) }
        session = created
        nghttp2_session_set_user_data(created, Unmanaged.passUnretained(self).toOpaque())
        let entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: windowSize),
        ]
        try checkNGHTTP2(nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count), "submitting SETTINGS")
        let connectionWindow = Int32(clamping: Int(windowSize) * 16)
        try checkNGHTTP2(nghttp2_session_set_local_window_size(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, connectionWindow), "widening the connection window")
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Streams the server allows open at once (its SETTINGS_MAX_CONCURRENT_STREAMS).
    public var serverStreamLimit: Int {
        Int(nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    /// Submits a request with `headers` (pseudo-headers first) and its whole `body` (nil: none);
    /// its `Response` carries `tag` back.
    /// - Returns: the new stream's id.
    @discardableResult
    public func submit(headers: HTTP2HeaderBlock, body: ByteBuffer?, tag: UInt64 = 0) throws(HTTP2SessionError) -> Int32 {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = Slot(response: Response(streamID: 0, tag: tag), body: body)
        } else {
            slot = slots.count
            slots.append(Slot(response: Response(streamID: 0, tag: tag), body: body))
        }
        var provider = nghttp2_data_provider()
        provider.read_callback = Self.readBody
        // The slot number + 1 as the stream's user data (nil would mean none).
        let userData = UnsafeMutableRawPointer(bitPattern: slot + 1)
        let streamID = headers.withList { list, count in
            body == nil ? nghttp2_submit_request(session, nil, list, count, nil, userData)
                : nghttp2_submit_request(session, nil, list, count, &provider, userData)
        }
        guard streamID > 0 else {
            slots[slot].body = nil
            freeSlots.append(slot)
            throw HTTP2SessionError("submitting a request", code: streamID)
        }
        slots[slot].response.streamID = streamID
        return streamID
    }

    /// The slot of a stream, from the user data nghttp2 keeps for it.
    @inline(__always)
    private func slot(of streamID: Int32) -> Int? {
        guard let userData = nghttp2_session_get_stream_user_data(session, streamID) else { return nil }
        return Int(bitPattern: userData) - 1
    }

    /// Feeds the server's bytes to the session and returns the requests they completed.
    /// - Throws: `HTTP2SessionError` when the connection must end.
    public func receive(_ bytes: ByteBuffer) throws(HTTP2SessionError) -> [Response] {
        responses.removeAll(keepingCapacity: true)
        let result = bytes.withUnsafeReadableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        if result < 0 { throw HTTP2SessionError("reading the server's frames", code: Int32(result)) }
        return responses
    }

    /// Appends every frame the session has to send now to `buffer`, and returns the requests that
    /// ended meanwhile (a stream the server had already answered closes when the request's last
    /// frame goes out).
    @discardableResult
    public func writePendingOutput(into buffer: inout ByteBuffer) throws(HTTP2SessionError) -> [Response] {
        responses.removeAll(keepingCapacity: true)
        try drainFrames(of: session, into: &buffer)
        return responses
    }

    /// Says goodbye (GOAWAY, no error).
    public func goAway() {
        _ = nghttp2_session_terminate_session(session, 0)
    }

    // MARK: Callbacks

    private static func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2ClientSession? {
        userData.map { Unmanaged<HTTP2ClientSession>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Whether `bytes` spell `expected` (ASCII), without making a String.
    private static func equals(_ bytes: UnsafePointer<UInt8>, _ count: Int, _ expected: StaticString) -> Bool {
        guard count == expected.utf8CodeUnitCount else { return false }
        let start = expected.utf8Start
        for index in 0..<count where bytes[index] != start[index] { return false }
        return true
    }

    private static func integer(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        guard count > 0, count < 10 else { return nil }
        var value = 0
        for index in 0..<count {
            let digit = Int(bytes[index]) - 48
            guard digit >= 0, digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func install(on callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name, let value, let owner = HTTP2ClientSession.owner(userData),
                  let slot = owner.slot(of: frame.pointee.hd.stream_id) else { return 0 }
            if HTTP2ClientSession.equals(name, nameLength, ":status") {
                owner.slots[slot].response.status = HTTP2ClientSession.integer(value, valueLength) ?? -1
            } else if HTTP2ClientSession.equals(name, nameLength, "grpc-status") {
                owner.slots[slot].response.grpcStatus = HTTP2ClientSession.integer(value, valueLength) ?? -1
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            guard let data, let owner = HTTP2ClientSession.owner(userData), let slot = owner.slot(of: streamID) else { return 0 }
            owner.slots[slot].response.bodyBytes += length
            if owner.keepBodies {
                if owner.slots[slot].response.body == nil { owner.slots[slot].response.body = owner.allocator.buffer(capacity: length) }
                owner.slots[slot].response.body!.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            guard let owner = HTTP2ClientSession.owner(userData), let slot = owner.slot(of: streamID) else { return 0 }
            var response = owner.slots[slot].response
            response.errorCode = errorCode
            owner.slots[slot].response.body = nil
            owner.slots[slot].body = nil
            owner.freeSlots.append(slot)
            owner.responses.append(response)
            return 0
        }
    }

    /// Copies a request's body into nghttp2's frame buffer; ends the stream after it.
    private static let readBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        guard let owner = HTTP2ClientSession.owner(userData), let buffer, let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
        guard let slot = owner.slot(of: streamID), owner.slots[slot].body != nil else {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        let count = min(length, owner.slots[slot].body!.readableBytes)
        owner.slots[slot].body!.withUnsafeReadableBytes { raw in
            if count > 0 { buffer.update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count) }
        }
        owner.slots[slot].body!.moveReaderIndex(forwardBy: count)
        if owner.slots[slot].body!.readableBytes == 0 {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            owner.slots[slot].body = nil
        }
        return count
    }

}
