import SwiftProtobuf

/// JSON output of the command line: the protobuf JSON mapping with the .proto's field names, as
/// the documentation writes them. As in that mapping, fields at their zero value are left out.
enum JSONOutput {
    /// One line of JSON.
    static func line(_ message: some SwiftProtobuf.Message) throws -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return try message.jsonString(options: options)
    }

    /// Indented JSON for people to read.
    static func pretty(_ message: some SwiftProtobuf.Message) throws -> String {
        indent(try line(message))
    }

    /// Re-indents compact JSON, two spaces a level, leaving strings untouched.
    static func indent(_ compact: String) -> String {
        var out = ""
        var depth = 0
        var inString = false
        var escaped = false
        var previous: Character = " "
        func newline() { out += "\n" + String(repeating: "  ", count: depth) }
        for character in compact {
            if inString {
                out.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"":
                inString = true
                out.append(character)
            case "{", "[":
                out.append(character)
                depth += 1
                newline()
            case "}", "]":
                depth -= 1
                if previous == "{" || previous == "[" {
                    // An empty object or array stays on one line.
                    out = String(out.dropLast(2 * (depth + 1) + 1))
                } else {
                    newline()
                }
                out.append(character)
            case ",":
                out.append(character)
                newline()
            case ":":
                out += ": "
            default:
                out.append(character)
            }
            previous = character
        }
        return out
    }
}
