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
        var utf8: [UInt8] = []
        for scalar in message.unicodeScalars {
            // Whole characters only: a cut never leaves half of one.
            guard utf8.count + UTF8.width(scalar) <= Self.maximumMessageLength else { break }
            UTF8.encode(scalar) { utf8.append($0) }
        }
        var encoded = ""
        encoded.reserveCapacity(utf8.count)
        for byte in utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                encoded.unicodeScalars.append(Unicode.Scalar(UInt8(ascii: "%")))
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return encoded
    }
}
