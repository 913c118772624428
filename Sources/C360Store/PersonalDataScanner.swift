import C360Core
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

    /// Called with each listed path just before it is examined: lets a test delete or replace a
    /// file at that moment, as a RocksDB compaction finishing would.
    let beforeExamining: (@Sendable (String) -> Void)?

    public init() {
        beforeExamining = nil
    }

    init(beforeExamining: @escaping @Sendable (String) -> Void) {
        self.beforeExamining = beforeExamining
    }

    /// Searches every regular file under `directory`, recursively, for any of `needles`.
    public func scan(directory: String, for needles: [[UInt8]]) throws -> Result {
        try scan(directory: directory, forEach: [needles])[0]
    }

    /// How many times a search starts over because a file went away under it, before it gives up.
    static let maximumPasses = 10

    /// Searches every regular file under `directory`, for several groups of needles (one group per
    /// erased customer): a result per group, with the files holding any of its needles.
    ///
    /// RocksDB deletes files while it runs (a compaction's inputs, a WAL after a flush). A file
    /// that was listed but is gone when it is read held data that now lives in a newer file, which
    /// this walk may not have listed: the search starts over, so a result always covers every file
    /// of one complete walk. A file that exists but cannot be read is an error, never a pass.
    /// - Throws: `C360Error(.io)` if a file cannot be read, or if files keep going away for
    ///   `maximumPasses` walks.
    public func scan(directory: String, forEach groups: [[[UInt8]]]) throws -> [Result] {
        let groups = groups.map { $0.filter { !$0.isEmpty } }
        for _ in 0..<Self.maximumPasses {
            if let results = try walk(directory: directory, groups: groups) { return results }
        }
        throw C360Error(.io, "files under \(directory) kept going away during \(Self.maximumPasses) searches for personal data")
    }

    /// One walk over `directory`: the results, or nil if a listed file was gone before it was read.
    private func walk(directory: String, groups: [[[UInt8]]]) throws -> [Result]? {
        var results = Array(repeating: Result(), count: groups.count)
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            return results
        }
        let longest = groups.joined().map(\.count).max() ?? 0
        for case let url as URL in walker {
            beforeExamining?(url.path)
            var status = stat()
            guard lstat(url.path, &status) == 0 else {
                if errno == ENOENT { return nil }
                throw C360Error(.io, "cannot examine \(url.path): \(String(cString: strerror(errno)))")
            }
            guard status.st_mode & S_IFMT == S_IFREG else { continue }
            guard let found = try groupsFound(in: url.path, groups: groups, overlap: max(longest - 1, 0)) else { return nil }
            for index in results.indices {
                results[index].filesSearched += 1
                if found[index] {
                    results[index].filesWithMatches.append(String(url.path.dropFirst(root.path.count + 1)))
                }
            }
        }
        return results
    }

    /// Which groups have a needle in the file, or nil if the file no longer exists. Reads the file
    /// in chunks that overlap by `overlap` bytes, so a needle spanning two chunks is found, and
    /// searches each chunk once for all the needles of all the groups.
    private func groupsFound(in path: String, groups: [[[UInt8]]], overlap: Int) throws -> [Bool]? {
        var found = Array(repeating: false, count: groups.count)
        let search = NeedleSearch(groups: groups)
        guard !search.isEmpty else { return found }
        // Once open, the file is read whole even if it is deleted meanwhile.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw C360Error(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var carried = Data()
        while let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty {
            var window = carried
            window.append(chunk)
            window.withUnsafeBytes { search.mark(in: $0, found: &found) }
            if !found.contains(false) { break }
            carried = overlap > 0 ? window.suffix(overlap) : Data()
        }
        return found
    }

    /// Many needles searched for in one pass: each position's first two bytes are looked up in a
    /// bitmap of the needles' first two bytes, and only the needles starting with them compared.
    /// A search of every file for every erased customer costs one pass over the data, not one per
    /// needle.
    struct NeedleSearch {
        private var bitmap = [UInt64](repeating: 0, count: 65_536 / 64)
        private var candidates: [UInt16: [(needle: [UInt8], group: Int)]] = [:]
        /// Needles of one byte, by group: rare (a protobuf-encoded string is at least two bytes).
        private var singleBytes: [(byte: UInt8, group: Int)] = []

        init(groups: [[[UInt8]]]) {
            for (group, needles) in groups.enumerated() {
                for needle in needles where !needle.isEmpty {
                    if needle.count == 1 {
                        singleBytes.append((needle[0], group))
                        continue
                    }
                    let prefix = UInt16(needle[0]) << 8 | UInt16(needle[1])
                    bitmap[Int(prefix) >> 6] |= 1 << (UInt64(prefix) & 63)
                    candidates[prefix, default: []].append((needle, group))
                }
            }
        }

        var isEmpty: Bool { candidates.isEmpty && singleBytes.isEmpty }

        /// Sets `found[group]` for every group with a needle in `haystack`.
        func mark(in haystack: UnsafeRawBufferPointer, found: inout [Bool]) {
            guard let base = haystack.baseAddress, haystack.count > 0 else { return }
            for (byte, group) in singleBytes where !found[group] {
                found[group] = memchr(base, Int32(byte), haystack.count) != nil
            }
            guard haystack.count >= 2, !candidates.isEmpty else { return }
            let bytes = base.assumingMemoryBound(to: UInt8.self)
            bitmap.withUnsafeBufferPointer { bits in
                var previous = UInt16(bytes[0])
                for index in 1..<haystack.count {
                    let prefix = previous << 8 | UInt16(bytes[index])
                    previous = UInt16(bytes[index])
                    guard bits[Int(prefix) >> 6] & (1 << (UInt64(prefix) & 63)) != 0 else { continue }
                    let start = index - 1
                    for (needle, group) in candidates[prefix]! where !found[group] && start + needle.count <= haystack.count {
                        if needle.withUnsafeBytes({ memcmp(base + start, $0.baseAddress!, needle.count) }) == 0 {
                            found[group] = true
                        }
                    }
                }
            }
        }
    }
}
