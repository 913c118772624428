/// The status a gRPC call ends with: a code from the gRPC specification and a message for people.
public struct GRPCStatus: Sendable, Equatable, CustomStringConvertible {
    /// The status codes of the gRPC specification (`doc/statuscodes.md`).
    public enum Code: Int, Sendable {
        case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists,
             permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange,
             unimplemented, internalError, unavailable, dataLoss, unauthenticated
    }

    /// Longest `grpc-message` sent: a message that quotes input never echoes it without bound.
    public static let maximumMessageLength = 1_024

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    public static let ok = GRPCStatus(.ok)

    public var description: String { "\(code) (\(code.rawValue)): \(message)" }

    /// `grpc-message` as the specification wants it: cut to a bounded length, then percent-encoded
    /// (bytes outside printable ASCII, and `%`, as `%XX`).
    public var encodedMessage: String {
        let utf8 = message.utf8
        // Most messages are short printable ASCII: sent as they are, with no copy.
        if utf8.count <= Self.maximumMessageLength, utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "%") }) {
            return message
        }
        var end = utf8.endIndex
        if utf8.count > Self.maximumMessageLength {
            // Whole characters only: a cut never leaves half of one (it moves back off a UTF-8
            // continuation byte, 0b10xxxxxx).
            end = utf8.index(utf8.startIndex, offsetBy: Self.maximumMessageLength)
            while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { utf8.formIndex(before: &end) }
        }
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(utf8.distance(from: utf8.startIndex, to: end))
        for byte in utf8[..<end] {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                encoded.append(byte)
            } else {
                encoded.append(UInt8(ascii: "%"))
                encoded.append(hex[Int(byte >> 4)])
                encoded.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}
