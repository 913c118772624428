import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Searches every file under a directory for byte sequences: the proof an erasure gives that a
/// customer's personal data is on no file any more.
public struct PersonalDataScanner: Sendable {
    /// Files searched, and the paths (relative to the directory) of those holding any needle.
    public struct Result: Sendable {
        public var filesSearched = 0
        public var filesWithMatches: [String] = []
    }

    public init() {}

    /// Searches every regular file under `directory`, recursively, for any of `needles`.
    public func scan(directory: String, for needles: [[UInt8]]) throws -> Result {
        let needles = needles.filter { !$0.isEmpty }
        var result = Result()
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return result
        }
        let longest = needles.map(\.count).max() ?? 0
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            result.filesSearched += 1
            if try contains(file: url.path, needles: needles, overlap: max(longest - 1, 0)) {
                result.filesWithMatches.append(String(url.path.dropFirst(root.path.count + 1)))
            }
        }
        return result
    }

    /// Reads the file in chunks that overlap by `overlap` bytes, so a needle spanning two chunks is found.
    private func contains(file path: String, needles: [[UInt8]], overlap: Int) throws -> Bool {
        guard !needles.isEmpty else { return false }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        var carried = Data()
        while true {
            guard let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty else { return false }
            var window = carried
            window.append(chunk)
            let found = window.withUnsafeBytes { haystack -> Bool in
                needles.contains { needle in
                    needle.withUnsafeBytes { PersonalDataScanner.find($0, in: haystack) }
                }
            }
            if found { return true }
            carried = overlap > 0 ? window.suffix(overlap) : Data()
        }
    }

    /// Whether `needle` occurs in `haystack`: memchr to the next candidate first byte, then memcmp.
    static func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Bool {
        guard let needleStart = needle.baseAddress, let start = haystack.baseAddress, needle.count > 0,
              haystack.count >= needle.count else { return false }
        let first = Int32(needle[0])
        var offset = 0
        let lastStart = haystack.count - needle.count
        while offset <= lastStart {
            guard let hit = memchr(start + offset, first, lastStart - offset + 1) else { return false }
            let position = start.distance(to: UnsafeRawPointer(hit))
            if memcmp(hit, needleStart, needle.count) == 0 { return true }
            offset = position + 1
        }
        return false
    }
}
