import C360Codec
public import C360Core
public import C360Model
import Foundation
import SwiftProtobuf

/// A declarative mapping from a source system's records to c360 events, read from YAML
/// (`Mapping(yaml:)`; the reference is in the README and `ops/mappings/`).
///
/// Rules are tried in order; the first whose conditions hold decides: it makes its events from
/// the record, or skips it, saying why. A record no rule takes, or one its rule cannot turn into
/// valid events, is an error naming the rule and the field — never skipped silently nor mapped in
/// part. Pure: no I/O.
///
/// ```swift
/// let mapping = try Mapping(yaml: text)
/// let events = try mapping.events(from: try RecordValue.json(line), metadata: ["_line": "12"])
/// ```
public struct Mapping: Sendable {
    public let name: String
    let rules: [Rule]

    struct Rule: Sendable {
        let name: String
        let conditions: [Condition]
        let outcome: Outcome
    }

    enum Outcome: Sendable {
        case skip(reason: String)
        case events([Template])
    }

    struct Condition: Sendable {
        enum Test: Sendable {
            /// The field's text is one of these.
            case isOneOf([String])
            case isNotOneOf([String])
            /// The field is present and not null (`true`), or absent or null (`false`).
            case isPresent(Bool)
        }

        let path: FieldPath
        let test: Test
    }

    /// What a rule makes of a record: a message's fields, a list, or a value of a field's kind.
    indirect enum Template: Sendable {
        case message([(name: String, number: Int, template: Template)])
        case list([Template])
        /// One element per element of the array at `path`, which `name` names within `item`.
        case each(path: FieldPath, name: String, item: Template)
        case value(Expression, kind: MessageSchema.Kind, optional: Bool)
    }

    /// How a value is made from a record.
    indirect enum Expression: Sendable {
        case constant(String)
        /// Text with `{field.path}` placeholders.
        case text([TextPart])
        case field(FieldPath)
        /// The source's value looked up in a table (an enum's names, codes to words...).
        case table(Expression, values: [String: String], fallback: String?)
        case timestamp(Expression, format: TimestampFormat)
        /// `amount` a decimal in the currency's major unit, or already in minor units.
        case money(amount: Expression, currency: Expression, inMinorUnits: Bool)
        case withDefault(Expression, String)
    }

    enum TextPart: Sendable {
        case literal(String)
        case field(FieldPath)
    }

    enum TimestampFormat: Sendable {
        /// RFC 3339, or PostgreSQL's `timestamptz` text; without an offset, local time in the zone.
        case rfc3339(zone: TimeZone?)
        case epochSeconds
        case epochMilliseconds
    }

    /// The events `record` becomes: none when a rule skips it.
    /// - Parameter metadata: values about the record that are not in it, for its paths to name
    ///   (`_line`, `_file`; a database change's `_table`, `_op`, `_lsn`).
    /// - Throws: `C360Error` `.invalidArgument` naming the rule and the field at fault.
    public func events(from record: RecordValue, metadata: [String: String] = [:], validator: EventValidator = .init()) throws(C360Error) -> [C360_V1_Event] {
        let scope = Scope(record: record, bindings: metadata.mapValues(RecordValue.string))
        guard let rule = rules.first(where: { rule in rule.conditions.allSatisfy { scope.holds($0) } }) else {
            throw C360Error(.invalidArgument, "mapping \(name): no rule takes this record (add a rule for it, or one that skips it)")
        }
        switch rule.outcome {
        case .skip:
            return []
        case .events(let templates):
            var events: [C360_V1_Event] = []
            for (index, template) in templates.enumerated() {
                let place = templates.count > 1 ? "rule \"\(rule.name)\", event \(index + 1)" : "rule \"\(rule.name)\""
                do throws(C360Error) {
                    // The event's wire format, decoded by the generated code: a tenth of the CPU
                    // of writing its JSON and decoding that (perf of a database's snapshot).
                    var wire = ProtobufWireWriter(capacity: 512)
                    if case .message(let fields) = template {
                        _ = try write(fields: fields, in: scope, at: "", into: &wire)
                    }
                    let bytes = wire.finish()
                    let event: C360_V1_Event
                    do {
                        event = try C360_V1_Event(serializedBytes: bytes)
                    } catch {
                        throw C360Error(.invalidArgument, "the event it makes is not valid: \(error)")
                    }
                    try validator.validate(event)
                    events.append(event)
                } catch {
                    throw C360Error(.invalidArgument, "mapping \(name), \(place)" + (error.field.map { ", field \($0)" } ?? "") + ": \(error.message)", field: error.field)
                }
            }
            return events
        }
    }

