public import Foundation
import Glibc
import Synchronization

/// A program the tests run as a child: `posix_spawn` with pipes made close-on-exec.
///
/// Not Foundation's `Process`: on Linux its `run()` lists `/proc/self/fd` to close every
/// descriptor in the child, copying each entry's 256-byte name field past the end of the last
/// entry read; with the ~2,000 descriptors a full test run holds open (every test's RocksDB), that
/// copy ran off the end of the directory buffer and crashed the test process (SIGSEGV in
/// `Process.run()`, CI run of 2026-11-29, twice before).
public final class ChildProcess: Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// `/dev/null`.
        case null
        /// A pipe whose other end this object holds (`standardInput` / `standardOutput` / `standardError`).
        case pipe
        /// This process's own stream.
        case inherit
    }

    public struct SpawnFailure: Error, CustomStringConvertible {
        public let description: String
    }

    public let pid: pid_t
    /// The write end of the child's standard input, when it is `.pipe`.
    public let standardInput: FileHandle?
    /// The read end of the child's standard output, when it is `.pipe`.
    public let standardOutput: FileHandle?
    /// The read end of the child's standard error, when it is `.pipe`.
    public let standardError: FileHandle?

    private static let spawning = NSLock()

    /// The exit status once the child has been reaped; see `status`.
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `executable` (a path, or a name looked up in `PATH`) with `arguments`.
    /// `environment` replaces this process's variables when given; `directory` is the child's
    /// working directory.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
        standardInput: Stream = .null, standardOutput: Stream = .null, standardError: Stream = .null
    ) throws {
        // One spawn at a time: a pipe is made close-on-exec just after it is made (Swift's Glibc
        // module has no `pipe2`), and no other child may be spawned in between.
        Self.spawning.lock()
        defer { Self.spawning.unlock() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [Int32?] = [nil, nil, nil]
        var childEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }
        do {
            for (target, stream) in [standardInput, standardOutput, standardError].enumerated() {
                switch stream {
                case .inherit:
                    break
                case .null:
                    try Self.check(posix_spawn_file_actions_addopen(&actions, Int32(target), "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0), "open /dev/null")
                case .pipe:
                    var ends: [Int32] = [-1, -1]
                    guard pipe(&ends) == 0 else { throw SpawnFailure(description: "pipe: \(String(cString: strerror(errno)))") }
                    _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
                    _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
                    // The child reads its standard input and writes the other two.
                    let (childEnd, parentEnd) = target == 0 ? (ends[0], ends[1]) : (ends[1], ends[0])
                    childEnds.append(childEnd)
                    parentEnds[target] = parentEnd
                    // dup2 onto 0, 1 or 2 clears close-on-exec on the copy only.
                    try Self.check(posix_spawn_file_actions_adddup2(&actions, childEnd, Int32(target)), "dup2")
                }
            }
            if let directory {
                try Self.check(Self.addChangeDirectory(&actions, directory), "chdir \(directory)")
            }
            // Whatever a library opened without close-on-exec stays out of the child too.
            Self.addCloseFrom(&actions, 3)

            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // The test process ignores SIGPIPE, and ignored signals survive exec: the child gets
            // the defaults back, and no signal blocked on the spawning thread.
            var defaults = sigset_t()
            sigemptyset(&defaults)
            sigaddset(&defaults, SIGPIPE)
            var none = sigset_t()
            sigemptyset(&none)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

            let argv = ([executable] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let variables = environment ?? ProcessInfo.processInfo.environment
            let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { envp.forEach { free($0) } }
            var child: pid_t = 0
            try Self.check(posix_spawnp(&child, executable, &actions, &attributes, argv, envp), "spawn \(executable)")
            pid = child
        } catch {
            parentEnds.compactMap { $0 }.forEach { close($0) }
            throw error
        }
        self.standardInput = parentEnds[0].map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
        self.standardOutput = parentEnds[1].map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
        self.standardError = parentEnds[2].map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
    }

    /// Runs `executable` to its end, the waiting done on a thread of its own; standard output and
    /// error are collected in full (read before waiting, so a full pipe never blocks the child).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
        standardInput text: String? = nil
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await onThread {
            let child = try ChildProcess(
                executable, arguments, environment: environment, directory: directory,
                standardInput: text == nil ? .null : .pipe, standardOutput: .pipe, standardError: .pipe)
            if let text, let input = child.standardInput {
                // A child that exits without reading gets EPIPE here, which is its business.
                try? input.write(contentsOf: Data(text.utf8))
                try? input.close()
            }
            // Standard error read on a thread of its own while this one reads standard output.
            let errors = Mutex(Data())
            let errorsRead = DispatchSemaphore(value: 0)
            Thread {
                let data = child.standardError?.readDataToEndOfFile() ?? Data()
                errors.withLock { $0 = data }
                errorsRead.signal()
            }.start()
            let output = child.standardOutput?.readDataToEndOfFile() ?? Data()
            let status = child.waitForExit()
            errorsRead.wait()
            return (status, String(decoding: output, as: UTF8.self), String(decoding: errors.withLock { $0 }, as: UTF8.self))
        }
    }

    /// Sends `signal` to the child (nothing once it has been reaped).
    public func send(_ signal: Int32) {
        reaped.withLock { status in
            if status == nil { _ = kill(pid, signal) }
        }
    }

    /// Whether the child has not exited yet (reaping it if it has).
    public var isRunning: Bool {
        reaped.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            guard result == pid else { return result == 0 }
            status = Self.exitStatus(raw)
            return false
        }
    }

    /// The exit status, once the child has exited: its exit code, or 128 + the signal that ended it.
    public var status: Int32? {
        _ = isRunning
        return reaped.withLock { $0 }
    }

    /// Blocks until the child exits; its exit code, or 128 + the signal that ended it.
    @discardableResult
    public func waitForExit() -> Int32 {
        // Waits for the exit without reaping (WNOWAIT), so that `isRunning`, under the lock, is the
        // only code that reaps; fails at once (ECHILD) when that has reaped it already.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
        _ = isRunning
        return reaped.withLock { $0 } ?? -1
    }

    /// Waits for the child's exit on a thread of its own, not on one of the few Swift
    /// concurrency runs every test's tasks on.
    public func exit() async -> Int32 {
        (try? await Self.onThread { self.waitForExit() }) ?? -1
    }

    /// Runs blocking work on a thread of its own, so a waiting test does not hold one of the two
    /// threads the other tests' tasks (servers' handlers included) run on meanwhile.
    public static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    private static func exitStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    private static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else { throw SpawnFailure(description: "\(what): \(String(cString: strerror(result)))") }
    }

    // glibc's `_np` file actions (2.29 and 2.34) are not in Swift's Glibc module; looked up by name.
    private typealias FileActionsWithPath = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias FileActionsWithDescriptor = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    private static func addChangeDirectory(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ directory: String) -> Int32 {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return ENOSYS }
        return unsafeBitCast(symbol, to: FileActionsWithPath.self)(actions, directory)
    }

    private static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: FileActionsWithDescriptor.self)(actions, lowest)
    }
}
