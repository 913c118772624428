import Foundation
import Synchronization

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

    /// Starts `process` while no other test of this module starts one: Foundation's `Process.run`
    /// crashed (a bad read in its `memcpy`) with several started at once from different threads,
    /// once in a full run on a fresh clone.
    static func start(_ process: Process) throws {
        try spawning.withLock { _ in try process.run() }
    }

    private static let spawning = Mutex(())

    /// Runs blocking work (waiting for a process, reading its pipes) on a thread of its own: on
    /// the few threads Swift's concurrency runs every test's tasks on (two here), it would hold
    /// back the other tests running meanwhile, servers' handlers included, for as long as it waits.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
        }
    }

    /// Runs `c360 arguments…` to completion, waiting on a thread of its own.
    /// `environment` adds to (or replaces in) this process's variables.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> Result {
        try await blocking { try runWaiting(arguments, stdin: stdin, environment: environment) }
    }

    private static func runWaiting(_ arguments: [String], stdin: String?, environment: [String: String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try start(process)
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a full pipe never blocks the child.
        let collected = Mutex<Data>(Data())
        let reader = Thread {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0 = data }
        }
        reader.start()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while reader.isExecuting || !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let stderr = collected.withLock { $0 }
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A fresh directory under the system's temporary directory, removed when the body returns.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("c360-cli-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}
