import C360TestSupport
import Foundation
import Testing

/// The tests' own way of starting programs, checked on what Foundation's `Process` got wrong here.
@Suite struct ChildProcessTests {
    @Test("a child inherits none of the test process's descriptors, however many are open, only its three streams")
    func descriptorsStayOut() async throws {
        // Opened without close-on-exec, as a library might.
        let held = (0..<500).map { _ in open("/dev/null", O_RDONLY) }
        defer { held.forEach { close($0) } }
        #expect(held.allSatisfy { $0 >= 0 })
        let listed = try await ChildProcess.run("/bin/sh", ["-c", "ls /proc/$$/fd"])
        #expect(listed.status == 0)
        #expect(listed.stdout.split(separator: "\n").sorted() == ["0", "1", "2"])
    }

    @Test("exit codes, deaths by signal and standard input come through")
    func statusAndStreams() async throws {
        #expect(try await ChildProcess.run("/bin/sh", ["-c", "exit 3"]).status == 3)
        #expect(try await ChildProcess.run("/bin/sh", ["-c", "kill -KILL $$"]).status == 128 + SIGKILL)
        let echoed = try await ChildProcess.run("/bin/sh", ["-c", "cat; echo done >&2"], standardInput: "line one\nline two\n")
        #expect(echoed.stdout == "line one\nline two\n")
        #expect(echoed.stderr == "done\n")
        #expect(try await ChildProcess.run("/bin/sh", ["-c", "pwd"], directory: "/tmp").stdout == "/tmp\n")
        #expect(try await ChildProcess.run("/bin/sh", ["-c", "echo $ONLY"], environment: ["ONLY": "this"]).stdout == "this\n")
        #expect(throws: ChildProcess.SpawnFailure.self) { try ChildProcess("/nonexistent/program", []) }
    }

    @Test("a child killed while running is seen to end, and its status is kept")
    func killed() async throws {
        let child = try ChildProcess("/bin/sleep", ["60"])
        #expect(child.isRunning)
        child.send(SIGKILL)
        #expect(await child.exit() == 128 + SIGKILL)
        #expect(!child.isRunning)
        #expect(child.status == 128 + SIGKILL)
    }
}
