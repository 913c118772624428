public import C360Core
import Foundation

/// One record from a source system — a line of foreign JSON, a CSV row, a database row — as a
/// tree whose leaves keep their text exactly: a JSON number is its literal (`85.98`), never a
/// binary float, so money converts to minor units without rounding.
public indirect enum RecordValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A JSON number, as written.
    case number(String)
    case string(String)
    case array([RecordValue])
    case object([String: RecordValue])

    /// A scalar's text (`true`, `85.98`, `cust_1`); `nil` for null, arrays and objects.
    public var text: String? {
        switch self {
        case .bool(let value): value ? "true" : "false"
        case .number(let literal): literal
        case .string(let string): string
        case .null, .array, .object: nil
        }
    }

    /// The value at `path`, `nil` when any step of it is absent (or null on the way).
    public func value(at path: FieldPath) -> RecordValue? {
        var current = self
        for step in path.steps {
            switch (step, current) {
            case (.key(let key), .object(let fields)):
                guard let next = fields[key] else { return nil }
                current = next
            case (.index(let index), .array(let elements)):
                guard elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }
}

/// Where a value is in a record: `customer.email`, `lines[0].sku`, or a name with dots in it
/// quoted with brackets, `["order.id"]`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public let steps: [Step]
    public let description: String

    /// - Throws: `C360Error` `.invalidArgument` for an empty path or a malformed step.
    public init(_ text: String) throws(C360Error) {
        var steps: [Step] = []
        var rest = Substring(text)
        guard !rest.isEmpty else { throw C360Error(.invalidArgument, "a field path is empty") }
        while !rest.isEmpty {
            if rest.hasPrefix("[\"") {
                guard let end = rest.range(of: "\"]") else { throw C360Error(.invalidArgument, "field path \(text): a [\" is not closed") }
                steps.append(.key(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound])))
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("[") {
                guard let end = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<end]), index >= 0 else {
                    throw C360Error(.invalidArgument, "field path \(text): an index must be a whole number in brackets, as lines[0]")
                }
                steps.append(.index(index))
                rest = rest[rest.index(after: end)...]
            } else {
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                guard end != rest.startIndex else { throw C360Error(.invalidArgument, "field path \(text) has an empty step") }
                steps.append(.key(String(rest[..<end])))
                rest = rest[end...]
            }
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                guard !rest.isEmpty else { throw C360Error(.invalidArgument, "field path \(text) ends with a dot") }
            }
        }
        self.steps = steps
        self.description = text
    }
}
