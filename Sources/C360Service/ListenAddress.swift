public import C360Core

/// `HOST:PORT` as the command line and configuration write it.
public enum ListenAddress {
    /// - Throws: `C360Error` `.invalidArgument` for anything but an IPv4 host and a port.
    public static func parse(_ address: String) throws(C360Error) -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65_535).contains(port), !address[..<colon].isEmpty else {
            throw C360Error.invalid("listen", "expected HOST:PORT such as 127.0.0.1:50051, got \(address)")
        }
        return (String(address[..<colon]), port)
    }
}