    /// The names of the record's fields the mapping reads (the first step of every path): a
    /// source stops when one of them is dropped or changes type, and ignores other columns.
    public var fieldsRead: Set<String> {
        var names: Set<String> = []
        func add(_ path: FieldPath) {
            if case .key(let name) = path.steps.first { names.insert(name) }
        }
        func add(_ expression: Expression) {
            switch expression {
            case .constant: break
            case .field(let path): add(path)
            case .text(let parts): for case .field(let path) in parts { add(path) }
            case .table(let source, _, _), .withDefault(let source, _), .timestamp(let source, _): add(source)
            case .money(let amount, let currency, _): add(amount); add(currency)
            }
        }
        func add(_ template: Template) {
            switch template {
            case .message(let fields): for field in fields { add(field.template) }
            case .list(let elements): elements.forEach(add)
            case .each(let path, _, let item): add(path); add(item)
            case .value(let expression, _, _): add(expression)
            }
        }
        for rule in rules {
            for condition in rule.conditions { add(condition.path) }
            if case .events(let templates) = rule.outcome { templates.forEach(add) }
        }
        return names
    }

    /// The rules' names, in order.
    public var ruleNames: [String] { rules.map(\.name) }

    /// Which rule takes `record`, and whether it skips it (for `c360 mapping test`).
    public func rule(for record: RecordValue, metadata: [String: String] = [:]) -> (name: String, skipReason: String?)? {
        let scope = Scope(record: record, bindings: metadata.mapValues(RecordValue.string))
        guard let rule = rules.first(where: { rule in rule.conditions.allSatisfy { scope.holds($0) } }) else { return nil }
        if case .skip(let reason) = rule.outcome { return (rule.name, reason) }
        return (rule.name, nil)
    }

    /// The record and the names bound around it (metadata, `each`'s elements).
    struct Scope {
        let record: RecordValue
        var bindings: [String: RecordValue]

        func value(at path: FieldPath) -> RecordValue? {
            if case .key(let first) = path.steps.first, let bound = bindings[first] {
                return bound.value(at: FieldPath(steps: Array(path.steps.dropFirst())))
            }
            return record.value(at: path)
        }

        func holds(_ condition: Condition) -> Bool {
            let value = value(at: condition.path)
            switch condition.test {
            case .isPresent(let present): return (value != nil && value != .null) == present
            case .isOneOf(let texts): return value?.text.map(texts.contains) ?? false
            case .isNotOneOf(let texts): return !(value?.text.map(texts.contains) ?? false)
            }
        }
    }

    /// Writes the fields of a message; whether any was written.
    private func write(
        fields: [(name: String, number: Int, template: Template)], in scope: Scope, at path: String, into wire: inout ProtobufWireWriter
    ) throws(C360Error) -> Bool {
        var wrote = false
        for field in fields {
            let fieldPath = path.isEmpty ? field.name : path + "." + field.name
            if try write(field.template, number: field.number, in: scope, at: fieldPath, into: &wire) { wrote = true }
        }
        return wrote
    }

    /// Writes `template` as field `number` for the record in `scope`; `false` when it is absent
    /// (an optional value whose source is missing, or a message all of whose fields are), and
    /// nothing was written. A list is present even when empty.
    private func write(
        _ template: Template, number: Int, in scope: Scope, at path: String, into wire: inout ProtobufWireWriter
    ) throws(C360Error) -> Bool {
        switch template {
        case .message(let fields):
            let start = wire.beginMessage(number)
            guard try write(fields: fields, in: scope, at: path, into: &wire) else {
                wire.discard(start)
                return false
            }
            wire.endMessage(start)
            return true
        case .list(let elements):
            for (index, element) in elements.enumerated() {
                _ = try write(element, number: number, in: scope, at: "\(path)[\(index)]", into: &wire)
            }
            return true
        case .each(let arrayPath, let name, let item):
            guard var source = scope.value(at: arrayPath), source != .null else { return true }
            // A database's json and jsonb columns arrive as their text.
            if case .string(let text) = source {
                do throws(C360Error) {
                    source = try RecordValue.json(Array(text.utf8))
                } catch {
                    throw C360Error(.invalidArgument, "\(arrayPath) is text that is not JSON: \(error.message)", field: path)
                }
            }
            guard case .array(let elements) = source else {
                throw C360Error(.invalidArgument, "\(arrayPath) is not a list", field: path)
            }
            for (index, element) in elements.enumerated() {
                var inner = scope
                inner.bindings[name] = element
                _ = try write(item, number: number, in: inner, at: "\(path)[\(index)]", into: &wire)
            }
            return true
        case .value(let expression, let kind, let optional):
            do throws(C360Error) {
                guard try Self.write(expression, kind: kind, number: number, in: scope, into: &wire) else {
                    if optional { return false }
                    throw C360Error(.invalidArgument, "its source \(Self.sources(of: expression)) is missing or null (write `optional: true` to leave the field out then, or give a `default`)")
                }
                return true
            } catch {
                throw C360Error(.invalidArgument, error.message, field: path)
            }
        }
    }

