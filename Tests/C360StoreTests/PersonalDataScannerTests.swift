@testable import C360Store
import C360Core
import Foundation
import Synchronization
import Testing

@Suite struct PersonalDataScannerTests {
    @Test("one search finds each group's needles and only those, at a file's edges and across the chunks it is read in")
    func groups() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
            var big = [UInt8](repeating: 0x41, count: (8 << 20) + 100)
            // Straddles the 8 MiB boundary between the first chunk and the second.
            let straddling = Array("\u{0B}across-edge".utf8)
            big.replaceSubrange(((8 << 20) - 5)..<((8 << 20) - 5 + straddling.count), with: straddling)
            try Data(big).write(to: URL(fileURLWithPath: directory + "/sub/big.sst"))
            try Data(Array("\u{07}at-end!".utf8)).write(to: URL(fileURLWithPath: directory + "/end.log"))
            try Data(Array("x\u{05}start+".utf8)).write(to: URL(fileURLWithPath: directory + "/start.log"))
            try Data(Array("nothing of interest".utf8)).write(to: URL(fileURLWithPath: directory + "/other"))

            let results = try PersonalDataScanner().scan(directory: directory, forEach: [
                [Array("\u{0B}across-edge".utf8)],
                [Array("\u{07}at-end!".utf8), Array("never-there".utf8)],
                [Array("\u{05}start".utf8)],
                [Array("absent".utf8), []],
                [Array("Z".utf8)],
                [Array("x".utf8)],
            ])
            #expect(results.map(\.filesSearched) == Array(repeating: 4, count: 6))
            #expect(results[0].filesWithMatches == ["sub/big.sst"])
            #expect(results[1].filesWithMatches == ["end.log"])
            #expect(results[2].filesWithMatches == ["start.log"])
            #expect(results[3].filesWithMatches == [])
            #expect(results[4].filesWithMatches == [])
            #expect(results[5].filesWithMatches.sorted() == ["start.log"])
            // The one-group form answers the same.
            #expect(try PersonalDataScanner().scan(directory: directory, for: [Array("\u{07}at-end!".utf8)]).filesWithMatches == ["end.log"])
        }
    }

    @Test("a file that goes away before it is read (a compaction replacing it) starts the search over, so the data it moved to is found")
    func fileReplacedDuringTheSearch() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("..needle-of-erased..".utf8).write(to: URL(fileURLWithPath: directory + "/000010.sst"))
            try Data("nothing here".utf8).write(to: URL(fileURLWithPath: directory + "/000011.sst"))
            let compacted = Mutex(false)
            let scanner = PersonalDataScanner(beforeExamining: { path in
                guard path.hasSuffix("/000010.sst"), !compacted.withLock({ $0 }) else { return }
                compacted.withLock { $0 = true }
                // The data moves to a new file, and the old one goes, before the scanner reads it.
                try! Data("..needle-of-erased..".utf8).write(to: URL(fileURLWithPath: directory + "/000012.sst"))
                try! FileManager.default.removeItem(atPath: path)
            })
            let result = try scanner.scan(directory: directory, for: [Array("needle-of-erased".utf8)])
            #expect(compacted.withLock { $0 })
            #expect(result.filesWithMatches == ["000012.sst"])
            #expect(result.filesSearched == 2)
        }
    }

    @Test("files that keep going away end the search with an error, never a result that skipped them")
    func filesKeepGoingAway() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("needle".utf8).write(to: URL(fileURLWithPath: directory + "/1.sst"))
            let generation = Mutex(1)
            let scanner = PersonalDataScanner(beforeExamining: { path in
                let next = generation.withLock { $0 += 1; return $0 }
                try! Data("needle".utf8).write(to: URL(fileURLWithPath: directory + "/\(next).sst"))
                try! FileManager.default.removeItem(atPath: path)
            })
            let error = #expect(throws: C360Error.self) {
                try scanner.scan(directory: directory, for: [Array("needle".utf8)])
            }
            #expect(error?.code == .io)
            #expect(generation.withLock { $0 } > PersonalDataScanner.maximumPasses)
        }
    }
}
