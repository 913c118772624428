@testable import C360Codec
import C360Core
import C360Model
import Testing

/// Catalogue text read through the interner is one copy however many records hold it, the table
/// stays within its capacity, and what it returns is always the text read.
@Suite struct StringInternerTests {
    /// Where a string's UTF-8 is stored: equal for two strings sharing one copy.
    private func storage(_ string: String) -> UInt {
        var string = string
        return string.withUTF8 { UInt(bitPattern: $0.baseAddress) }
    }

    private func intern(_ text: String, in interner: StringInterner) throws -> String {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { raw in
            try interner.string(raw) { (utf8) throws(ProtobufWireError) in String(decoding: utf8, as: UTF8.self) }
        }
    }

    @Test("equal texts share one copy; short ones are not kept; each is the text read")
    func sharesOneCopy() throws {
        let interner = StringInterner(capacity: 100)
        let first = try intern("Sports Bra — Ecru, size M", in: interner)
        let second = try intern("Sports Bra — Ecru, size M", in: interner)
        #expect(first == "Sports Bra — Ecru, size M" && second == first)
        #expect(storage(first) == storage(second))
        let other = try intern("Sports Bra — Ecru, size L", in: interner)
        #expect(other == "Sports Bra — Ecru, size L" && storage(other) != storage(first))
        // Fifteen bytes fit inside a String: nothing to share, nothing kept.
        #expect(try intern("activewear", in: interner) == "activewear")
        #expect(try intern("", in: interner) == "")
    }

    @Test("the table grows as texts arrive and finds every one again")
    func growsAndFinds() throws {
        let interner = StringInterner(capacity: 10_000)
        let texts = (0..<5_000).map { "catalogue product number \($0)" }
        let kept = try texts.map { try intern($0, in: interner) }
        for (text, first) in zip(texts, kept) {
            let again = try intern(text, in: interner)
            #expect(again == text)
            #expect(storage(again) == storage(first))
        }
    }

    @Test("past its capacity it keeps nothing more, and still returns the text")
    func boundedByCapacity() throws {
        let interner = StringInterner(capacity: 4)
        let kept = try (0..<4).map { try intern("kept catalogue text \($0)", in: interner) }
        let past = try intern("one text too many for it", in: interner)
        let pastAgain = try intern("one text too many for it", in: interner)
        #expect(past == "one text too many for it" && pastAgain == past)
        #expect(storage(past) != storage(pastAgain))
        for (index, first) in kept.enumerated() {
            #expect(storage(try intern("kept catalogue text \(index)", in: interner)) == storage(first))
        }
    }

    @Test("threads interning the same texts at once each get the text, and one copy is kept")
    func concurrentUse() async throws {
        let interner = StringInterner(capacity: 1_000)
        let texts = (0..<200).map { "shared product name number \($0)" }
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask { try texts.map { try self.intern($0, in: interner) } }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        for result in results { #expect(result == texts) }
        for text in texts {
            let index = texts.firstIndex(of: text)!
            let copies = Set(results.map { storage($0[index]) })
            // Several tasks may build a copy before one is kept; the kept one is one of them.
            #expect(copies.contains(storage(try intern(text, in: interner))))
        }
    }

    @Test("a repeated field's run is counted across one- and two-byte keys, and stops at other fields or bad bytes")
    func countsRuns() throws {
        func run(_ bytes: [UInt8], number: Int) throws -> Int {
            try bytes.withUnsafeBytes { raw in
                var reader = ProtobufWireReader(raw)
                _ = try reader.nextField()
                return reader.countOfRun(number: number)
            }
        }
        // Field 2 three times, then field 3.
        #expect(try run([0x12, 1, 0x41, 0x12, 0, 0x12, 2, 0x41, 0x42, 0x1A, 1, 0x41], number: 2) == 3)
        // Field 16 (a two-byte key, 0x82 0x01) twice, then field 2.
        #expect(try run([0x82, 0x01, 1, 0x41, 0x82, 0x01, 0, 0x12, 0], number: 16) == 2)
        // The second value's length runs past the end: the count stops at what can be read.
        #expect(try run([0x12, 1, 0x41, 0x12, 9, 0x41], number: 2) == 1)
        // The first value truncated: still one, for the reader to report.
        #expect(try run([0x12, 9], number: 2) == 1)
        // A key cut short at the end.
        #expect(try run([0x82, 0x01, 0, 0x82], number: 16) == 1)
    }
}
