import C360Service

/// What `c360 serve` reads from the configuration besides the store's settings: where it listens,
/// how it logs, and the limits on what one call may ask.
public struct ServerSettings: Sendable {
    /// The gRPC address, HOST:PORT. Default `127.0.0.1:50051`: nothing beyond this machine reaches
    /// it until told otherwise.
    public var listen = "127.0.0.1:50051"
    /// Where metrics are served in Prometheus' text format, HOST:PORT, or `off`. Default `127.0.0.1:9464`.
    public var metricsListen = "127.0.0.1:9464"
    /// `text` (for people) or `json` (one object per line). Default `text`.
    public var logFormat = "text"
    /// The lowest level logged. Default `info`.
    public var logLevel = "info"
    /// Serve without access tokens on an address other than loopback. Default `false`.
    public var allowUnauthenticated = false
    /// Limits on what one call may ask.
    public var limits = APILimits()

    public static let logFormats = ["text", "json"]
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public init() {}

    /// Checks a HOST:PORT address; `off` too when `offAllowed`.
    static func isAddress(_ text: String, offAllowed: Bool = false) -> Bool {
        if offAllowed, text == "off" { return true }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return false }
        return (0...65_535).contains(port) && !text[..<colon].isEmpty
    }
}
