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
        try scan(directory: directory, forEach: [needles])[0]
    }

    /// Searches every regular file under `directory` once, for several groups of needles (one
    /// group per erased customer): a result per group, with the files holding any of its needles.
    public func scan(directory: String, forEach groups: [[[UInt8]]]) throws -> [Result] {
        let groups = groups.map { $0.filter { !$0.isEmpty } }
        var results = Array(repeating: Result(), count: groups.count)
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return results
        }
        let longest = groups.joined().map(\.count).max() ?? 0
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let found = try groupsFound(in: url.path, groups: groups, overlap: max(longest - 1, 0))
            for index in results.indices {
                results[index].filesSearched += 1
                if found[index] {
                    results[index].filesWithMatches.append(String(url.path.dropFirst(root.path.count + 1)))
                }
            }
        }
        return results
    }

    /// Which groups have a needle in the file. Reads the file in chunks that overlap by `overlap`
    /// bytes, so a needle spanning two chunks is found.
    private func groupsFound(in path: String, groups: [[[UInt8]]], overlap: Int) throws -> [Bool] {
        var found = Array(repeating: false, count: groups.count)
        guard groups.contains(where: { !$0.isEmpty }) else { return found }
        guard let handle = FileHandle(forReadingAtPath: path) else { return found }
        defer { try? handle.close() }
        var carried = Data()
        while let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty {
            var window = carried
            window.append(chunk)
            window.withUnsafeBytes { haystack in
                for (index, needles) in groups.enumerated() where !found[index] {
                    found[index] = needles.contains { needle in
                        needle.withUnsafeBytes { PersonalDataScanner.find($0, in: haystack) }
                    }
                }
            }
            if !found.contains(false) { break }
            carried = overlap > 0 ? window.suffix(overlap) : Data()
        }
        return found
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
