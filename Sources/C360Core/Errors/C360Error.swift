/// The one error type of c360: a code a program can act on, a message for humans, and the field
/// at fault when the input was to blame.
public struct C360Error: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case invalidArgument = "invalid argument"
            case notFound = "not found"
            case erased
            case resourceExhausted = "resource exhausted"
            case unavailable
            case dataDirectoryLocked = "data directory locked"
            case corruption
            case failedPrecondition = "failed precondition"
            case io = "I/O error"
            case internalError = "internal error"
            case unauthenticated
            case permissionDenied = "permission denied"
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The input is malformed; `field` names the part at fault.
        public static let invalidArgument = Code(.invalidArgument)
        /// No such customer, identity or snapshot.
        public static let notFound = Code(.notFound)
        /// The customer was erased; nothing more is accepted or served for it.
        public static let erased = Code(.erased)
        /// A limit was reached, or the disk is full.
        public static let resourceExhausted = Code(.resourceExhausted)
        /// The store cannot serve now (closing, or a transient fault); retrying may succeed.
        public static let unavailable = Code(.unavailable)
        /// Another process has the data directory open.
        public static let dataDirectoryLocked = Code(.dataDirectoryLocked)
        /// Stored data could not be decoded.
        public static let corruption = Code(.corruption)
        /// The store is not in a state that allows the operation (a snapshot of an older fold, say).
        public static let failedPrecondition = Code(.failedPrecondition)
        /// The file system failed.
        public static let io = Code(.io)
        /// A bug in c360.
        public static let internalError = Code(.internalError)
        /// The caller did not show a valid access token.
        public static let unauthenticated = Code(.unauthenticated)
        /// The caller's token does not grant what the call needs.
        public static let permissionDenied = Code(.permissionDenied)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    /// What went wrong, in words for the person reading it. Never carries personal data.
    public var message: String
    /// The input field at fault, as a path such as `order_placed.items[2].quantity`.
    public var field: String?
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, field: String? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.cause = cause
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }

    /// Shorthand for an input error naming its field.
    public static func invalid(_ field: String, _ message: String) -> C360Error {
        C360Error(.invalidArgument, message, field: field)
    }
}
