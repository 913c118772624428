package import C360Core
import Foundation

/// The opaque page token of `GetTimeline`: where the next page starts, base64-encoded so clients
/// treat it as opaque.
package enum TimelinePageToken {
    private static let prefix = "before:"

    package static func encode(beforeSeq: UInt64) -> String {
        Data("\(prefix)\(beforeSeq)".utf8).base64EncodedString()
    }

    /// The log position the page ends before; `nil` for the first page (empty token).
    package static func decode(_ token: String) throws(C360Error) -> UInt64? {
        if token.isEmpty { return nil }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
              text.hasPrefix(prefix), let seq = UInt64(text.dropFirst(prefix.count)), seq > 0 else {
            throw C360Error.invalid("page_token", "is not a token this server issued")
        }
        return seq
    }
}
