public import C360Core

extension RecordValue {
    /// Reads one JSON value (a line of NDJSON) exactly: numbers keep their literal text.
    /// - Throws: `C360Error` `.invalidArgument` saying where the JSON is malformed.
    public static func json(_ bytes: some Collection<UInt8>) throws(C360Error) -> RecordValue {
        var reader = JSONReader(bytes: Array(bytes))
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.position == reader.bytes.count else { throw reader.error("unexpected text after the JSON value") }
        return value
    }
}

/// A strict JSON reader (RFC 8259) that keeps numbers as text.
private struct JSONReader {
    let bytes: [UInt8]
    var position = 0
    static let maximumDepth = 64

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> C360Error {
        C360Error(.invalidArgument, "malformed JSON at byte \(position + 1): \(message)")
    }

    mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func value(depth: Int) throws(C360Error) -> RecordValue {
        guard depth < Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
        guard position < bytes.count else { throw error("the value is missing") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var fields: [String: RecordValue] = [:]
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(fields) }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a field name in quotes") }
                let key = try string()
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected : after a field name") }
                position += 1
                skipSpace()
                guard fields[key] == nil else { throw error("the field \"\(key)\" appears twice") }
                fields[key] = try value(depth: depth + 1)
                skipSpace()
                guard position < bytes.count else { throw error("an object is not closed") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                guard bytes[position] == UInt8(ascii: "}") else { throw error("expected , or } in an object") }
                position += 1
                return .object(fields)
            }
        case UInt8(ascii: "["):
            position += 1
            var elements: [RecordValue] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipSpace()
                elements.append(try value(depth: depth + 1))
                skipSpace()
                guard position < bytes.count else { throw error("an array is not closed") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                guard bytes[position] == UInt8(ascii: "]") else { throw error("expected , or ] in an array") }
                position += 1
                return .array(elements)
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    mutating func literal(_ word: String) throws(C360Error) {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count, Array(bytes[position..<position + expected.count]) == expected else {
            throw error("unexpected text")
        }
        position += expected.count
    }

    mutating func number() throws(C360Error) -> String {
        let start = position
        func digits() -> Int {
            let from = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - from
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw error("unexpected text") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw error("a number has a leading zero") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw error("a number has no digits after its decimal point") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error("a number has no digits in its exponent") }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func string() throws(C360Error) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        var result = ""
        func flush(_ end: Int) throws(C360Error) {
            guard let run = String(validating: bytes[runStart..<end], as: UTF8.self) else { throw error("a string is not valid UTF-8") }
            result += run
        }
        while true {
            guard position < bytes.count else { throw error("a string is not closed") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                try flush(position)
                position += 1
                return result
            }
            guard byte >= 0x20 else { throw error("a string holds a control character") }
            if byte != UInt8(ascii: "\\") { position += 1; continue }
            try flush(position)
            position += 1
            guard position < bytes.count else { throw error("a string is not closed") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): result += "\""
            case UInt8(ascii: "\\"): result += "\\"
            case UInt8(ascii: "/"): result += "/"
            case UInt8(ascii: "b"): result += "\u{08}"
            case UInt8(ascii: "f"): result += "\u{0C}"
            case UInt8(ascii: "n"): result += "\n"
            case UInt8(ascii: "r"): result += "\r"
            case UInt8(ascii: "t"): result += "\t"
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error("a \\u escape holds half of a surrogate pair")
                    }
                    position += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("a \\u escape holds half of a surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("a \\u escape is not a character") }
                scalars.removeAll()
                scalars.append(scalar)
                result += String(scalars)
            default:
                throw error("unknown escape \\\(Character(Unicode.Scalar(escape)))")
            }
            runStart = position
        }
    }

    mutating func hex4() throws(C360Error) -> UInt32 {
        guard bytes.count - position >= 4, let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
            throw error("a \\u escape needs four hexadecimal digits")
        }
        position += 4
        return code
    }
}
