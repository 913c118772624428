import C360TestSupport
import Foundation

/// Runs the built `c360` executable, as an operator would.
enum C360Process {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `c360` binary built next to this test bundle.
    static var executable: URL {
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var directory = testBinary.deletingLastPathComponent()
        // On Linux the test bundle is a file in the build directory; elsewhere it may be nested.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("c360").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("c360")
    }

    /// Starts `c360 arguments…` with its standard streams as given.
    static func start(
        _ arguments: [String], standardInput: ChildProcess.Stream = .null, standardOutput: ChildProcess.Stream = .null,
        standardError: ChildProcess.Stream = .null
    ) throws -> ChildProcess {
        try ChildProcess(executable.path, arguments, standardInput: standardInput, standardOutput: standardOutput, standardError: standardError)
    }

    /// Runs `c360 arguments…` to completion, waiting on a thread of its own.
    /// `environment` adds to (or replaces in) this process's variables.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> Result {
        let variables = environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let finished = try await ChildProcess.run(executable.path, arguments, environment: variables, standardInput: stdin)
        return Result(status: finished.status, stdout: finished.stdout, stderr: finished.stderr)
    }
}

/// A fresh directory under the system's temporary directory, removed when the body returns.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("c360-cli-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}
