public import C360Core

/// Turns the lines of a CSV file (RFC 4180: a header row naming the columns, fields separated by
/// commas, quoted with `"` where they hold commas, quotes or line breaks) into records whose
/// fields are the header's names. Every value is text; an empty field is absent, as SQL's NULL is
/// in an export.
public struct CSVRecords: Sendable {
    private var header: [String]?
    /// The fields of a record whose quoted field runs on over a line break.
    private var pending: (fields: [String], field: String)?

    public init() {}

    /// Takes the next line (without its line break). Returns the record it completes, `nil` for the
    /// header and for a line that ends inside a quoted field.
    /// - Throws: `C360Error` `.invalidArgument` for a stray quote, or a row with more fields than the header.
    public mutating func take(line: some Collection<UInt8>) throws(C360Error) -> RecordValue? {
        guard let text = String(validating: Array(line), as: UTF8.self) else {
            throw C360Error(.invalidArgument, "the line is not valid UTF-8")
        }
        var fields = pending?.fields ?? []
        var field = pending.map { $0.field + "\n" } ?? ""
        var quoted = pending != nil
        pending = nil
        var characters = text.makeIterator()
        var afterQuote = false
        while let character = characters.next() {
            if quoted {
                if character == "\"" {
                    quoted = false
                    afterQuote = true
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                if afterQuote {
                    // A doubled quote inside a quoted field.
                    field.append("\"")
                    quoted = true
                    afterQuote = false
                } else {
                    guard field.isEmpty else { throw C360Error(.invalidArgument, "a quote in the middle of an unquoted field (quote the whole field and double the quote)") }
                    quoted = true
                }
            } else if character == "," {
                fields.append(field)
                field = ""
                afterQuote = false
            } else {
                guard !afterQuote else { throw C360Error(.invalidArgument, "text after the closing quote of a field") }
                field.append(character)
            }
        }
        if quoted {
            pending = (fields, field)
            return nil
        }
        fields.append(field)
        guard let header else {
            guard fields.allSatisfy({ !$0.isEmpty }), Set(fields).count == fields.count else {
                throw C360Error(.invalidArgument, "the header row must name every column, each once")
            }
            self.header = fields
            return nil
        }
        guard fields.count <= header.count else {
            throw C360Error(.invalidArgument, "the row has \(fields.count) fields, the header \(header.count)")
        }
        var record: [String: RecordValue] = [:]
        for (name, value) in zip(header, fields) where !value.isEmpty {
            record[name] = .string(value)
        }
        return .object(record)
    }

    /// Whether the file ended inside a quoted field.
    public var isInsideQuotedField: Bool { pending != nil }
}
