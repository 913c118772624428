public import C360Core

/// Text with `{field.path}` placeholders (`{{` and `}}` for braces), filled from a record: a
/// mapping's event ids and customer ids, and a source's erasure key.
public struct TextTemplate: Sendable, CustomStringConvertible {
    public let description: String
    let parts: [Mapping.TextPart]

    /// - Throws: `C360Error` `.invalidArgument` for an unclosed brace or a bad field path.
    public init(_ text: String) throws(C360Error) {
        description = text
        parts = try Self.parse(text)
    }

    /// The fields the text reads.
    public var fields: [FieldPath] {
        parts.compactMap { if case .field(let path) = $0 { path } else { nil } }
    }

    /// The text for `record`.
    /// - Throws: `C360Error` `.invalidArgument` naming a field the record lacks (or holds null, a
    ///   list or an object in).
    public func render(_ record: RecordValue) throws(C360Error) -> String {
        var result = ""
        for part in parts {
            switch part {
            case .literal(let literal):
                result += literal
            case .field(let path):
                guard let value = record.value(at: path), value != .null, let text = value.text else {
                    throw C360Error(.invalidArgument, "\"\(description)\": the record has no value at \(path)", field: path.description)
                }
                result += text
            }
        }
        return result
    }

    static func parse(_ text: String) throws(C360Error) -> [Mapping.TextPart] {
        var parts: [Mapping.TextPart] = []
        var literal = ""
        var rest = Substring(text)
        while let character = rest.first {
            if rest.hasPrefix("{{") || rest.hasPrefix("}}") {
                literal.append(character)
                rest = rest.dropFirst(2)
            } else if character == "{" {
                guard let end = rest.firstIndex(of: "}") else { throw C360Error(.invalidArgument, "\"\(text)\": a { is not closed (write {{ for a brace)") }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                do throws(C360Error) {
                    parts.append(.field(try FieldPath(String(rest[rest.index(after: rest.startIndex)..<end]))))
                } catch {
                    throw C360Error(.invalidArgument, "\"\(text)\": \(error.message)")
                }
                rest = rest[rest.index(after: end)...]
            } else if character == "}" {
                throw C360Error(.invalidArgument, "\"\(text)\": a } without its { (write }} for a brace)")
            } else {
                literal.append(character)
                rest = rest.dropFirst()
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return parts
    }
}
