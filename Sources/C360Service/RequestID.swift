public import Logging

/// The id of the request a log line belongs to: the client's `x-request-id` header, carried through
/// every line logged while the call runs (bound by `C360Routes` for each call).
public enum RequestID {
    @TaskLocal public static var current: String?

    /// The header a client sets, as gRPC metadata.
    public static let header = "x-request-id"

    /// Adds `request_id` to every log line logged within a call that carries one.
    public static let metadataProvider = Logger.MetadataProvider {
        guard let current else { return [:] }
        return ["request_id": .string(current)]
    }

    /// The header's value if it is a usable id: printable, at most 128 bytes (it ends up in logs).
    public static func accepted(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128,
              value.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7F }) else { return nil }
        return value
    }
}
