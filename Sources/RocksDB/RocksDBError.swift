import CRocksDB

/// An error reported by RocksDB, classified by the status prefix of its message.
public struct RocksDBError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, from the status RocksDB reported.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case notFound, corruption, notSupported, invalidArgument, ioError
            case busy, noSpace, lockHeld, aborted, other
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        public static let notFound = Code(.notFound)
        public static let corruption = Code(.corruption)
        public static let notSupported = Code(.notSupported)
        public static let invalidArgument = Code(.invalidArgument)
        public static let ioError = Code(.ioError)
        public static let busy = Code(.busy)
        /// The disk is full.
        public static let noSpace = Code(.noSpace)
        /// Another process holds the database's lock file.
        public static let lockHeld = Code(.lockHeld)
        public static let aborted = Code(.aborted)
        public static let other = Code(.other)

        public var description: String { "\(wrapped)" }
    }

    public let code: Code
    /// RocksDB's own message, unchanged.
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// Classifies a RocksDB status string such as `"IO error: No space left on device"`.
    init(status: String) {
        let code: Code
        if status.contains("No space left") || status.hasPrefix("IO error: No space") {
            code = .noSpace
        } else if status.contains("lock") && (status.contains("Resource temporarily unavailable") || status.contains("lock hold by current process")) {
            code = .lockHeld
        } else if status.hasPrefix("NotFound") {
            code = .notFound
        } else if status.hasPrefix("Corruption") {
            code = .corruption
        } else if status.hasPrefix("Not implemented") || status.hasPrefix("Not supported") {
            code = .notSupported
        } else if status.hasPrefix("Invalid argument") {
            code = .invalidArgument
        } else if status.hasPrefix("IO error") {
            code = .ioError
        } else if status.hasPrefix("Resource busy") || status.hasPrefix("Operation timed out") {
            code = .busy
        } else if status.hasPrefix("Operation aborted") {
            code = .aborted
        } else {
            code = .other
        }
        self.init(code: code, message: status)
    }

    public var description: String { "RocksDB \(code): \(message)" }
}

/// Calls a C function that reports failure through `char** errptr`, turning the message into a
/// thrown `RocksDBError` and freeing it. Every fallible `rocksdb_*` call goes through here.
@inline(__always)
func withErrorPointer<Result>(
    _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result
) throws(RocksDBError) -> Result {
    var errorMessage: UnsafeMutablePointer<CChar>? = nil
    let result = body(&errorMessage)
    if let errorMessage {
        let status = String(cString: errorMessage)
        rocksdb_free(errorMessage)
        throw RocksDBError(status: status)
    }
    return result
}
