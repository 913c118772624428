import NIOCore
import NIOHPACK

/// The client side of an HTTP/2 connection written by hand, frame by frame, with swift-nio-http2's
/// HPACK coder: independent of libnghttp2, which the server side uses.
struct HTTP2TestClient {
    enum FrameType: UInt8 {
        case data = 0, headers = 1, rstStream = 3, settings = 4, ping = 6, goAway = 7, windowUpdate = 8, continuation = 9
    }

    struct Frame {
        var type: UInt8
        var flags: UInt8
        var streamID: UInt32
        var payload: ByteBuffer
        var endStream: Bool { flags & 0x1 != 0 }
    }

    private var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
    private var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
    private var unread = ByteBuffer()

    /// The connection preface and an empty SETTINGS frame.
    static func preface() -> ByteBuffer {
        var buffer = ByteBuffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        var settings = Self.frame(.settings, flags: 0, stream: 0, payload: ByteBuffer())
        buffer.writeBuffer(&settings)
        return buffer
    }

    static func frame(_ type: FrameType, flags: UInt8, stream: UInt32, payload: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer()
        let length = payload.readableBytes
        buffer.writeInteger(UInt8(length >> 16))
        buffer.writeInteger(UInt16(length & 0xFFFF))
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(stream & 0x7FFF_FFFF)
        var payload = payload
        buffer.writeBuffer(&payload)
        return buffer
    }

    /// A gRPC request's HEADERS frame.
    mutating func request(stream: UInt32, path: String, extra: [(String, String)] = [], contentType: String = "application/grpc", endStream: Bool = false) throws -> ByteBuffer {
        var headers: HPACKHeaders = [":method": "POST", ":scheme": "http", ":path": path, ":authority": "localhost",
                                     "content-type": contentType, "te": "trailers"]
        for (name, value) in extra { headers.add(name: name, value: value) }
        var block = ByteBuffer()
        try encoder.encode(headers: headers, to: &block)
        // END_HEADERS, and END_STREAM when asked.
        return Self.frame(.headers, flags: 0x4 | (endStream ? 0x1 : 0), stream: stream, payload: block)
    }

    /// A DATA frame carrying `messages`, each with gRPC's 5-byte prefix.
    static func data(stream: UInt32, messages: [[UInt8]], compressed: Bool = false, endStream: Bool = true) -> ByteBuffer {
        var payload = ByteBuffer()
        for message in messages {
            payload.writeInteger(UInt8(compressed ? 1 : 0))
            payload.writeInteger(UInt32(message.count))
            payload.writeBytes(message)
        }
        return frame(.data, flags: endStream ? 0x1 : 0, stream: stream, payload: payload)
    }

    /// Splits what the server wrote into frames (keeping an incomplete one for later).
    mutating func frames(from written: [ByteBuffer]) -> [Frame] {
        for var chunk in written { unread.writeBuffer(&chunk) }
        var frames: [Frame] = []
        while unread.readableBytes >= 9 {
            let start = unread.readerIndex
            let high = Int(unread.getInteger(at: start, as: UInt8.self)!)
            let low = Int(unread.getInteger(at: start + 1, as: UInt16.self)!)
            let length = high << 16 | low
            guard unread.readableBytes >= 9 + length else { break }
            let type = unread.getInteger(at: start + 3, as: UInt8.self)!
            let flags = unread.getInteger(at: start + 4, as: UInt8.self)!
            let stream = unread.getInteger(at: start + 5, as: UInt32.self)! & 0x7FFF_FFFF
            unread.moveReaderIndex(forwardBy: 9)
            frames.append(Frame(type: type, flags: flags, streamID: stream, payload: unread.readSlice(length: length)!))
        }
        return frames
    }

    /// Decodes a HEADERS frame's block (in the order the server sent them: HPACK has state).
    mutating func headers(of frame: Frame) throws -> [String: String] {
        var block = frame.payload
        var result: [String: String] = [:]
        for header in try decoder.decodeHeaders(from: &block) { result[header.name] = header.value }
        return result
    }
}
