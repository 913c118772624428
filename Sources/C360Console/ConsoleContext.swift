import C360Service
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// What the console knows about one request besides the request itself: who sent it from where,
/// and their session once the session middleware found or started it.
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's address, as the audit log records it.
    let peer: String
    var session: ConsoleSession?
    /// The session cookie to set on the response: a session started by this request.
    var startedSession: ConsoleSession?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        if let address = source.channel.remoteAddress, let ip = address.ipAddress {
            peer = "\(ip):\(address.port ?? 0)"
        } else {
            peer = "unknown"
        }
    }

    /// Forms are small; nothing the console accepts is larger.
    var maxUploadSize: Int { FormFields.maxBytes }
}
