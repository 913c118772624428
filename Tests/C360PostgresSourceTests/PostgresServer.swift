import C360TestSupport
import Foundation
import PostgreSQL

/// A real PostgreSQL 15 for a test: `initdb` in a temporary directory, `wal_level = logical`,
/// listening on 127.0.0.1 on a random port, stopped and removed by `stop()`. Run as the `postgres`
/// user when the tests run as root (PostgreSQL refuses root).
struct ServerFailure: Error, CustomStringConvertible {
    let description: String
}

final class PostgresServer: Sendable {
    static let binaries = "/usr/lib/postgresql/15/bin"
    let directory: String
    let port: Int
    /// `postgres` itself, reaped by `stop()`.
    private let process: ChildProcess

    private init(directory: String, port: Int, process: ChildProcess) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    /// Starts a server; a start that fails (most likely a port taken meanwhile by another test's
    /// socket) is retried on another port, twice.
    static func start() async throws -> PostgresServer {
        var failures: [String] = []
        for _ in 0..<3 {
            do {
                return try await startOnce()
            } catch let failure as ServerFailure {
                failures.append(failure.description)
            }
        }
        throw ServerFailure(description: failures.joined(separator: "\n"))
    }

    private static func startOnce() async throws -> PostgresServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("c360-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Below Linux's ephemeral ports (32768-60999), which the other tests' servers (port 0) and
        // outgoing connections take.
        let port = Int.random(in: 20_000...32_000)
        let log = directory + "/postgres.log"
        let server: ChildProcess
        do {
            server = try await spawn(in: directory, port: port, log: log)
        } catch {
            // Nothing of a failed attempt is kept: a retry starts in a directory of its own.
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let started = PostgresServer(directory: directory, port: port, process: server)
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? PostgresConnection(started.connection())) == nil {
            guard ContinuousClock.now < deadline, server.isRunning else {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(2_000)) } ?? "(no log)"
                let why = server.isRunning ? "not accepting connections after 30 s" : "exited"
                await started.stop()
                throw ServerFailure(description: "PostgreSQL on port \(port) \(why); its log: \(output)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return started
    }

    /// `initdb` in `directory`, the test server's settings, and the server started as a child.
    private static func spawn(in directory: String, port: Int, log: String) async throws -> ChildProcess {
        if getuid() == 0 { try await run("/bin/chown", ["postgres", directory]) }
        try await run(binaries + "/initdb", ["-D", directory + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"], asPostgres: true)
        let settings = """
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(directory)'
            wal_level = logical
            max_replication_slots = 8
            max_wal_senders = 8
            fsync = off
            """
        let configuration = FileHandle(forWritingAtPath: directory + "/data/postgresql.conf")
        // PostgreSQL's own settings for a test server (appended to what initdb wrote).
        configuration?.seekToEndOfFile()
        configuration?.write(Data(("\n" + settings + "\n").utf8))
        try configuration?.close()
        // The server runs as a child of the test, not as `pg_ctl start`'s daemon, so that a test
        // sees at once when it has died, and `stop()` reaps it. Its log goes to a file, read into
        // the error when it does not start.
        let postgres = ["/bin/sh", "-c", "exec \"$0\" -D \"$1\" 2>\"$2\"", binaries + "/postgres", directory + "/data", log]
        return getuid() == 0
            ? try ChildProcess("/usr/sbin/runuser", ["-u", "postgres", "--"] + postgres)
            : try ChildProcess(postgres[0], Array(postgres.dropFirst()))
    }

    /// A libpq connection string for `database`.
    func connection(_ database: String = "postgres") -> String {
        "host=127.0.0.1 port=\(port) dbname=\(database) user=postgres"
    }

    func sql(_ statement: String, database: String = "postgres") throws {
        try PostgresConnection(connection(database)).query(statement)
    }

    /// Waits until no replication slot is in use. PostgreSQL releases a slot when the walsender
    /// that streamed from it exits, which follows its client's disconnect by a moment: a source
    /// started again at once can find the slot still held (`c360 serve` retries then; a test that
    /// runs a source directly waits here instead).
    func waitUntilSlotsReleased() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try PostgresConnection(connection()).query("SELECT slot_name FROM pg_replication_slots WHERE active").values.count > 0 {
            guard ContinuousClock.now < deadline else { throw ServerFailure(description: "a replication slot stayed active for 30 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func stop() async {
        try? await Self.run(Self.binaries + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"], asPostgres: true)
        // Stopped by pg_ctl; a server that never came up as far as its pid file goes this way.
        process.send(SIGTERM)
        _ = await process.exit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs a program to its end, waiting on a thread of its own.
    static func run(_ executable: String, _ arguments: [String], asPostgres: Bool = false) async throws {
        let finished = asPostgres && getuid() == 0
            ? try await ChildProcess.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
            : try await ChildProcess.run(executable, arguments)
        guard finished.status == 0 else {
            throw ServerFailure(description: "\(executable) \(arguments.joined(separator: " ")) exited with \(finished.status): \(finished.stderr)")
        }
    }
}

/// Runs `body` with a PostgreSQL server started for it, stopped and removed afterwards.
func withPostgres(_ body: (PostgresServer) async throws -> Void) async throws {
    let server = try await PostgresServer.start()
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}
