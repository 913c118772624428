import C360Core
@testable import C360Mapping
import Testing

@Suite struct RecordValueTests {
    @Test("JSON is read exactly: numbers keep their text, escapes and surrogate pairs decode")
    func json() throws {
        let value = try RecordValue.json(Array(#"{"total": 85.98, "big": 12345678901234567890.10, "name": "Zo\u00eb \ud83d\ude00 \"q\"", "ok": true, "none": null, "lines": [{"qty": 2}]}"#.utf8))
        #expect(value.value(at: try FieldPath("total")) == .number("85.98"))
        #expect(value.value(at: try FieldPath("big"))?.text == "12345678901234567890.10")
        #expect(value.value(at: try FieldPath("name"))?.text == "Zoë 😀 \"q\"")
        #expect(value.value(at: try FieldPath("ok")) == .bool(true))
        #expect(value.value(at: try FieldPath("none")) == .null)
        #expect(value.value(at: try FieldPath("lines[0].qty")) == .number("2"))
        #expect(value.value(at: try FieldPath("lines[1].qty")) == nil)
        #expect(value.value(at: try FieldPath("missing.deeper")) == nil)
    }

    @Test("malformed JSON is an error saying where, never a crash", arguments: [
        "", "{", "[1,", #"{"a" 1}"#, #"{"a":1,}"#, "01", "1.", "-", "tru", #""\x""#, #""\ud83d""#, "{} {}", #"{"a":1,"a":2}"#,
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "\"\u{01}\"",
    ])
    func malformed(text: String) {
        #expect(throws: C360Error.self) { try RecordValue.json(Array(text.utf8)) }
    }

    @Test("field paths: dotted keys, indexes, and bracketed names with dots")
    func paths() throws {
        #expect(try FieldPath("a.b[2].c").steps == [.key("a"), .key("b"), .index(2), .key("c")])
        #expect(try FieldPath(#"["order.id"].x"#).steps == [.key("order.id"), .key("x")])
        for bad in ["", "a.", ".a", "a..b", "a[x]", "a[-1]", #"["a"#] {
            #expect(throws: C360Error.self) { try FieldPath(bad) }
        }
    }

    @Test("CSV rows become records named by the header: quotes, doubled quotes, line breaks in quotes, empty fields absent")
    func csv() throws {
        var reader = CSVRecords()
        #expect(try reader.take(line: Array("id,name,note,total".utf8)) == nil)
        let first = try #require(try reader.take(line: Array(#"1,"Smith, Jo","said ""hi""",85.98"#.utf8)))
        #expect(first.value(at: try FieldPath("name"))?.text == "Smith, Jo")
        #expect(first.value(at: try FieldPath("note"))?.text == #"said "hi""#)
        #expect(first.value(at: try FieldPath("total"))?.text == "85.98")
        #expect(try reader.take(line: Array(#"2,"two"#.utf8)) == nil)
        #expect(reader.isInsideQuotedField)
        let second = try #require(try reader.take(line: Array(#"lines",,"#.utf8)))
        #expect(second.value(at: try FieldPath("name"))?.text == "two\nlines")
        #expect(second.value(at: try FieldPath("note")) == nil)
        #expect(throws: C360Error.self) { try reader.take(line: Array("1,2,3,4,5".utf8)) }
        #expect(throws: C360Error.self) { try reader.take(line: Array(#"1,ab"c,3"#.utf8)) }
        var noHeader = CSVRecords()
        #expect(throws: C360Error.self) { try noHeader.take(line: Array("id,,total".utf8)) }
    }
}
