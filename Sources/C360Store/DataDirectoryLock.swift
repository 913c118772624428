import C360Core
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a data directory held for as long as a store has it open, with the
/// holder's process id written inside so that a second process can say who holds it.
final class DataDirectoryLock: Sendable {
    /// -1 once released.
    private let descriptor: Atomic<Int32>

    /// Takes the lock on `directory`, creating the directory if needed.
    /// - Throws: `C360Error` `.dataDirectoryLocked` naming the directory and the holder's pid.
    init(directory: String) throws(C360Error) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw C360Error(.io, "cannot create data directory \(directory): \(error.localizedDescription)")
        }
        let path = directory + "/c360.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw C360Error(.io, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            close(descriptor)
            let holder = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: "\n ") : "unknown"
            throw C360Error(
                .dataDirectoryLocked,
                "data directory \(directory) is in use by another process (pid \(holder)); stop it, or send the command to the running server with --server")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        self.descriptor = Atomic(descriptor)
    }

    /// Gives the lock up (once; later calls do nothing): the store closed the directory.
    func release() {
        let descriptor = self.descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    deinit {
        release()
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var result = Substring(self)
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return String(result)
    }
}