    /// Writes a value of `kind` as field `number`; `false` when its source is absent.
    private static func write(
        _ expression: Expression, kind: MessageSchema.Kind, number: Int, in scope: Scope, into wire: inout ProtobufWireWriter
    ) throws(C360Error) -> Bool {
        if case .money(let amount, let currency, let inMinorUnits) = expression {
            guard let amountText = try text(of: amount, in: scope), let currencyText = try text(of: currency, in: scope) else { return false }
            let code = try ValueConversions.currency(currencyText)
            let minor = inMinorUnits ? try ValueConversions.integer(amountText) : try ValueConversions.minorUnits(decimal: amountText, currency: code)
            // c360.v1.Money: minor_units = 1, currency = 2.
            let start = wire.beginMessage(number)
            wire.int64Field(1, minor)
            wire.stringField(2, code)
            wire.endMessage(start)
            return true
        }
        if case .timestamp(let source, let format) = expression {
            guard let value = try text(of: source, in: scope) else { return false }
            let timestamp = switch format {
            case .rfc3339(let zone): try ValueConversions.timestamp(value, zone: zone)
            case .epochSeconds: try ValueConversions.epoch(value, milliseconds: false)
            case .epochMilliseconds: try ValueConversions.epoch(value, milliseconds: true)
            }
            try write(timestamp, number: number, into: &wire)
            return true
        }
        guard let value = try text(of: expression, in: scope) else { return false }
        switch kind {
        case .string: wire.stringField(number, value)
        case .integer: wire.int64Field(number, try ValueConversions.integer(value))
        case .integer32: wire.int64Field(number, Int64(try ValueConversions.integer32(value)))
        case .bool: wire.boolField(number, try ValueConversions.bool(value))
        case .timestamp: try write(try ValueConversions.timestamp(value, zone: nil), number: number, into: &wire)
        case .enumeration(let names):
            guard let index = names.firstIndex(of: value) else {
                throw C360Error(.invalidArgument, "\"\(value)\" is not one of \(names.joined(separator: ", ")) (map the source's values with `map:` and `values:`)")
            }
            wire.int64Field(number, Int64(index + 1))
        case .money: throw C360Error(.invalidArgument, "money needs `amount:` (or `minor_units:`) and `currency:`")
        case .message, .repeated: throw C360Error(.invalidArgument, "this field needs its own fields, not a single value")
        }
        return true
    }

    /// google.protobuf.Timestamp: seconds = 1, nanos = 2, within the years 1 to 9999 it allows.
    private static func write(_ timestamp: ValueConversions.Timestamp, number: Int, into wire: inout ProtobufWireWriter) throws(C360Error) {
        guard (-62_135_596_800...253_402_300_799).contains(timestamp.seconds), (0..<1_000_000_000).contains(timestamp.nanos) else {
            throw C360Error(.invalidArgument, "the time is outside the years 1 to 9999")
        }
        let start = wire.beginMessage(number)
        wire.int64Field(1, timestamp.seconds)
        wire.int64Field(2, Int64(timestamp.nanos))
        wire.endMessage(start)
    }

    /// The text an expression makes, `nil` when its source is absent or null.
    private static func text(of expression: Expression, in scope: Scope) throws(C360Error) -> String? {
        switch expression {
        case .constant(let text):
            return text
        case .field(let path):
            guard let value = scope.value(at: path), value != .null else { return nil }
            guard let text = value.text else { throw C360Error(.invalidArgument, "\(path) is a list or an object, not a value") }
            return text
        case .text(let parts):
            var result = ""
            for part in parts {
                switch part {
                case .literal(let literal): result += literal
                case .field(let path):
                    guard let value = try text(of: .field(path), in: scope) else { return nil }
                    result += value
                }
            }
            return result
        case .table(let source, let values, let fallback):
            guard let value = try text(of: source, in: scope) else { return nil }
            if let mapped = values[value] ?? fallback { return mapped }
            throw C360Error(.invalidArgument, "\"\(value)\" is not in the rule's table (\(values.keys.sorted().joined(separator: ", "))) and it has no `default`")
        case .withDefault(let source, let fallback):
            return try text(of: source, in: scope) ?? fallback
        case .timestamp, .money:
            throw C360Error(.invalidArgument, "a timestamp or an amount of money cannot be part of a text")
        }
    }

    /// The record fields an expression reads, for messages.
    static func sources(of expression: Expression) -> String {
        switch expression {
        case .constant: "(a constant)"
        case .field(let path): String(describing: path)
        case .text(let parts):
            parts.compactMap { if case .field(let path) = $0 { String(describing: path) } else { nil } }.joined(separator: ", ")
        case .table(let source, _, _), .withDefault(let source, _), .timestamp(let source, _): sources(of: source)
        case .money(let amount, let currency, _): sources(of: amount) + ", " + sources(of: currency)
        }
    }
}

extension FieldPath {
    init(steps: [Step]) {
        self.steps = steps
        self.description = steps.map { if case .key(let key) = $0 { key } else if case .index(let index) = $0 { "[\(index)]" } else { "" } }.joined(separator: ".")
    }
}
