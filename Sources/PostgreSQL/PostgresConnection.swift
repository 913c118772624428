import CLibPQ
import Glibc

/// A failure of PostgreSQL or of the connection to it, with the server's message.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// The SQLSTATE code, when the server sent one (`42P01`: no such table).
    public let sqlState: String?

    public var description: String { message }
}

/// One connection to PostgreSQL through libpq, used from one thread at a time. Every libpq call
/// of c360 is made here; no C type leaves this module.
///
/// ```swift
/// let connection = try PostgresConnection("host=127.0.0.1 dbname=shop replication=database")
/// let rows = try connection.query("IDENTIFY_SYSTEM")
/// ```
// @unchecked Sendable: libpq allows a connection to be used from any thread, one at a time; its
// users (a source's own thread) never share one.
public final class PostgresConnection: @unchecked Sendable {
    private let connection: OpaquePointer

    /// Connects with a libpq connection string (`host=... port=... dbname=... user=...`; add
    /// `replication=database` for a logical replication connection).
    public init(_ conninfo: String) throws(PostgresError) {
        guard let connection = PQconnectdb(conninfo) else { throw PostgresError(message: "libpq could not allocate a connection", sqlState: nil) }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.message(connection)
            PQfinish(connection)
            throw PostgresError(message: "cannot connect to PostgreSQL: \(message)", sqlState: nil)
        }
        self.connection = connection
    }

    deinit {
        PQfinish(connection)
    }

    /// Rows of a query (or a replication command), every value as text, `nil` for NULL.
    public struct Rows: Sendable {
        public let columns: [String]
        public let values: [[String?]]

        /// The first row's value in `column`.
        public func first(_ column: String) -> String? {
            guard let index = columns.firstIndex(of: column), let row = values.first else { return nil }
            return row[index]
        }
    }

    /// Runs one statement (or several, separated by semicolons, without parameters) and returns
    /// the last one's rows.
    @discardableResult
    public func query(_ sql: String) throws(PostgresError) -> Rows {
        guard let result = PQexec(connection, sql) else { throw error() }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let columns = (0..<PQnfields(result)).map { String(cString: PQfname(result, $0)) }
            var values: [[String?]] = []
            let rows = PQntuples(result)
            values.reserveCapacity(Int(rows))
            for row in 0..<rows {
                values.append((0..<PQnfields(result)).map { column in
                    PQgetisnull(result, row, column) != 0 ? nil : String(cString: PQgetvalue(result, row, column))
                })
            }
            return Rows(columns: columns, values: values)
        default:
            throw error(result)
        }
    }

    /// Starts a COPY BOTH exchange (`START_REPLICATION`).
    public func startCopyBoth(_ command: String) throws(PostgresError) {
        guard let result = PQexec(connection, command) else { throw error() }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COPY_BOTH else { throw error(result) }
    }

    /// The next message of a COPY exchange, waiting at most `timeout` milliseconds for one;
    /// `nil` when none came in that time.
    /// - Throws: when the exchange or the connection ended.
    public func readCopyData(timeoutMilliseconds timeout: Int32) throws(PostgresError) -> [UInt8]? {
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connection, &buffer, 1)
            if length > 0, let buffer {
                defer { PQfreemem(buffer) }
                return Array(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
            }
            if length == -1 {
                // The exchange ended: the server's final result says why.
                var message = "the replication stream ended"
                while let result = PQgetResult(connection) {
                    if PQresultStatus(result) == PGRES_FATAL_ERROR { message = String(cString: PQresultErrorMessage(result)) }
                    PQclear(result)
                }
                throw PostgresError(message: message.trimmingTrailingNewlines, sqlState: nil)
            }
            if length == -2 { throw error() }
            // Nothing buffered: wait for the socket, then read what arrived.
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, timeout)
            if ready == 0 { return nil }
            if ready < 0, errno != EINTR { throw PostgresError(message: "waiting for PostgreSQL: \(String(cString: strerror(errno)))", sqlState: nil) }
            guard PQconsumeInput(connection) == 1 else { throw error() }
        }
    }

    /// Sends one message of a COPY exchange and flushes it.
    public func writeCopyData(_ bytes: [UInt8]) throws(PostgresError) {
        let sent = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { PQputCopyData(connection, $0, Int32(buffer.count)) }
        }
        guard sent == 1, PQflush(connection) == 0 else { throw error() }
    }

    /// `name` quoted as an SQL identifier.
    public func identifier(_ name: String) -> String {
        guard let quoted = PQescapeIdentifier(connection, name, name.utf8.count) else { return "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// `text` quoted as an SQL string literal.
    public func literal(_ text: String) -> String {
        guard let quoted = PQescapeLiteral(connection, text, text.utf8.count) else { return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'" }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    private func error(_ result: OpaquePointer? = nil) -> PostgresError {
        if let result, let message = PQresultErrorMessage(result).map({ String(cString: $0) }), !message.isEmpty {
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            return PostgresError(message: message.trimmingTrailingNewlines, sqlState: state)
        }
        return PostgresError(message: Self.message(connection), sqlState: nil)
    }

    private static func message(_ connection: OpaquePointer) -> String {
        PQerrorMessage(connection).map { String(cString: $0).trimmingTrailingNewlines } ?? "unknown error"
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
