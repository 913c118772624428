/// How the server protects its port: TLS (optionally mutual) and bearer tokens.
public struct ServerSecurity: Sendable {
    /// PEM files for TLS. Without them the server speaks plaintext HTTP/2.
    public struct TLSFiles: Sendable, Equatable {
        /// The server's certificate chain, leaf first.
        public var certificateChain: String
        public var privateKey: String
        /// With it, mutual TLS: every client must present a certificate signed by one of these
        /// certificate authorities, or the handshake fails.
        public var clientCertificateAuthorities: String?

        public init(certificateChain: String, privateKey: String, clientCertificateAuthorities: String? = nil) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.clientCertificateAuthorities = clientCertificateAuthorities
        }
    }

    public var tls: TLSFiles?
    /// The accepted tokens. Empty: access control off.
    public var tokens: [AccessToken] = []

    public init(tls: TLSFiles? = nil, tokens: [AccessToken] = []) {
        self.tls = tls
        self.tokens = tokens
    }
}
