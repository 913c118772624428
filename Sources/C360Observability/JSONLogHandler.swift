import Foundation
public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Logs one JSON object per line (`c360 serve --log-format json`), for log shippers and `jq`:
/// `time` (RFC 3339, UTC, milliseconds), `level`, `logger`, `message`, then the metadata's keys
/// (a key named like one of those four is prefixed `metadata.`).
///
/// Personal data never reaches a log: c360 logs customer ids, request ids, log positions and
/// counts, never event or profile fields; `Tests/interop/test_logs.py` searches a server's JSON
/// log, at trace level, for the names and emails of the customers it served.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: @Sendable ([UInt8]) -> Void

    /// Writes to standard error, each line with one `write(2)` so concurrent lines never interleave.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, metadataProvider: metadataProvider) { line in
            line.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, output: @escaping @Sendable ([UInt8]) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let attached = event.metadata { merged.merge(attached) { $1 } }
        var object: [String: Any] = [
            "time": Self.timestamp(), "level": event.level.rawValue, "logger": label, "message": event.message.description,
        ]
        if let error = event.error { object["error"] = "\(error)" }
        for (key, value) in merged {
            object[object[key] == nil ? key : "metadata." + key] = Self.json(value)
        }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(UInt8(ascii: "\n"))
        output(Array(line))
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let dictionary): dictionary.mapValues(json)
        }
    }

    // Guarded by `formatterLock`: a formatter is not safe to share between threads by itself.
    nonisolated(unsafe) private static let formatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    private static let formatterLock = NSLock()

    static func timestamp() -> String {
        formatterLock.lock()
        defer { formatterLock.unlock() }
        return formatter.string(from: Date())
    }
}
