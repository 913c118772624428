public import C360Core
package import C360Model
public import GRPCCore

/// c360's errors as gRPC statuses: the one place the two meet.
extension C360Error: RPCErrorConvertible {
    public var rpcErrorCode: RPCError.Code {
        switch code {
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        case .erased, .failedPrecondition: .failedPrecondition
        case .resourceExhausted: .resourceExhausted
        case .unavailable, .dataDirectoryLocked, .io: .unavailable
        case .corruption: .dataLoss
        case .unauthenticated: .unauthenticated
        case .permissionDenied: .permissionDenied
        default: .internalError
        }
    }

    public var rpcErrorMessage: String { description }

    /// The field at fault, for clients that want it without parsing the message.
    public var rpcErrorMetadata: Metadata {
        guard let field else { return [:] }
        return ["c360-field": "\(field)"]
    }

    public var rpcErrorCause: (any Error)? { cause }
}

extension C360Error {
    /// The gRPC status name of this error (`INVALID_ARGUMENT`, `FAILED_PRECONDITION`, …), as an
    /// `AppendError` carries it.
    package var statusName: String {
        switch rpcErrorCode {
        case .invalidArgument: "INVALID_ARGUMENT"
        case .notFound: "NOT_FOUND"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        default: "INTERNAL"
        }
    }

    /// The error an `AppendError` describes, as the client side sees it.
    package init(appendError: C360_V1_AppendError) {
        let code: C360Error.Code = switch appendError.code {
        case "FAILED_PRECONDITION": .erased
        case "RESOURCE_EXHAUSTED": .resourceExhausted
        case "UNAVAILABLE": .unavailable
        case "INTERNAL", "DATA_LOSS": .internalError
        default: .invalidArgument
        }
        self.init(code, appendError.reason, field: appendError.field.isEmpty ? nil : appendError.field)
    }
}
