public import NIOCore

/// Splits a request body into gRPC's length-prefixed messages (1 byte compressed flag, 4 bytes
/// big-endian length, the message), holding at most one message's bytes.
public struct GRPCMessageDeframer {
    public enum Failure: Error, Equatable {
        /// A message longer than the limit was announced: the call ends `RESOURCE_EXHAUSTED`.
        case tooLarge(length: Int, limit: Int)
        /// A compressed message: the call ends as the specification says for its encoding.
        case compressed
        /// The body ended in the middle of a message.
        case truncated
    }

    public let maximumMessageLength: Int
    private var buffered: ByteBuffer?

    public init(maximumMessageLength: Int) {
        self.maximumMessageLength = maximumMessageLength
    }

    /// Bytes held for an incomplete message.
    public var bufferedBytes: Int { buffered?.readableBytes ?? 0 }

    /// Adds body bytes and hands each message they complete to `message`, in order (no array
    /// per append: most appends complete exactly one).
    public mutating func append(_ bytes: ByteBuffer, each message: (ByteBuffer) -> Void) throws(Failure) {
        if buffered == nil {
            buffered = bytes
        } else {
            var bytes = bytes
            buffered!.writeBuffer(&bytes)
        }
        while let next = try nextMessage() { message(next) }
        if buffered?.readableBytes == 0 { buffered = nil }
    }

    /// Checks that the body ended on a message boundary.
    public func end() throws(Failure) {
        if bufferedBytes > 0 { throw .truncated }
    }

    private mutating func nextMessage() throws(Failure) -> ByteBuffer? {
        guard let buffer = buffered, buffer.readableBytes >= 5,
              let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)
        else { return nil }
        if flag != 0 { throw .compressed }
        guard Int(length) <= maximumMessageLength else { throw .tooLarge(length: Int(length), limit: maximumMessageLength) }
        guard buffer.readableBytes >= 5 + Int(length) else { return nil }
        buffered!.moveReaderIndex(forwardBy: 5)
        return buffered!.readSlice(length: Int(length))
    }

    /// `message`'s bytes with their gRPC prefix, appended to `buffer`.
    public static func frame(_ message: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
    }
}
